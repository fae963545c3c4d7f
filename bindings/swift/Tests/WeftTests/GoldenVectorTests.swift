import Foundation
import Weft
import XCTest

/// tests/vectors: every binding decodes the same bytes to the same content
/// and re-encodes them byte for byte (docs/format.md, "Golden vectors").
final class GoldenVectorTests: XCTestCase {
    struct VectorID: Decodable {
        let actor: String
        let counter: UInt64
    }

    struct VectorOp: Decodable {
        let actor: String
        let counter: UInt64
        let lamport: UInt64
        let kind: UInt32
        let timestampMs: Int64
        let deps: [VectorID]
        let payloadHex: String
    }

    struct BatchVector: Decodable {
        let type: String
        let batchId: UInt64
        let seq: UInt64
        let expectedCursor: UInt64?
        let epoch: UInt32
        let ops: [VectorOp]
    }

    struct VectorRejection: Decodable {
        let actor: String
        let counter: UInt64
        let code: String
    }

    struct AckVector: Decodable {
        let type: String
        let batchId: UInt64
        let seq: UInt64
        let status: String
        let cursor: UInt64
        let applied: [VectorID]
        let duplicates: [VectorID]
        let rejected: [VectorRejection]
    }

    struct ChunkVector: Decodable {
        let type: String
        let actor: String
        let index: UInt64
        let first: UInt64
        let last: UInt64
        let prevDigest: String
        let digest: String
        let ops: [VectorOp]
    }

