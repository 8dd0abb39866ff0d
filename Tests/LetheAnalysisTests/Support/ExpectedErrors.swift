import LetheAnalysis
import LetheImaging
import LetheMemory
import Testing

/// The error a test expects, named by its documented code (equality is by code). Records an issue
/// when the code is not one that LetheAnalysis, LetheImaging or LetheMemory define.
func analysisError(_ code: String, sourceLocation: SourceLocation = #_sourceLocation) -> LetheError {
    let known = LetheError.Code.analysisCodes + LetheError.Code.imagingCodes + LetheError.Code.memoryCodes
    guard let match = LetheError.Code.named(code, in: known) else {
        Issue.record("\(code) is not a code of LetheAnalysis, LetheImaging or LetheMemory", sourceLocation: sourceLocation)
        return LetheError(LetheError.Code(code, .internal), "")
    }
    return LetheError(match, "")
}
