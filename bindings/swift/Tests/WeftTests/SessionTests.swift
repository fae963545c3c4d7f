import Foundation
import Weft
import XCTest

/// Moves messages both ways until neither side has one. `keepBack` sees the
/// responder's n-th message (from 0) and says whether it arrives. Returns
/// how many messages arrived.
@discardableResult
func pump(_ a: Session, _ b: Session, keepBack: (Int) -> Bool = { _ in true }) -> Int {
    var moved = 0
    var back = 0
    while true {
        var any = false
        while let message = a.nextMessage() {
            any = true
            moved += 1
            try? b.receive(message)  // a failure shows in b's state
        }
        while let message = b.nextMessage() {
            any = true
            back += 1
            if keepBack(back - 1) {
                moved += 1
                try? a.receive(message)
            }
        }
        if !any { return moved }
        precondition(moved < 100_000, "the sessions never go quiet")
    }
}

func appendN(_ log: Log, _ count: Int, _ prefix: String) throws {
    for i in 0..<count { try log.append(Data("\(prefix)-\(i)".utf8)) }
}

final class SessionTests: XCTestCase {
    func testTwoLogsSyncBothWaysThroughSessions() throws {
        let a = try memoryLog(1)
        let b = try memoryLog(2)
        try appendN(a, 20, "a")
        try appendN(b, 7, "b")
        XCTAssertNotEqual(try a.digest(), try b.digest())

        var options = Session.Options(peer: "b")
        options.maxBatchOps = 3
        let sa = try Session.connect(a, options: options)
        let sb = try Session.accept(b)
        XCTAssertEqual(sa.state, .handshake)
        XCTAssertGreaterThan(pump(sa, sb), 0)

        XCTAssertTrue(sa.isDone && sb.isDone)
        XCTAssertEqual(try a.digest(), try b.digest())
        XCTAssertEqual(try a.canonicalOrder(), try b.canonicalOrder())
        XCTAssertEqual([a.cursor, b.cursor], [27, 27])
        let ia = sa.info
        let ib = sb.info
        XCTAssertEqual(ia.state, .done)
        XCTAssertNil(ia.error)
        XCTAssertEqual([ia.batchesSent, ia.opsSent, ia.peerApplied, ia.applied], [7, 20, 20, 7])
        XCTAssertEqual([ia.opsToSend, ia.opsAcked, ia.ackedCursor], [20, 20, 20])
        XCTAssertEqual([ib.applied, ib.duplicates, ib.rejected], [20, 0, 0])
        XCTAssertEqual(ib.messagesReceived, ia.messagesSent)
        XCTAssertEqual(ib.bytesReceived, ia.bytesSent)
        XCTAssertEqual(try a.peer("b"), PeerState(ackedCursor: 20))

        // A second session finds nothing to send.
        let again = try Session.connect(a, options: options)
        let answer = try Session.accept(b)
        pump(again, answer)
        XCTAssertTrue(again.isDone && answer.isDone)
        XCTAssertEqual([again.info.opsSent, answer.info.opsSent], [0, 0])
    }

    func testSessionsKeepTheirLogsAlive() throws {
        var a: Log? = try memoryLog(3)
        let b = try memoryLog(4)
        try appendN(a!, 5, "x")
        let sa = try Session.connect(a!)
        let sb = try Session.accept(b)
        a = nil
        pump(sa, sb)
        XCTAssertTrue(sa.isDone && sb.isDone)
        XCTAssertEqual(b.cursor, 5)
    }

