import LetheAnalysis
import LetheImaging
import LetheMemory

/// The error a test expects, named by its documented code among the codes
/// LetheAnalysis, LetheImaging and LetheMemory define (equality is by code; another name matches nothing).
func analysisError(_ code: String) -> LetheError {
    LetheError.expected(code, among: LetheError.Code.analysisCodes + LetheError.Code.imagingCodes + LetheError.Code.memoryCodes)
}
