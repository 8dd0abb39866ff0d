import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// CPU time (user + system) spent by this process, and by a worker and its engine processes, for
/// `lethe bench`'s CPU per request: on a shared machine the steadier figure than wall time.
struct ProcessCPU: Sendable {
    /// Seconds of this process's threads (`getrusage(RUSAGE_SELF)`: not its children, so not an
    /// embedded worker).
    static func ownSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// A worker's CPU so far: the gateway's own threads, and its engine processes (those running,
    /// plus those it has reaped: recycled engines' time stays counted).
    struct Worker: Sendable {
        var gatewaySeconds: Double
        var engineSeconds: Double
    }

    /// The worker `pid`'s figures from `/proc/PID/stat` (utime, stime, cutime, cstime), or nil when
    /// it cannot be read (another machine's worker, or one that has exited).
    static func worker(pid: Int32) -> Worker? {
        guard let own = ticks(of: pid) else { return nil }
        let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
        let running = children(of: pid).compactMap { ticks(of: $0) }.reduce(0) { $0 + $1.own }
        return Worker(gatewaySeconds: own.own / tick, engineSeconds: (own.reaped + running) / tick)
    }

    /// Clock ticks of a process's own threads and of its reaped children (fields 14–17 of
    /// /proc/PID/stat, counted after the parenthesised command name, which may hold spaces).
    private static func ticks(of pid: Int32) -> (own: Double, reaped: Double)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ").compactMap { Double($0) }
        // After the state letter (not a number): ppid … is fields[0]; utime is field 14, i.e. fields[10].
        guard fields.count > 14 else { return nil }
        return (fields[10] + fields[11], fields[12] + fields[13])
    }

    /// The processes whose parent is `pid`.
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { candidate in
            guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
            return stat[stat.index(after: close)...].split(separator: " ").dropFirst().first.flatMap { Int32($0) } == pid
        }
    }
}