    func testALostAnswerIsResentByTickAndReportedAsDuplicates() throws {
        let a = try memoryLog(5)
        let b = try memoryLog(6)
        try appendN(a, 4, "z")
        var options = Session.Options(peer: "b")
        options.retryBaseMs = 10
        options.retryMaxMs = 10
        let sa = try Session.connect(a, options: options)
        let sb = try Session.accept(b)

        // b's Hello arrives; every answer after it (the acks) is lost.
        pump(sa, sb, keepBack: { $0 == 0 })
        XCTAssertEqual(b.cursor, 4, "b applied the batch")
        XCTAssertEqual(sa.state, .syncing, "a still waits for the ack")

        // The clock moves on: a resends the same bytes; now answers arrive.
        var now: UInt64 = 0
        while true {
            try sa.tick(nowMs: now)
            if pump(sa, sb) > 0 { break }
            now += 5
            XCTAssertLessThan(now, 10_000, "no resend")
            if now >= 10_000 { return }
        }
        XCTAssertTrue(sa.isDone && sb.isDone)
        XCTAssertGreaterThanOrEqual(sa.info.resends, 1)
        XCTAssertEqual(sb.info.duplicates, 4, "b saw the resent ops again")
        XCTAssertEqual(sa.info.peerDuplicates, 4, "a learned that from b's ack")
        XCTAssertEqual(sa.info.ackedCursor, 4)
        XCTAssertEqual(try a.digest(), try b.digest())
    }

    func testAnUnansweredSessionTimesOut() throws {
        let a = try memoryLog(7)
        let b = try memoryLog(8)
        try appendN(a, 2, "t")
        var options = Session.Options()
        options.retryBaseMs = 10
        options.retryMaxMs = 10
        options.retryMaxAttempts = 2
        let sa = try Session.connect(a, options: options)
        let sb = try Session.accept(b)
        pump(sa, sb, keepBack: { $0 == 0 })
        var failure: WeftError?
        var now: UInt64 = 0
        while failure == nil && now < 1000 {
            do {
                try sa.tick(nowMs: now)
            } catch let error as WeftError {
                failure = error
            }
            pump(sa, sb, keepBack: { _ in false })
            now += 5
        }
        XCTAssertEqual(failure?.code, .timeout)
        let info = sa.info
        XCTAssertEqual(info.state, .failed)
        XCTAssertEqual(info.error?.code, .timeout)
        XCTAssertTrue(info.error?.message.contains("no answer") ?? false, "\(String(describing: info.error))")
        assertThrows(.timeout, try sa.receive(Data("junk".utf8)))
    }

    func testAHostServesReadAndAppendTokensAndRevokesThem() throws {
        var host: LogHost? = try LogHost(masterKey: Data(repeating: 0x42, count: 32))
        let read = try host!.issue(logID: "agent", scope: .read)
        let append = try host!.issue(logID: "agent", scope: .append)
        var info = try host!.redeem(logID: "agent", token: append)
        XCTAssertEqual(info.scope, .append)
        XCTAssertEqual([info.cursor, info.ops], [0, 0])
        XCTAssertEqual(info.epoch, 0)
        XCTAssertEqual(try host!.redeem(logID: "agent", token: read).scope, .read)

        // An append token pushes.
        let writer = try memoryLog(9)
        try appendN(writer, 3, "w")
        var client = try Session.connect(writer, options: Session.Options(logID: "agent", token: append))
        var server = try host!.accept()
        pump(client, server)
        XCTAssertTrue(client.isDone && server.isDone)
        info = try host!.redeem(logID: "agent", token: append)
        XCTAssertEqual([info.ops, info.cursor, info.actors], [3, 3, 1])
        XCTAssertEqual(info.digest, try writer.digest())

        // A read token pulls what the host has, and pushes nothing.
        let reader = try memoryLog(10)
        try appendN(reader, 2, "r")
        client = try Session.connect(reader, options: Session.Options(logID: "agent", token: read))
        server = try host!.accept()
        pump(client, server)
        XCTAssertTrue(client.isDone && server.isDone)
        XCTAssertEqual(reader.cursor, 5, "pulled the host's 3 ops")
        XCTAssertEqual(try host!.redeem(logID: "agent", token: read).ops, 3, "the reader's ops stayed home")
        XCTAssertEqual(client.info.opsSent, 0)

        // Revoked: the old tokens fail, in redeem and at a session's Hello.
        XCTAssertEqual(try host!.revoke(logID: "agent"), 1)
        assertThrows(.staleEpoch, try host!.redeem(logID: "agent", token: append))
        client = try Session.connect(writer, options: Session.Options(logID: "agent", token: append))
        server = try host!.accept()
        host = nil  // sessions keep the host alive
        pump(client, server)
        for session in [client, server] {
            XCTAssertEqual(session.state, .failed)
            XCTAssertEqual(session.info.error?.code, .staleEpoch)
        }
        assertThrows(.staleEpoch, try client.receive(Data("more".utf8)))
    }

