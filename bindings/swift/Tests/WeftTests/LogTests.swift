import Foundation
import Weft
import XCTest

final class LogTests: XCTestCase {
    func testAppendReadGetAndHeads() throws {
        let log = try memoryLog(1)
        XCTAssertEqual(log.actor, actor(1))
        XCTAssertEqual(log.cursor, 0)
        XCTAssertEqual(log.heads(), [])
        let a = try log.append(Data("one".utf8), kind: 7)
        let b = try log.append([0x74, 0x77, 0x6f])
        let c = try log.append(Data())
        XCTAssertEqual([a, b, c].map(\.counter), [1, 2, 3])
        XCTAssertEqual(log.cursor, 3)
        XCTAssertEqual(log.heads(), [c])

        let ops = Array(log.read())
        XCTAssertEqual(ops.map(\.id), [a, b, c])
        XCTAssertEqual(ops.map(\.cursor), [1, 2, 3])
        XCTAssertEqual(ops.map(\.kind), [7, 0, 0])
        XCTAssertEqual(ops.map(\.payload), [Data("one".utf8), Data("two".utf8), Data()])
        XCTAssertEqual(ops[1].deps, [], "the actor's previous op is an implicit dependency")
        XCTAssertEqual(ops.map(\.lamport), [1, 2, 3])
        XCTAssertTrue(ops.allSatisfy { $0.hash.count == 32 })
        XCTAssertEqual(Set(ops.map(\.hash)).count, 3)
        XCTAssertEqual(Array(log.read(from: 2, max: 1)).map(\.id), [b])
        XCTAssertEqual(try log.readAll(from: 3), [ops[2]])
        XCTAssertEqual(Array(log.read(from: 4)), [])

        XCTAssertEqual(try log.get(b), ops[1])
        XCTAssertNil(try log.get(OpID(actor: actor(1), counter: 4)))
        XCTAssertNil(try log.get(OpID(actor: actor(9), counter: 1)))
        XCTAssertEqual(try log.verify(), VerifyReport(ops: 3, chunks: 0))

        // Another actor's op becomes a head, and the next append depends on it.
        let peer = try memoryLog(9)
        let p = try peer.append(Data("peer".utf8))
        try log.merge(peer)
        XCTAssertEqual(log.heads(), [c, p])
        let d = try log.append(Data("after".utf8))
        XCTAssertEqual(try log.get(d)?.deps, [p])
        XCTAssertEqual(log.heads(), [d])
    }

    func testAppendWithDepsTimestampsAndAllOrNone() throws {
        let log = try memoryLog(2)
        try log.append(Data("root".utf8), kind: 1, dependsOn: [], timestampMs: 1_767_225_600_000)
        try log.append(Data("other".utf8), dependsOn: [], timestampMs: -1)
        let peer = try memoryLog(9)
        let q = try peer.append(Data("peer".utf8))
        try log.merge(peer)

        let ids = try log.append(contentsOf: [
            Log.AppendRequest(Data("x".utf8), kind: 3, dependsOn: [q], timestampMs: 5),
            Log.AppendRequest([0x79], kind: 4),
        ])
        XCTAssertEqual(ids, [OpID(actor: actor(2), counter: 3), OpID(actor: actor(2), counter: 4)])
        let ops = try log.readAll()
        XCTAssertEqual(ops.map(\.id), [OpID(actor: actor(2), counter: 1), OpID(actor: actor(2), counter: 2), q] + ids)
        XCTAssertEqual(ops.map(\.timestampMs)[0..<2], [1_767_225_600_000, -1])
        XCTAssertEqual(ops[3].timestampMs, 5)
        XCTAssertEqual(ops.map(\.kind), [1, 0, 0, 3, 4])
        XCTAssertEqual(ops[3].deps, [q])
        XCTAssertGreaterThan(ops[3].lamport, ops[2].lamport)
        XCTAssertEqual(ops[4].deps, [])
        XCTAssertEqual(log.heads(), [ids[1]])

        // `[]` means no dependency, `nil` the heads.
        let p2 = try peer.append(Data("peer 2".utf8))
        try log.merge(peer)
        let independent = try log.append(Data("independent".utf8), dependsOn: [])
        XCTAssertEqual(try log.get(independent)?.deps, [])
        XCTAssertEqual(log.heads(), [independent, p2])

        // A missing dependency refuses the whole call: nothing is appended.
        let missing = OpID(actor: actor(7), counter: 1)
        let before = log.cursor
        assertThrows(.missingDependency, try log.append(contentsOf: [
            Log.AppendRequest(Data("fine".utf8)),
            Log.AppendRequest(Data("orphan".utf8), dependsOn: [missing]),
        ]))
        assertThrows(.missingDependency, try log.append(Data("orphan".utf8), dependsOn: [missing]))
        assertThrows(.invalidArgument, try log.append(Data("self".utf8), dependsOn: [OpID(actor: actor(2), counter: 7)]))
        XCTAssertEqual(log.cursor, before)
        XCTAssertEqual(try log.append(contentsOf: []), [])
    }

