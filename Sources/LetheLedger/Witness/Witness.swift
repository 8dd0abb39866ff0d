import Crypto
import Foundation
import LetheMemory
import LetheTransparency

/// A C2SP transparency-log witness (https://c2sp.org/tlog-witness): for each log it knows, it
/// keeps the latest checkpoint it cosigned, and cosigns a new one only when it is signed by the
/// log's key and proven consistent with that one. It never cosigns two checkpoints of a log that
/// are inconsistent with each other, nor a smaller tree after a larger one, across restarts too:
/// the new state is durably written (temporary file, fsync, rename, directory fsync) before the
/// cosignature is returned, and the check and the write happen inside one actor call, so that two
/// concurrent requests cannot roll the state back (tlog-witness §add-checkpoint's race).
///
/// State: one file per log in `stateDirectory`, named by the hex SHA-256 of the origin, holding
/// the signed checkpoint note last cosigned. It is opened again with the log's key when read; a
/// state file that does not verify makes the witness refuse that log (`witness_state_unavailable`)
/// rather than start over from nothing.
public actor Witness {
    /// What an accepted or conflicting request is answered.
    public enum Outcome: Sendable, Equatable {
        /// 200: the cosignature lines (`— <name> <base64>\n`).
        case cosigned(String)
        /// 409 with `text/x.tlog.size`: the size of the latest checkpoint cosigned.
        case conflict(size: Int)
    }

    /// The witness's cosigning key.
    public let signer: CosignerSigner
    /// Trusted log keys by origin.
    let logs: [String: NoteVerifier]
    let stateDirectory: URL
    let now: @Sendable () -> UInt64
    var latest: [String: Checkpoint] = [:]

    /// - Parameters:
    ///   - logs: the keys of the logs it witnesses (their names are the origins).
    ///   - stateDirectory: created (mode 0700) when missing.
    ///   - now: POSIX seconds for the cosignature timestamps.
    public init(signer: CosignerSigner, logs: [NoteVerifier], stateDirectory: URL, now: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970) }) throws {
        guard Set(logs.map(\.name)).count == logs.count else {
            throw LetheError(.witnessPolicyInvalid, "a log origin is listed twice")
        }
        do {
            try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw LetheError(.witnessStateUnavailable, "cannot create the state directory \(stateDirectory.path)")
        }
        self.signer = signer
        self.logs = Dictionary(uniqueKeysWithValues: logs.map { ($0.name, $0) })
        self.stateDirectory = stateDirectory
        self.now = now
    }

    /// Handles one `add-checkpoint` request body (tlog-witness §add-checkpoint, checks in the
    /// spec's order).
    /// - Throws: `witness_request_malformed` (400), `witness_origin_unknown` (404),
    ///   `witness_signature_untrusted` (403), `witness_conflict` (409, same size, other root),
    ///   `witness_proof_invalid` (422), `witness_state_unavailable` (503).
    public func addCheckpoint(_ body: Data) throws -> Outcome {
        let request = try AddCheckpointRequest(body: body)
        let parsed: SignedNote
        let checkpoint: Checkpoint
        do {
            parsed = try SignedNote.parse(request.note)
            checkpoint = try Checkpoint(body: parsed.text)
        } catch {
            throw LetheError(.witnessRequestMalformed, "the checkpoint is not a signed tlog-checkpoint note")
        }
        guard let log = logs[checkpoint.origin] else {
            throw LetheError(.witnessOriginUnknown, "this witness does not witness the log '\(checkpoint.origin)'")
        }
        // Signatures of unknown keys are ignored; one of the log's key must verify.
        let trusted = parsed.signatures.filter { $0.name == log.name && $0.keyID == log.keyID }
        guard trusted.contains(where: { log.isValidSignature($0.signature, for: Data(parsed.text.utf8)) }) else {
            throw LetheError(.witnessSignatureUntrusted, "no signature of the checkpoint verifies with the key of '\(log.name)'")
        }
        guard request.oldSize <= checkpoint.size else {
            throw LetheError(.witnessRequestMalformed, "old size \(request.oldSize) is above the checkpoint's size \(checkpoint.size)")
        }
        let known = try state(of: log)
        guard request.oldSize == known?.size ?? 0 else { return .conflict(size: known?.size ?? 0) }
        if let known {
            if known.size == checkpoint.size {
                guard known.rootHash == checkpoint.rootHash else {
                    throw LetheError(.witnessConflict, "checkpoint \(checkpoint.size) of '\(log.name)' has another root than the one this witness cosigned: a fork")
                }
            } else {
                guard MerkleProof.verifyConsistency(
                    oldSize: known.size, newSize: checkpoint.size, oldRoot: known.rootHash, newRoot: checkpoint.rootHash, proof: request.proof)
                else {
                    throw LetheError(.witnessProofInvalid, "checkpoint \(checkpoint.size) of '\(log.name)' is not proven consistent with checkpoint \(known.size)")
                }
            }
        } else if !request.proof.isEmpty {
            throw LetheError(.witnessProofInvalid, "the proof must be empty from size 0")
        }
        // Persist first, then answer.
        if known != checkpoint {
            do {
                try LedgerFile.replace(stateFile(origin: log.name).path, with: Data(request.note.utf8))
            } catch {
                throw LetheError(.witnessStateUnavailable, "the state of '\(log.name)' could not be written durably")
            }
            latest[log.name] = checkpoint
        }
        let line = try signer.cosign(checkpointBody: parsed.text, timestamp: now()).line
        return .cosigned(line)
    }

    /// The latest checkpoint cosigned for `origin`, nil when none.
    public func latestCheckpoint(origin: String) throws -> Checkpoint? {
        guard let log = logs[origin] else { return nil }
        return try state(of: log)
    }

    private func state(of log: NoteVerifier) throws -> Checkpoint? {
        if let cached = latest[log.name] { return cached }
        let file = stateFile(origin: log.name)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        guard let text = try? String(contentsOf: file, encoding: .utf8), let checkpoint = try? Checkpoint.open(text, verifier: log) else {
            throw LetheError(.witnessStateUnavailable, "the state of '\(log.name)' (\(file.lastPathComponent)) does not verify with the log's key; refusing the log")
        }
        latest[log.name] = checkpoint
        return checkpoint
    }

    private func stateFile(origin: String) -> URL {
        let name = SHA256.hash(data: Data(origin.utf8)).map { String(format: "%02x", $0) }.joined()
        return stateDirectory.appendingPathComponent(name + ".checkpoint")
    }
}