    func testADirectoryHostKeepsLogsInSQLiteFiles() throws {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("weft-swift-host-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = try Token.newSecret()
        do {
            let host = try LogHost(masterKey: key, directory: dir.path)
            let token = try host.issue(logID: "notes", scope: .admin)
            let writer = try memoryLog(11)
            try appendN(writer, 2, "n")
            let client = try Session.connect(writer, options: Session.Options(logID: "notes", token: token))
            let server = try host.accept()
            pump(client, server)
            XCTAssertTrue(client.isDone)
            assertThrows(.invalidArgument, try host.issue(logID: "../x", scope: .read))
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("notes.db").path))
        let host = try LogHost(masterKey: key, directory: dir.path)
        let token = try host.issue(logID: "notes", scope: .read)
        XCTAssertEqual(try host.redeem(logID: "notes", token: token).ops, 2, "kept across hosts")
    }

    func testTokensIssueAndVerify() throws {
        let secret = try Token.newSecret()
        XCTAssertEqual(secret.count, 32)
        XCTAssertNotEqual(secret, try Token.newSecret())
        let token = try Token.issue(secret: secret, logID: "log-1", epoch: 4, scope: .read)
        XCTAssertFalse(token.isEmpty)
        XCTAssertEqual(try Token.verify(token, secret: secret, logID: "log-1", currentEpoch: 4, required: .read),
                       Grant(epoch: 4, scope: .read))
        assertThrows(.permissionDenied,
                     try Token.verify(token, secret: secret, logID: "log-1", currentEpoch: 4, required: .append))
        assertThrows(.staleEpoch,
                     try Token.verify(token, secret: secret, logID: "log-1", currentEpoch: 5, required: .read))
        assertThrows(.permissionDenied,
                     try Token.verify(token, secret: secret, logID: "log-2", currentEpoch: 4, required: .read))
        assertThrows(.permissionDenied,
                     try Token.verify(token, secret: Data(repeating: 7, count: 32), logID: "log-1",
                                      currentEpoch: 4, required: .read))
        assertThrows(.malformed,
                     try Token.verify(Data("x".utf8), secret: secret, logID: "log-1", currentEpoch: 4,
                                      required: .read))
        // Every single-bit edit of the token fails to verify.
        for i in 0..<token.count {
            var edited = token
            edited[edited.startIndex + i] ^= 1
            XCTAssertThrowsError(try Token.verify(edited, secret: secret, logID: "log-1", currentEpoch: 4,
                                                  required: .read), "byte \(i)") { error in
                let code = (error as? WeftError)?.code
                XCTAssertTrue([.malformed, .permissionDenied, .staleEpoch].contains(code), "byte \(i): \(error)")
            }
        }
        let admin = try Token.issue(secret: secret, logID: "log-1", epoch: 4, scope: .admin)
        XCTAssertEqual(try Token.verify(admin, secret: secret, logID: "log-1", currentEpoch: 4, required: .append).scope,
                       .admin)
        XCTAssertEqual(Scope(rawValue: Scope.append.rawValue), .append)
        XCTAssertEqual(Scope(rawValue: 9), .unknown(9))
    }