    func testTwoLogsConvergeByExchangingDiffsBothWays() throws {
        let laptop = try memoryLog(0x11)
        let server = try memoryLog(0x22)
        for i in 0..<50 {
            try laptop.append(Data("laptop \(i)".utf8), kind: 1)
            if i % 3 == 0 { try server.append(Data("server \(i)".utf8), kind: 2) }
        }
        try sync(into: server, from: laptop)
        try sync(into: laptop, from: server)
        XCTAssertEqual(try laptop.digest(), try server.digest())
        XCTAssertEqual(try laptop.digest().count, 32)
        XCTAssertEqual(try laptop.canonicalOrder(), try server.canonicalOrder())
        XCTAssertEqual(try laptop.canonicalOrder().count, 67)
        XCTAssertEqual(laptop.heads(), server.heads())
        XCTAssertEqual(laptop.cursor, 67)
        XCTAssertEqual(server.cursor, 67)
        XCTAssertEqual(laptop.versionVector(), server.versionVector())
        XCTAssertEqual(try laptop.diff(since: server.versionVector()), [])

        // Small batches converge too, and a third replica catches up from nothing.
        let third = try memoryLog(0x33)
        let batches = try laptop.diff(maxOpsPerBatch: 10)
        XCTAssertEqual(batches.count, 7)
        for batch in batches { try third.apply(batch) }
        XCTAssertEqual(try third.digest(), try laptop.digest())
        XCTAssertEqual(try third.canonicalOrder(), try laptop.canonicalOrder())
    }

    func testMergeInProcess() throws {
        let a = try memoryLog(0x11)
        let b = try memoryLog(0x22)
        try a.append(Data("a".utf8))
        try b.append(Data("b1".utf8))
        try b.append(Data("b2".utf8))
        XCTAssertEqual(try a.merge(b), 2)
        XCTAssertEqual(try b.merge(a), 1)
        XCTAssertEqual(try a.merge(b), 0)
        XCTAssertEqual(try a.digest(), try b.digest())
        XCTAssertEqual(try a.merge(a), 0)
    }

    func testRetryAfterALostAckReportsDuplicates() throws {
        let client = try memoryLog(0x11)
        let server = try memoryLog(0x22)
        for i in 0..<3 { try client.append(Data("msg \(i)".utf8)) }
        let batches = try client.diff(since: server.versionVector())
        XCTAssertEqual(batches.count, 1)

        let first = try server.apply(batches[0])
        XCTAssertEqual(first.applied.count, 3)
        XCTAssertEqual(first.cursor, 3)
        // The ack is lost; the client sends the same batch again.
        let retry = try server.apply(batches[0])
        XCTAssertEqual(retry.applied, [])
        XCTAssertEqual(retry.duplicates, first.applied)
        XCTAssertEqual(retry.rejected, [])
        XCTAssertEqual(retry.cursor, 3)
        XCTAssertEqual(server.cursor, 3)
        XCTAssertEqual(try Ack(decoding: retry.encoded()), retry)
    }

