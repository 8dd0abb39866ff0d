import CLetheSystem
import Foundation

extension Data {
    /// Zeroes this value's storage in place (for `Data` that a library handed back holding plaintext).
    ///
    /// Only storage this value owns uniquely is reached; copies made elsewhere are not.
    public mutating func wipeInPlace() {
        withUnsafeMutableBytes { bytes in
            lethe_wipe(bytes.baseAddress, bytes.count)
        }
    }
}

extension Array where Element == UInt8 {
    /// Zeroes this array's storage in place.
    public mutating func wipeInPlace() {
        withUnsafeMutableBytes { bytes in
            lethe_wipe(bytes.baseAddress, bytes.count)
        }
    }
}
