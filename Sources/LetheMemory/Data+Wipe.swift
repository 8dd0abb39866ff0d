import CLetheSystem
import Foundation

extension Data {
    /// Zeroes this value's storage in place (for `Data` that a library handed back holding plaintext).
    ///
    /// The storage is zeroed where it lies, even when other `Data` values share it (copy-on-write):
    /// going through `withUnsafeMutableBytes` alone would first copy shared storage and zero the
    /// copy, leaving the plaintext in the original for the other values (and the heap) to keep.
    /// Every value that shares the storage reads zeros afterwards, which is the point.
    public mutating func wipeInPlace() {
        withUnsafeBytes { bytes in
            // Heap storage: the pointer is the storage itself, shared or not.
            lethe_wipe(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        }
        // Small values live inline in the `Data` itself (its read-only view is a temporary copy):
        // zero them in place too. Shared heap storage is all zeros by now, so a copy made here
        // copies zeros.
        withUnsafeMutableBytes { bytes in
            lethe_wipe(bytes.baseAddress, bytes.count)
        }
    }
}

extension Array where Element == UInt8 {
    /// Zeroes this array's storage in place, shared (copy-on-write) storage included.
    public mutating func wipeInPlace() {
        withUnsafeBytes { bytes in
            lethe_wipe(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        }
        withUnsafeMutableBytes { bytes in
            lethe_wipe(bytes.baseAddress, bytes.count)
        }
    }
}
