import Crypto
import Foundation
import LetheLedger
import LetheMemory
import LetheTransparency
import Testing

/// C2SP signed-note against the example of golang.org/x/mod/sumdb/note (note.go / note_test.go).
@Suite("Signed notes and checkpoints (C2SP)")
struct SignedNoteTests {
    static let goPrivateKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let goVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let goText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let goNote = goText + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

    @Test("the Go reference key parses, derives the published verifier key and key id")
    func goKeys() throws {
        let signer = try NoteSigner(privateKeyString: Self.goPrivateKey)
        #expect(signer.verifier.verifierKey == Self.goVerifierKey)
        #expect(signer.verifier.keyID == 0xc74f20a3)
        #expect(signer.privateKeyString == Self.goPrivateKey)
        #expect(try NoteVerifier(verifierKey: Self.goVerifierKey) == signer.verifier)
        #expect(throws: LetheError.self) { try NoteVerifier(verifierKey: "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") }
    }

    @Test("key strings of the wrong type, with a wrong key id or a bad name are refused with their key's code")
    func keyStringsRefused() throws {
        let cosigner = try CosignerSigner.generate(name: "witness.example/w1")
        let cosignerKey = cosigner.privateKeyString, cosignerVerifierKey = cosigner.verifier.verifierKey
        // A cosigner key (type 0x04) is never a ledger key (type 0x01), nor the other way round.
        #expect(throws: ledgerError("ledger_key_invalid")) { try NoteSigner(privateKeyString: cosignerKey) }
        #expect(throws: ledgerError("verifier_key_invalid")) { try NoteVerifier(verifierKey: cosignerVerifierKey) }
        #expect(throws: ledgerError("witness_key_invalid")) { try CosignerSigner(privateKeyString: Self.goPrivateKey) }
        #expect(throws: ledgerError("witness_key_invalid")) { try CosignerVerifier(verifierKey: Self.goVerifierKey) }
        // The key id as written must be the key's.
        #expect(throws: ledgerError("ledger_key_invalid")) {
            try NoteSigner(privateKeyString: Self.goPrivateKey.replacingOccurrences(of: "c74f20a3", with: "c74f20a4"))
        }
        let wrongID = String(format: "%08x", cosigner.verifier.keyID ^ 1)
        #expect(throws: ledgerError("witness_key_invalid")) {
            try CosignerSigner(privateKeyString: cosignerKey.replacingOccurrences(of: String(format: "%08x", cosigner.verifier.keyID), with: wrongID))
        }
        #expect(throws: ledgerError("witness_key_invalid")) {
            try CosignerVerifier(verifierKey: cosignerVerifierKey.replacingOccurrences(of: String(format: "%08x", cosigner.verifier.keyID), with: wrongID))
        }
        // A name with a space is no key name, whatever its id.
        #expect(throws: ledgerError("verifier_key_invalid")) {
            try NoteVerifier(verifierKey: Self.goVerifierKey.replacingOccurrences(of: "PeterNeumann", with: "Peter Neumann"))
        }
        #expect(try CosignerSigner(privateKeyString: cosignerKey).verifier == cosigner.verifier)
        #expect(try CosignerVerifier(verifierKey: cosignerVerifierKey) == cosigner.verifier)
    }

    @Test("the Go reference note opens, and an edited one does not")
    func goNote() throws {
        let verifier = try NoteVerifier(verifierKey: Self.goVerifierKey)
        #expect(try SignedNote.open(Self.goNote, verifier: verifier) == Self.goText)
        #expect(throws: ledgerError("note_signature_invalid")) {
            try SignedNote.open(Self.goNote.replacingOccurrences(of: "cryptography", with: "cryptographY"), verifier: verifier)
        }
        let other = try NoteSigner.generate(name: "PeterNeumann").verifier
        #expect(throws: LetheError.self) { try SignedNote.open(Self.goNote, verifier: other) }
    }

    #if os(Linux)
    @Test("signing reproduces the Go reference note byte for byte (BoringSSL Ed25519 is deterministic)")
    func goSignature() throws {
        let signer = try NoteSigner(privateKeyString: Self.goPrivateKey)
        #expect(try SignedNote.sign(Self.goText, with: signer).encoded == Self.goNote)
    }
    #endif

    @Test("checkpoints round-trip and are bound to the key's origin")
    func checkpoint() throws {
        let signer = try NoteSigner.generate(name: "lethe.local/test")
        let checkpoint = Checkpoint(origin: "lethe.local/test", size: 8, rootHash: ReferenceTree.hex(ReferenceTree.roots[8]))
        let note = try checkpoint.signed(by: signer)
        #expect(note.hasPrefix("lethe.local/test\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\u{2014} lethe.local/test "))
        #expect(try Checkpoint.open(note, verifier: signer.verifier) == checkpoint)
        let impostor = try NoteSigner.generate(name: "lethe.local/other")
        let foreign = try Checkpoint(origin: "lethe.local/test", size: 8, rootHash: checkpoint.rootHash).signed(by: impostor)
        #expect(throws: LetheError.self) { try Checkpoint.open(foreign, verifier: impostor.verifier) }
        #expect(throws: LetheError.self) { try Checkpoint(body: "origin\n08\n\(checkpoint.rootHash.base64EncodedString())\n") }
    }

    @Test("receipts round-trip, verify, open their commitment, and cannot pass for checkpoints")
    func receipt() throws {
        let signer = try NoteSigner.generate(name: "lethe.local/test")
        var record = DeletionRecord(
            requestID: "00ff", devicePseudonym: nil, kind: "skin", receivedAt: Date(timeIntervalSince1970: 1_790_000_000),
            plaintextLifetimeMicroseconds: 1000, bytesWiped: ["pixels": 1234], buffersWiped: 1, wipeVerified: true, errorCode: nil)
        record.sequence = 41
        record.wipedAt = "2026-09-21T14:13:20.127Z"
        record.period = "2026-09-21T14:13:00.000Z"
        record.periodEnd = "2026-09-21T14:14:00.000Z"
        record.salt = "00112233445566778899aabbccddeeff"
        let receipt = try DeletionReceipt(origin: "lethe.local/test", record: record, canonicalJSON: record.canonicalJSON())
        let note = try receipt.signed(by: signer)
        #expect(note.hasPrefix("lethe.receipt/v2\norigin lethe.local/test\nperiod 2026-09-21T14:13:00.000Z 2026-09-21T14:14:00.000Z\ncommitment \(try record.commitment())\nrecord "))
        let opened = try DeletionReceipt.open(note, verifier: signer.verifier)
        #expect(opened == receipt && opened.bytesWiped == 1234 && opened.record.sequence == 41)
        #expect(throws: LetheError.self) { try Checkpoint.open(note, verifier: signer.verifier) }
        #expect(throws: LetheError.self) { try DeletionReceipt.open(note.replacingOccurrences(of: "period 2026-09-21T14:13", with: "period 2026-09-21T14:12"), verifier: signer.verifier) }
    }

    @Test("tile paths encode and parse as C2SP tlog-tiles")
    func tilePaths() {
        #expect(TilePath(level: 0, index: 1_234_067).path == "tile/0/x001/x234/067")
        #expect(TilePath(level: nil, index: 5, width: 7).path == "tile/entries/005.p/7")
        #expect(TilePath(components: ["0", "x001", "x234", "067"]) == TilePath(level: 0, index: 1_234_067))
        #expect(TilePath(components: ["entries", "005.p", "7"]) == TilePath(level: nil, index: 5, width: 7))
        #expect(TilePath(components: ["1", "67"]) == nil)
        #expect(TilePath(components: ["0", "000.p", "256"]) == nil)
        #expect(TilePath(components: ["0", "001", "002"]) == nil)
    }
}
