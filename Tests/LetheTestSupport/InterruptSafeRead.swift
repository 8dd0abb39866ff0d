import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads from a pipe with `read(2)`, retrying a read that a signal interrupted (`EINTR`).
///
/// Foundation's `readDataToEndOfFile()` and `availableData` end the whole test process with a
/// `try!` when `read` reports `EINTR` (a fresh run died of it: "Interrupted system call" inside
/// FileHandle while a test waited for a child's output). A signal that lands on a blocked reader
/// means nothing to the reader, so it reads again.
public enum InterruptSafeRead {
    /// Everything until end of file.
    public static func toEnd(_ handle: FileHandle) throws -> Data {
        var data = Data()
        while let chunk = try some(handle), !chunk.isEmpty { data.append(chunk) }
        return data
    }

    /// What one successful `read` returns (empty at end of file); blocks until there is some.
    public static func some(_ handle: FileHandle, upTo count: Int = 65536) throws -> Data? {
        var buffer = [UInt8](repeating: 0, count: count)
        while true {
            let read = buffer.withUnsafeMutableBytes { Glibc.read(handle.fileDescriptor, $0.baseAddress, count) }
            if read >= 0 { return Data(buffer[0..<read]) }
            if errno != EINTR { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
    }
}
