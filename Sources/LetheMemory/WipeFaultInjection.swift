import Foundation

/// A deliberately broken wipe, for tests that must show the wipe is graded from outside (issue 18):
/// the residue harness and the deletion record must both catch it.
///
/// Read once from `LETHE_TEST_FAULT_WIPE` and honoured only in debug builds (`swift build`,
/// `swift test`): release builds — the Dockerfile and every deployment — compile it out, so no
/// environment can turn it on in production. When active, `lethe serve` names it in its
/// hardening line (`wipe_fault=…`).
/// - `skip-page:N` — each buffer with more than N pages keeps page N (0-based) neither zeroed nor
///   unmapped, as a wipe that missed one page would leave it: the read-back must report
///   `verified = false` and the page's bytes stay readable in the process.
/// - `skip-all` — no buffer is zeroed or unmapped: the negative control that shows every layout
///   held in arena buffers is findable by the harness.
public enum WipeFaultInjection: Sendable, Equatable, CustomStringConvertible {
    case none
    case skipPage(Int)
    case skipAll

    /// The fault this process runs with (always `.none` in release builds).
    public static let current: WipeFaultInjection = {
        #if DEBUG
        guard let value = ProcessInfo.processInfo.environment["LETHE_TEST_FAULT_WIPE"] else { return .none }
        return parse(value)
        #else
        return .none
        #endif
    }()

    /// `skip-page:N` or `skip-all`; anything else is no fault.
    static func parse(_ value: String) -> WipeFaultInjection {
        if value == "skip-all" { return .skipAll }
        if value.hasPrefix("skip-page:"), let page = Int(value.dropFirst("skip-page:".count)), page >= 0 { return .skipPage(page) }
        return .none
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .skipPage(let page): "skip-page:\(page)"
        case .skipAll: "skip-all"
        }
    }
}
