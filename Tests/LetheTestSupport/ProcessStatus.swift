import Foundation

/// Figures from `/proc/<pid>/status` (proc(5)), e.g. the peak resident set `VmHWM`.
public enum ProcessStatus {
    /// The field `name` of `/proc/<pid>/status` in bytes (the kernel writes kB), or nil when the
    /// process or the field does not exist.
    public static func bytes(_ name: String, pid: Int32) -> Int? {
        guard let text = try? ProcFile.read("/proc/\(pid)/status"),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("\(name):") }),
            let kilobytes = line.split(separator: " ").dropFirst().first(where: { Int($0) != nil }).flatMap({ Int($0) })
        else { return nil }
        return kilobytes * 1024
    }
}
