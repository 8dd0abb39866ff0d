// libFuzzer target: the OHTTP request header (RFC 9458 §4.1) and the gateway's whole
// decapsulation path with the RFC 9458 Appendix A key, as the worker runs it on every request.
import Foundation
@testable import LetheEnvelope
import LetheMemory

/// The Appendix A gateway key (key id 1, X25519), so seeds built from the vector reach HPKE open.
private let gateway: OHTTPGateway = {
    let scalar = Data([
        0x3c, 0x16, 0x89, 0x75, 0x67, 0x4b, 0x2f, 0xa8, 0xe4, 0x65, 0x97, 0x0b, 0x79, 0xc8, 0xdc, 0xf0,
        0x9f, 0x1c, 0x74, 0x16, 0x26, 0x48, 0x0b, 0xd4, 0xc6, 0x16, 0x2f, 0xc5, 0xb6, 0xa9, 0x8e, 0x1a,
    ])
    // The scalar is a valid X25519 key: failing here is a broken build, not a finding.
    let key = try! OHTTPPrivateKey(keyID: 1, kem: .x25519, rawPrivateKey: scalar)
    return OHTTPGateway(keys: [key])
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOHTTPHeader(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    var reader = NetworkByteReader(bytes)
    if let header = OHTTPRequestHeader(&reader) {
        precondition(Array(header.encoded) == Array(bytes.prefix(OHTTPRequestHeader.byteCount)), "header does not round-trip")
    } else {
        precondition(count < OHTTPRequestHeader.byteCount, "a 7-byte prefix must always parse")
    }
    let arena = PlaintextArena()
    defer { _ = arena.wipeAll() }
    do {
        let (request, _) = try gateway.decapsulate(bytes, into: arena)
        precondition(request.count <= count, "plaintext longer than the envelope")
    } catch {
        precondition(!error.code.rawValue.isEmpty, "error without a code")
    }
    return 0
}