    /// The vectors whose name starts with `prefix`: (name, bytes, JSON).
    func vectors<T: Decodable>(_ prefix: String, as type: T.Type) throws -> [(String, Data, T)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: vectorsDirectory.path)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".bin") }
            .map { String($0.dropLast(4)) }
            .sorted()
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try names.map { name in
            let bytes = try Data(contentsOf: vectorsDirectory.appendingPathComponent(name + ".bin"))
            let json = try Data(contentsOf: vectorsDirectory.appendingPathComponent(name + ".json"))
            return (name, bytes, try decoder.decode(T.self, from: json))
        }
    }

    func id(_ v: VectorID) -> OpID { OpID(actor: ActorID(hex: v.actor)!, counter: v.counter) }

    func assertOp(_ op: Op, equals v: VectorOp, _ context: String,
                  file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(op.id, OpID(actor: ActorID(hex: v.actor)!, counter: v.counter), context, file: file, line: line)
        XCTAssertEqual(op.lamport, v.lamport, context, file: file, line: line)
        XCTAssertEqual(op.kind, v.kind, context, file: file, line: line)
        XCTAssertEqual(op.timestampMs, v.timestampMs, context, file: file, line: line)
        XCTAssertEqual(op.deps, v.deps.map(id), context, file: file, line: line)
        XCTAssertEqual(op.payload, Data(hexDigits: v.payloadHex), context, file: file, line: line)
        XCTAssertEqual(op.cursor, 0, context, file: file, line: line)
        XCTAssertEqual(op.hash.count, 32, context, file: file, line: line)
    }

    func testEveryVectorIsOfAKnownKindAndHasItsJSON() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: vectorsDirectory.path)
        let bins = files.filter { $0.hasSuffix(".bin") }
        XCTAssertGreaterThanOrEqual(bins.count, 7, "vectors in \(vectorsDirectory.path)")
        for bin in bins {
            XCTAssertTrue(["batch_", "ack_", "chunk_"].contains { bin.hasPrefix($0) }, bin)
            XCTAssertTrue(files.contains(String(bin.dropLast(4)) + ".json"), bin)
        }
    }

    func testBatchesDecodeAndReencodeByteForByte() throws {
        let all = try vectors("batch_", as: BatchVector.self)
        XCTAssertFalse(all.isEmpty)
        for (name, bytes, v) in all {
            XCTAssertEqual(v.type, "batch", name)
            let batch = try Batch(decoding: bytes)
            XCTAssertEqual(batch.batchID, v.batchId, name)
            XCTAssertEqual(batch.seq, v.seq, name)
            XCTAssertEqual(batch.expectedCursor, v.expectedCursor, name)
            XCTAssertEqual(batch.epoch, v.epoch, name)
            XCTAssertEqual(batch.ops.count, v.ops.count, name)
            for (op, vop) in zip(batch.ops, v.ops) { assertOp(op, equals: vop, name) }

            // From the JSON's fields alone.
            let builder = try BatchBuilder()
            builder.setHeader(batchID: v.batchId, seq: v.seq, expectedCursor: v.expectedCursor, epoch: v.epoch)
            for op in v.ops {
                builder.addOp(id: OpID(actor: ActorID(hex: op.actor)!, counter: op.counter),
                              lamport: op.lamport, kind: op.kind, timestampMs: op.timestampMs,
                              deps: op.deps.map(id), payload: Data(hexDigits: op.payloadHex))
            }
            XCTAssertEqual(builder.finish(), bytes, "\(name): re-encoded from the JSON")
            // And from the decoded batch.
            XCTAssertEqual(try BatchBuilder(batch).finish(), bytes, "\(name): re-encoded from the decoded batch")
        }
    }

    func testAcksDecodeAndReencodeByteForByte() throws {
        let all = try vectors("ack_", as: AckVector.self)
        XCTAssertFalse(all.isEmpty)
        for (name, bytes, v) in all {
            XCTAssertEqual(v.type, "ack", name)
            let ack = try Ack(decoding: bytes)
            XCTAssertEqual(ack.batchID, v.batchId, name)
            XCTAssertEqual(ack.seq, v.seq, name)
            XCTAssertEqual(ack.status.name, v.status, name)
            XCTAssertEqual(ack.cursor, v.cursor, name)
            XCTAssertEqual(ack.applied, v.applied.map(id), name)
            XCTAssertEqual(ack.duplicates, v.duplicates.map(id), name)
            XCTAssertEqual(ack.rejected.map(\.id), v.rejected.map { OpID(actor: ActorID(hex: $0.actor)!, counter: $0.counter) }, name)
            XCTAssertEqual(ack.rejected.map(\.code.name), v.rejected.map(\.code), name)
            XCTAssertEqual(ack.encoded(), bytes, "\(name): re-encoded")
            XCTAssertEqual(try Ack(decoding: ack.encoded()), ack, name)
        }
    }

    func testAckVectorsCarryTypedCodes() throws {
        let mixed = try Ack(decoding: Data(contentsOf: vectorsDirectory.appendingPathComponent("ack_mixed.bin")))
        XCTAssertEqual(mixed.status, .ok)
        XCTAssertEqual(mixed.rejected.map(\.code), [.missingDependency, .missingDependency, .conflict])
        let stale = try Ack(decoding: Data(contentsOf: vectorsDirectory.appendingPathComponent("ack_stale_epoch.bin")))
        XCTAssertEqual(stale.status, .staleEpoch)
    }

    func testChunksDecodeVerifyAndAreCanonical() throws {
        let all = try vectors("chunk_", as: ChunkVector.self)
        XCTAssertFalse(all.isEmpty)
        for (name, bytes, v) in all {
            XCTAssertEqual(v.type, "chunk", name)
            let chunk = try Chunk(decoding: bytes)
            let expected = Seal(actor: ActorID(hex: v.actor)!, index: v.index, first: v.first, last: v.last,
                                previousDigest: Data(hexDigits: v.prevDigest), digest: Data(hexDigits: v.digest))
            XCTAssertEqual(chunk.seal, expected, name)
            XCTAssertEqual(chunk.ops.count, v.ops.count, name)
            for (op, vop) in zip(chunk.ops, v.ops) { assertOp(op, equals: vop, name) }

            XCTAssertEqual(try Chunk.verify(bytes), expected, name)
            XCTAssertEqual(try Chunk.verify(bytes, expected: expected), expected, name)
            var wrong = expected
            wrong.digest[0] ^= 1
            assertThrows(.checksumMismatch, try Chunk.verify(bytes, expected: wrong))
            wrong = expected
            wrong.index += 1
            assertThrows(.checksumMismatch, try Chunk.verify(bytes, expected: wrong))
            wrong = expected
            wrong.previousDigest = Data(count: 31)
            assertThrows(.invalidArgument, try Chunk.verify(bytes, expected: wrong))
            assertThrows(.malformed, try Chunk.verify(bytes.dropLast()))
        }
    }

    func testChunkVectorsChainAndStoreInALog() throws {
        let first = try Data(contentsOf: vectorsDirectory.appendingPathComponent("chunk_first.bin"))
        let second = try Data(contentsOf: vectorsDirectory.appendingPathComponent("chunk_second.bin"))
        let firstSeal = try Chunk.verify(first)
        let secondSeal = try Chunk.verify(second)
        XCTAssertEqual(secondSeal.previousDigest, firstSeal.digest)

        let log = try memoryLog(0xAA)
        assertThrows(.notContiguous, try log.putChunk(second))
        XCTAssertEqual(try log.putChunk(first, expectedDigest: firstSeal.digest), firstSeal)
        XCTAssertEqual(try log.putChunk(first), firstSeal, "the same bytes again are OK")
        XCTAssertEqual(log.cursor, 3)
        XCTAssertEqual(try log.chunk(of: firstSeal.actor, index: 0), first)
        // chunk_second depends on 2021...2f:1, which this log does not hold.
        assertThrows(.missingDependency, try log.putChunk(second))
        XCTAssertEqual(log.cursor, 3)
    }

    func testBatchVectorsApply() throws {
        let single = try Data(contentsOf: vectorsDirectory.appendingPathComponent("batch_single_actor.bin"))
        let log = try memoryLog(0xAA)
        let ack = try log.apply(single)
        XCTAssertEqual(ack.applied.count, 5)
        XCTAssertEqual(ack.cursor, 5)
        XCTAssertEqual(try log.readAll().map(\.payload), (1...5).map { Data("hello \($0)".utf8) })

        // Epoch 2, expecting cursor 2: the batch is refused until the log is at epoch 2.
        let multi = try Data(contentsOf: vectorsDirectory.appendingPathComponent("batch_multi_actor_deps.bin"))
        let fresh = try memoryLog(0xAB)
        assertThrows(.permissionDenied, try fresh.apply(multi))
        try fresh.setEpoch(2)
        let mismatch = try fresh.apply(multi)
        XCTAssertEqual(mismatch.applied, [])
        XCTAssertEqual(Set(mismatch.rejected.map(\.code)), [.cursorMismatch])
    }
}
