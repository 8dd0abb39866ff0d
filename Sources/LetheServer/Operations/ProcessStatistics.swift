import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Memory and CPU of this process (or of one of its engines), read from /proc/PID/stat (Linux).
struct ProcessStatistics {
    let residentBytes: Int
    let cpuSeconds: Double

    static func current(process: String = "self") -> ProcessStatistics? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process)/stat", encoding: .utf8),
              let afterName = stat.range(of: ") ")
        else { return nil }
        // Fields after "pid (comm) ": state is field 3; utime 14, stime 15, rss 24 (proc(5)).
        let fields = stat[afterName.upperBound...].split(separator: " ")
        guard fields.count > 21, let user = Double(fields[11]), let system = Double(fields[12]), let pages = Int(fields[21]) else {
            return nil
        }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ProcessStatistics(residentBytes: pages * Int(sysconf(Int32(_SC_PAGESIZE))), cpuSeconds: (user + system) / ticks)
    }
}
