// libFuzzer target: one key config (RFC 9458 §3.1) and the `application/ohttp-keys` list
// (RFC 9540 §3), which a device parses from the network before it encrypts anything.
import Foundation
import LetheEnvelope

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeyConfig(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(UnsafeRawBufferPointer(start: start, count: count))
    if let config = try? OHTTPKeyConfig(decoding: data) {
        // A config decodes from exactly its encoding: anything else means a byte was skipped.
        precondition(config.encoded() == data, "key config does not round-trip")
    }
    if let configs = try? OHTTPKeyConfig.decodeList(data) {
        precondition(!configs.isEmpty, "an accepted list holds at least one config")
        for config in configs {
            precondition((try? OHTTPKeyConfig(decoding: config.encoded())) == config, "listed config does not re-decode")
        }
    }
    return 0
}