    func testConflictAndMissingDependencyAreRejectedWithTypedCodes() throws {
        let log = try memoryLog(0x11)
        let original = try log.get(log.append(Data("original".utf8)))!

        let builder = try BatchBuilder()
        builder.setHeader(batchID: 9, seq: 4)
        // Same id, other content: equivocation.
        builder.addOp(id: original.id, lamport: original.lamport, kind: original.kind,
                      timestampMs: original.timestampMs, payload: Data("forged".utf8))
        // Counter 3 of a new actor, without 1 and 2.
        builder.addOp(id: OpID(actor: actor(0x44), counter: 3), lamport: 1, payload: Data("early".utf8))
        let ack = try log.apply(builder.finish())
        XCTAssertEqual(ack.batchID, 9)
        XCTAssertEqual(ack.seq, 4)
        XCTAssertEqual(ack.status, .ok)
        XCTAssertEqual(ack.applied, [])
        XCTAssertEqual(ack.rejected, [
            Ack.Rejection(id: original.id, code: .conflict),
            Ack.Rejection(id: OpID(actor: actor(0x44), counter: 3), code: .missingDependency),
        ])
        XCTAssertFalse(ack.rejected[0].code.isRetryable)
        XCTAssertTrue(ack.rejected[1].code.isRetryable)
        XCTAssertEqual(try log.get(original.id)?.payload, Data("original".utf8))
    }

    func testCompareAndAppendMismatch() throws {
        let log = try memoryLog(0x11)
        try log.append(Data("x".utf8))
        let builder = try BatchBuilder()
        builder.setHeader(expectedCursor: 0)
        builder.addOp(id: OpID(actor: actor(0x55), counter: 1), lamport: 1)
        let ack = try log.apply(builder.finish())
        XCTAssertEqual(ack.rejected.map(\.code), [.cursorMismatch])
        XCTAssertEqual(log.cursor, 1)
        builder.setHeader(expectedCursor: 1)
        XCTAssertEqual(try log.apply(builder.finish()).applied, [OpID(actor: actor(0x55), counter: 1)])
    }

    func testStaleEpochThrowsWithTheRefusingAck() throws {
        let server = try memoryLog(0x22)
        XCTAssertEqual(server.epoch, 0)
        try server.setEpoch(2)
        XCTAssertEqual(server.epoch, 2)
        assertThrows(.invalidArgument, try server.setEpoch(1))

        let builder = try BatchBuilder()
        builder.addOp(id: OpID(actor: actor(0x11), counter: 1), lamport: 1)
        builder.setHeader(batchID: 8, seq: 4, epoch: 1)
        let stale = assertThrows(.staleEpoch, try server.apply(builder.finish()))
        XCTAssertEqual(stale?.ack?.status, .staleEpoch)
        XCTAssertEqual(stale?.ack?.batchID, 8)
        XCTAssertEqual(stale?.ack?.cursor, 0, "a refusal discloses nothing")
        XCTAssertEqual(stale?.ack?.applied, [])
        XCTAssertEqual(stale.map { try? Ack(decoding: $0.ack!.encoded()).status }, .staleEpoch)
        XCTAssertFalse(stale?.isRetryable ?? true)

        builder.setHeader(epoch: 3)
        assertThrows(.permissionDenied, try server.apply(builder.finish()))
        XCTAssertEqual(server.cursor, 0)
        builder.setHeader(epoch: 2)
        XCTAssertEqual(try server.apply(builder.finish()).applied.count, 1)

        // A diff stamped with the default epoch 0 is stale for this server;
        // stamped with the server's epoch it applies.
        let client = try memoryLog(0x33)
        try client.append(Data("hello".utf8))
        let batch = try client.diff(since: server.versionVector())[0]
        XCTAssertEqual(try Batch(decoding: batch).epoch, 0)
        assertThrows(.staleEpoch, try server.apply(batch))
        let stamped = try client.diff(since: server.versionVector(), epoch: server.epoch)[0]
        XCTAssertEqual(try Batch(decoding: stamped).epoch, server.epoch)
        XCTAssertEqual(try server.apply(stamped).applied.count, 1)
        // merge stamps the receiving log's epoch itself.
        try client.append(Data("again".utf8))
        XCTAssertEqual(try server.merge(client), 1)
    }

