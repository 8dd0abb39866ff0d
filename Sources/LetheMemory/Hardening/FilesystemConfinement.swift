/// Whether the process has forbidden itself filesystem writes outside one directory (Landlock).
public enum FilesystemConfinement: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Not requested (library use, tests, `lethe analyze`).
    case notApplied
    /// Active with this Landlock ABI version: writes only beneath `writableDirectory`; from ABI 4
    /// TCP binds only to `bindPorts` and no TCP connects; from ABI 6 no abstract Unix socket or
    /// signal outside the process.
    case active(abi: Int, writableDirectory: String, bindPorts: [Int], networkVerified: Bool, signalsVerified: Bool)
    /// The kernel has no Landlock; nothing stops a stray write.
    case unsupported
    /// Other threads existed when it was applied, so only some threads are confined.
    case partial(threads: Int)
    /// The kernel refused (errno text).
    case failed(String)

    public var description: String {
        switch self {
        case .notApplied: "not-applied"
        case .active(let abi, let directory, let ports, let networkVerified, let signalsVerified):
            "abi\(abi):\(directory)"
                + (abi < 4 ? " net=UNSUPPORTED(abi<4)"
                    : " net=bind(\(ports.map(String.init).joined(separator: ",")))+connect(none)" + (networkVerified ? "" : "(NOT-VERIFIED)"))
                + (abi < 6 ? " scope=UNSUPPORTED(abi<6)" : " scope=abstract-unix,signal" + (signalsVerified ? "" : "(NOT-VERIFIED)"))
        case .unsupported: "UNSUPPORTED"
        case .partial(let threads): "PARTIAL(\(threads) threads)"
        case .failed(let reason): "FAILED(\(reason))"
        }
    }

    /// True only when every thread is confined.
    public var isActive: Bool {
        if case .active = self { return true }
        return false
    }
}
