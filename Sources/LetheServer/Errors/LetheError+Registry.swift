import LetheAnalysis
import LetheEngine
import LetheEnvelope
import LetheImaging
import LetheLedger
import LetheMemory

extension LetheError.Code {
    /// Every code the worker's modules define, each once: the list the README's error table is
    /// checked against (`ErrorCodeTableTests`).
    public static var all: [LetheError.Code] {
        sharedCodes + memoryCodes + imagingCodes + analysisCodes + engineCodes + envelopeCodes + ledgerCodes + serverCodes
    }
}