    func testMalformedInputIsATypedError() throws {
        let log = try memoryLog(0x11)
        let garbage = Data([1, 2, 3, 4, 5, 6, 7, 8])
        let error = assertThrows(.malformed, try log.apply(garbage))
        XCTAssertFalse(error?.message.isEmpty ?? true)
        XCTAssertNil(error?.ack)
        assertThrows(.malformed, try Batch(decoding: garbage))
        assertThrows(.malformed, try Ack(decoding: garbage))
        assertThrows(.malformed, try Chunk(decoding: garbage))
        assertThrows(.malformed, try log.diff(since: garbage))
        assertThrows(.malformed, try log.apply(Data()))
    }

    func testSealChunksAndMoveThemToAnotherLog() throws {
        let writer = try memoryLog(0x11)
        for i in 1...5 { try writer.append(Data("op \(i)".utf8), timestampMs: Int64(i)) }
        let seal = try writer.seal(through: 3)
        XCTAssertEqual(seal.actor, writer.actor)
        XCTAssertEqual([seal.index, seal.first, seal.last], [0, 1, 3])
        XCTAssertEqual(seal.previousDigest, Data(count: 32))
        XCTAssertEqual(try writer.seal(through: 3), seal, "sealing the same range again")
        assertThrows(.invalidArgument, try writer.seal(through: 2))
        assertThrows(.notFound, try writer.seal(through: 99))
        assertThrows(.checksumMismatch, try writer.seal(through: 5, expectedDigest: Data(count: 32)))
        assertThrows(.invalidArgument, try writer.seal(through: 5, expectedDigest: Data(count: 31)))
        let second = try writer.seal(through: 5, of: writer.actor)
        XCTAssertEqual(second.previousDigest, seal.digest)
        XCTAssertEqual(try writer.verify(), VerifyReport(ops: 5, chunks: 2))

        let bytes = try XCTUnwrap(try writer.chunk(of: writer.actor, index: 0))
        XCTAssertNil(try writer.chunk(of: writer.actor, index: 2))
        XCTAssertNil(try writer.chunk(of: actor(0x99), index: 0))
        XCTAssertEqual(try Chunk.verify(bytes, expected: seal), seal)
        let chunk = try Chunk(decoding: bytes)
        XCTAssertEqual(chunk.seal, seal)
        XCTAssertEqual(chunk.ops.map(\.payload), (1...3).map { Data("op \($0)".utf8) })

        let reader = try memoryLog(0x22)
        assertThrows(.checksumMismatch, try reader.putChunk(bytes, expectedDigest: second.digest))
        XCTAssertEqual(try reader.putChunk(bytes, expectedDigest: seal.digest), seal)
        XCTAssertEqual(reader.cursor, 3)
        let secondBytes = try XCTUnwrap(try writer.chunk(of: writer.actor, index: 1))
        XCTAssertEqual(try reader.putChunk(secondBytes), second)
        XCTAssertEqual(try reader.digest(), try writer.digest())
        XCTAssertEqual(try reader.verify(), VerifyReport(ops: 5, chunks: 2))
        // Other bytes for a sealed chunk.
        assertThrows(.immutableViolation, try reader.putChunk(otherChunk(index: 0)))
    }

    /// A valid chunk 0 of actor 0x11 with other content.
    private func otherChunk(index: UInt64) throws -> Data {
        let log = try memoryLog(0x11)
        for i in 1...3 { try log.append(Data("different \(i)".utf8)) }
        try log.seal(through: 3)
        return try XCTUnwrap(try log.chunk(of: actor(0x11), index: index))
    }

