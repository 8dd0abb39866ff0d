import Foundation
import Testing

@testable import LetheServer

/// The replay cache on its own: what it remembers, for how long, and what it does when full.
@Suite("Replay guard (RFC 9458 §6.5)")
struct ReplayGuardTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func enc(_ index: Int) -> Data { Data("encapsulated key \(index)".utf8) }

    @Test("a confirmed enc is refused until its window has passed, then forgotten")
    func remembersForTheWindow() throws {
        let guardian = ReplayGuard(window: 60, capacity: 10)
        let reservation = try guardian.reserve(Self.enc(1), now: Self.start)
        guardian.confirm(reservation, requestDate: Self.start)
        guardian.release(reservation)  // no effect once confirmed
        #expect(throws: ReplayGuard.Refusal.replayed) { try guardian.reserve(Self.enc(1), now: Self.start.addingTimeInterval(59)) }
        // At requestDate + window the Date check refuses any copy: the enc may be forgotten.
        #expect(guardian.count(now: Self.start.addingTimeInterval(60)) == 0)
        _ = try guardian.reserve(Self.enc(1), now: Self.start.addingTimeInterval(60))
    }

    @Test("a copy racing the original is refused while the original is being decrypted; a failed original gives it back")
    func pendingReservation() throws {
        let guardian = ReplayGuard(window: 60, capacity: 10)
        let reservation = try guardian.reserve(Self.enc(2), now: Self.start)
        #expect(throws: ReplayGuard.Refusal.replayed) { try guardian.reserve(Self.enc(2), now: Self.start) }
        guardian.release(reservation)
        #expect(guardian.count(now: Self.start) == 0)
        _ = try guardian.reserve(Self.enc(2), now: Self.start)
    }

    @Test("when full it refuses new requests until the oldest enc's window has passed, and never forgets one early")
    func fullRefusesRatherThanForgets() throws {
        let guardian = ReplayGuard(window: 60, capacity: 3)
        // Request dates up to the window's edge either way: each is kept until its date + 60 s.
        for (index, offset) in [(1, -30.0), (2, 0.0), (3, 45.0)] {
            let reservation = try guardian.reserve(Self.enc(index), now: Self.start)
            guardian.confirm(reservation, requestDate: Self.start.addingTimeInterval(offset))
        }
        #expect(throws: ReplayGuard.Refusal.full(retryAfterSeconds: 30)) { try guardian.reserve(Self.enc(4), now: Self.start) }
        // Full is not forgetful: every enc held is still refused as a replay.
        for index in 1...3 {
            #expect(throws: ReplayGuard.Refusal.replayed) { try guardian.reserve(Self.enc(index), now: Self.start.addingTimeInterval(29)) }
        }
        #expect(throws: ReplayGuard.Refusal.full(retryAfterSeconds: 1)) {
            try guardian.reserve(Self.enc(4), now: Self.start.addingTimeInterval(29.5))
        }
        // The oldest (dated −30 s) leaves at +30 s, and only it.
        _ = try guardian.reserve(Self.enc(4), now: Self.start.addingTimeInterval(30))
        #expect(throws: ReplayGuard.Refusal.replayed) { try guardian.reserve(Self.enc(2), now: Self.start.addingTimeInterval(30)) }
        #expect(throws: ReplayGuard.Refusal.replayed) { try guardian.reserve(Self.enc(3), now: Self.start.addingTimeInterval(104)) }
    }

    @Test("of many concurrent copies of one request exactly one gets through")
    func concurrentCopies() async {
        let guardian = ReplayGuard(window: 60, capacity: 100)
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 {
                group.addTask { (try? guardian.reserve(Self.enc(7))) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 1)
    }
}