    func testPeerStateIsRecordedAndTheAckedCursorNeverMovesBack() throws {
        let log = try memoryLog(12)
        try appendN(log, 5, "p")
        XCTAssertEqual(try log.peer("never"), PeerState())
        XCTAssertEqual(try log.recordPeer("replica-b", PeerState(ackedCursor: 5)), PeerState(ackedCursor: 5))
        let stored = try log.recordPeer("replica-b", PeerState(ackedCursor: 2, attempts: 3, nextAttemptMs: 1000))
        XCTAssertEqual(stored, PeerState(ackedCursor: 5, attempts: 3, nextAttemptMs: 1000))
        XCTAssertEqual(try log.peer("replica-b"), stored)
        XCTAssertLessThanOrEqual(stored.retryWaitMs(nowWallMs: 900, baseMs: 100, maxMs: 10_000), 100)
        XCTAssertEqual(stored.retryWaitMs(nowWallMs: 5000, baseMs: 100, maxMs: 10_000), 0, "due")
        XCTAssertEqual(PeerState().retryWaitMs(nowWallMs: 0, baseMs: 1, maxMs: 1), 0)
        assertThrows(.invalidArgument, try log.recordPeer("replica-b", PeerState(ackedCursor: 999)))
        XCTAssertEqual(try log.peer("replica-b").ackedCursor, 5)
    }

    func testArgumentErrors() throws {
        let log = try memoryLog(13)
        assertThrows(.invalidArgument, try log.peer(""))
        assertThrows(.invalidArgument, try log.peer(String(repeating: "p", count: 257)))
        assertThrows(.invalidArgument, try log.peer("nul\0byte"))
        assertThrows(.invalidArgument, try log.recordPeer("", PeerState()))
        var options = Session.Options()
        options.window = 0
        assertThrows(.invalidArgument, try Session.connect(log, options: options))
        options = Session.Options()
        options.maxBatchOps = 0
        assertThrows(.invalidArgument, try Session.accept(log, options: options))
        assertThrows(.invalidArgument, try Session.connect(log, options: Session.Options(peer: "a\0b")))
        assertThrows(.invalidArgument,
                     try Session.connect(log, options: Session.Options(logID: String(repeating: "x", count: 257))))
        assertThrows(.invalidArgument,
                     try Session.connect(log, options: Session.Options(token: Data(count: 4097))))
        assertThrows(.invalidArgument, try Token.issue(secret: Data(count: 32), logID: "", epoch: 0, scope: .read))
        assertThrows(.invalidArgument,
                     try Token.issue(secret: Data(count: 32), logID: "log", epoch: 0, scope: .unknown(9)))
        assertThrows(.invalidArgument, try Token.issue(secret: Data(count: 31), logID: "log", epoch: 0, scope: .read))
        assertThrows(.invalidArgument,
                     try Token.verify(Data(), secret: Data(count: 32), logID: "log", currentEpoch: 0,
                                      required: .unknown(0)))
        assertThrows(.invalidArgument, try LogHost(masterKey: Data(count: 32), directory: "/no/such/directory"))
        assertThrows(.invalidArgument, try LogHost(masterKey: Data(count: 16)))
        let host = try LogHost(masterKey: Data(count: 32))
        assertThrows(.invalidArgument, try host.issue(logID: "", scope: .read))
        assertThrows(.invalidArgument, try host.issue(logID: "log", scope: .unknown(0)))
        assertThrows(.invalidArgument, try host.revoke(logID: ""))
        options = Session.Options()
        options.window = 0
        assertThrows(.invalidArgument, try host.accept(options: options))
        assertThrows(.malformed, try host.redeem(logID: "log", token: Data("not a token".utf8)))

        // A message that is not one fails the session; it then tells the peer.
        let session = try Session.accept(log)
        assertThrows(.malformed, try session.receive(Data("garbage".utf8)))
        XCTAssertEqual(session.state, .failed)
        XCTAssertNotNil(session.nextMessage(), "the Error message for the peer")
        XCTAssertNil(session.nextMessage())
    }
}