    /// A fresh directory for SQLite files, removed at the end of the test.
    private func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("weft-swift-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func testSQLiteLogPersists() throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("session.db").path

        let openOnly = Log.SQLiteOptions(create: false)
        assertThrows(.notFound, try Log(path: path, sqlite: openOnly))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "without create, opening never writes")

        let digest: Data
        let writer: ActorID
        do {
            let log = try Log(path: path)
            writer = log.actor
            try log.append(Data("persisted".utf8), kind: 3)
            try log.setEpoch(4)
            digest = try log.digest()
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "-weft"), "the writer fence beside the file")
        let reopened = try Log(path: path, sqlite: openOnly)
        XCTAssertEqual(reopened.actor, writer, "the actor is stored with the log")
        XCTAssertEqual(reopened.cursor, 1)
        XCTAssertEqual(reopened.epoch, 4)
        XCTAssertEqual(try reopened.digest(), digest)
        XCTAssertEqual(try reopened.readAll().map(\.payload), [Data("persisted".utf8)])

        // A second log in the same file, with every SQLite option set.
        let other = try Log(path: path, options: Log.Options(actor: actor(0x77)),
                            sqlite: Log.SQLiteOptions(synchronousFull: true, busyTimeoutMs: 100,
                                                      create: true, logName: "other"))
        XCTAssertEqual(other.cursor, 0)
        XCTAssertEqual(other.actor, actor(0x77))
        try other.append(Data("other".utf8))
        XCTAssertEqual(reopened.cursor, 1, "another log of the file")
        XCTAssertEqual(try Log(path: path, sqlite: .init(create: false, logName: "other")).cursor, 1)

        let junk = dir.appendingPathComponent("junk.db").path
        try Data(repeating: 0x5A, count: 4096).write(to: URL(fileURLWithPath: junk))
        assertThrows(.corrupt, try Log(path: junk))
    }

    func testSQLiteSpecialNamesAndBadPaths() throws {
        // An empty path, ":memory:" and "file:" URIs only with allowsSpecialNames.
        assertThrows(.invalidArgument, try Log(path: ""))
        assertThrows(.invalidArgument, try Log(path: ":memory:"))
        assertThrows(.invalidArgument, try Log(path: "file:weft-swift-test.db?mode=memory"))
        assertThrows(.invalidArgument, try Log(path: "a\0b.db"))
        assertThrows(.invalidArgument, try Log(path: ":memory:", sqlite: .init(allowsSpecialNames: true, logName: "x\0y")))

        let log = try Log(path: ":memory:", options: Log.Options(actor: actor(0x31)),
                          sqlite: .init(allowsSpecialNames: true))
        XCTAssertEqual(log.actor, actor(0x31))
        try log.append(Data("in memory".utf8))
        XCTAssertEqual(try log.verify().ops, 1)
    }

    func testACopiedSQLiteFileAppendsUnderAFreshWriter() throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("original.db").path
        let copy = dir.appendingPathComponent("copy.db").path
        let writer: ActorID
        do {
            let log = try Log(path: path)
            writer = log.actor
            try log.append(Data("before the copy".utf8))
        }
        try FileManager.default.copyItem(atPath: path, toPath: copy)  // the db, not its fence

        let copied = try Log(path: copy)
        XCTAssertEqual(copied.cursor, 1)
        XCTAssertNotEqual(copied.actor, writer, "a copy must not mint the original's ids")
        let id = try copied.append(Data("after the copy".utf8))
        XCTAssertEqual(id.actor, copied.actor)
        XCTAssertEqual(id.counter, 1)

        // The original keeps its writer, and the two converge.
        let original = try Log(path: path)
        XCTAssertEqual(original.actor, writer)
        try original.append(Data("original goes on".utf8))
        try original.merge(copied)
        try copied.merge(original)
        XCTAssertEqual(try original.digest(), try copied.digest())
        XCTAssertEqual(original.cursor, 3)
    }

    func testOptionsMirrorTheCDefaultsAndLimits() throws {
        let defaults = Log.Options()
        XCTAssertNil(defaults.actor)
        XCTAssertNil(defaults.autoSealOps)
        XCTAssertEqual(defaults.maxOps, 1_048_576)
        XCTAssertEqual(defaults.maxPayloadBytes, 16 << 20)
        XCTAssertEqual(defaults.maxDepsPerOp, 1024)
        XCTAssertEqual(defaults.maxActors, 65536)
        XCTAssertEqual(defaults.maxMessageBytes, 256 << 20)

        let sqlite = Log.SQLiteOptions()
        XCTAssertNil(sqlite.logName)
        XCTAssertTrue(sqlite.create)
        XCTAssertFalse(sqlite.synchronousFull)
        XCTAssertFalse(sqlite.allowsSpecialNames)
        XCTAssertEqual(sqlite.busyTimeoutMs, 5000)
        let given = Log.SQLiteOptions(synchronousFull: true, busyTimeoutMs: 7, create: false,
                                      allowsSpecialNames: true, logName: "n")
        XCTAssertEqual([given.synchronousFull, given.create, given.allowsSpecialNames], [true, false, true])
        XCTAssertEqual(given.busyTimeoutMs, 7)
        XCTAssertEqual(given.logName, "n")

        var small = Log.Options()
        small.maxPayloadBytes = 4
        small.autoSealOps = 2
        let log = try Log(options: small)
        XCTAssertNotEqual(log.actor, try Log().actor, "random actors")
        assertThrows(.invalidArgument, try log.append(Data("too long".utf8)))
        for _ in 0..<4 { try log.append(Data("ok".utf8)) }
        XCTAssertEqual(try log.verify().chunks, 2, "auto-sealed every 2 ops")

        var bad = Log.Options()
        bad.maxMessageBytes = 63
        assertThrows(.invalidArgument, try Log(options: bad))
    }

    func testALogIsSharedAcrossThreads() throws {
        let log = try memoryLog(0x11)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<100 {
                do {
                    try log.append(Data("\(worker):\(i)".utf8))
                } catch {
                    XCTFail("\(error)")
                }
            }
        }
        XCTAssertEqual(log.cursor, 400)
        XCTAssertEqual(try log.verify().ops, 400)
        XCTAssertEqual(Set(try log.readAll().map(\.payload)).count, 400)
    }

    func testErrorsAreReadOnTheFailingThread() throws {
        let log = try memoryLog(0x11)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for _ in 0..<200 {
                do {
                    if worker % 2 == 0 {
                        try log.apply(Data([0xFF, 0xFF, 0xFF, 0xFF]))
                    } else {
                        try log.setEpoch(0)  // fine
                        try log.seal(through: 1, of: actor(UInt8(worker)))
                    }
                    XCTFail("expected a failure")
                } catch let error as WeftError {
                    XCTAssertEqual(error.code, worker % 2 == 0 ? .malformed : .notFound, "\(error)")
                    XCTAssertFalse(error.message.isEmpty)
                } catch {
                    XCTFail("\(error)")
                }
            }
        }
    }

    func testAnIteratorKeepsItsLogAliveAndStopsAtTheEnd() throws {
        var iterator: Log.Ops.Iterator
        do {
            let log = try memoryLog(0x11)
            for i in 0..<2000 { try log.append(Data("\(i)".utf8)) }
            iterator = log.read(from: 1000).makeIterator()
        }
        var count = 0
        while let op = try iterator.nextOp() {
            XCTAssertEqual(op.cursor, UInt64(1000 + count))
            count += 1
        }
        XCTAssertEqual(count, 1001)
        XCTAssertNil(iterator.next())
        XCTAssertNil(iterator.error)
    }
}
