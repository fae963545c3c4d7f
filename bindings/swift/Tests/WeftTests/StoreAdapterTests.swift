import Foundation
import Weft
import XCTest

/// A storage adapter written in Swift (MemoryKeyValueStore) through the C
/// ABI's key-value callback table: the conformance kit, and a real log.
final class StoreAdapterTests: XCTestCase {
    func testSwiftAdapterPassesTheConformanceKit() throws {
        var stores = [MemoryKeyValueStore]()
        let results = try StoreConformance.run {
            let store = MemoryKeyValueStore()
            stores.append(store)
            return store
        }
        XCTAssertEqual(results.map(\.scenario), [
            "atomicity_under_injected_failure", "chunk_immutability", "range_read_ordering",
            "durability_across_reopen", "two_writers", "corruption_detected",
        ])
        for result in results {
            XCTAssertEqual(result.outcome, .pass, "\(result)")
            XCTAssertEqual(result.diagnostic, "", result.scenario)
        }
        print("conformance (\(stores.count) databases): \(results)")
        XCTAssertGreaterThanOrEqual(stores.count, 6, "one fresh database per scenario")
        XCTAssertEqual(stores.map(\.openConnections), Array(repeating: 0, count: stores.count),
                       "every connection released")
    }

    func testABrokenSwiftAdapterFailsAtomicity() throws {
        let results = try StoreConformance.run(scenario: "atomicity_under_injected_failure") {
            MemoryKeyValueStore(keepsWritesOnRollback: true)
        }
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(results.first?.outcome, .fail)
        XCTAssertFalse(results.first?.diagnostic.isEmpty ?? true)
    }

    func testUnknownScenarioIsAnInvalidArgument() {
        assertThrows(.invalidArgument, try StoreConformance.run(scenario: "no_such_scenario") {
            MemoryKeyValueStore()
        })
    }

    func testALogLivesInTheSwiftAdapterAcrossReopen() throws {
        let store = MemoryKeyValueStore()
        let digest: Data
        do {
            let log = try Log(store: store, options: Log.Options(actor: actor(0x5A)))
            XCTAssertEqual(store.openConnections, 1)
            try log.append(Data("kept".utf8))
            try log.append(Data("here".utf8), kind: 2)
            try log.setEpoch(3)
            try log.seal(through: 2)
            digest = try log.digest()
        }
        XCTAssertEqual(store.openConnections, 0, "the log's connection is released with it")

        let log = try Log(store: store)
        XCTAssertEqual(log.actor, actor(0x5A))
        XCTAssertEqual(log.cursor, 2)
        XCTAssertEqual(log.epoch, 3)
        XCTAssertEqual(try log.digest(), digest)
        XCTAssertEqual(try log.verify(), VerifyReport(ops: 2, chunks: 1))
        XCTAssertEqual(try log.readAll().map(\.payload), [Data("kept".utf8), Data("here".utf8)])

        // It converges with a log of another store like any other.
        let peer = try memoryLog(0x11)
        try peer.append(Data("peer".utf8))
        try log.merge(peer)
        try peer.merge(log)
        XCTAssertEqual(try log.digest(), try peer.digest())
    }

    func testASessionKeepsALogInTheSwiftAdapterAlive() throws {
        let store = MemoryKeyValueStore()
        var log: Log? = try Log(store: store, options: Log.Options(actor: actor(0x5A)))
        try log!.append(Data("kept".utf8))
        try log!.append(Data("here".utf8))
        let peer = try memoryLog(0x11)
        try peer.append(Data("peer".utf8))

        // The session outlives the log; the adapter runs inside receive.
        var ours: Session? = try Session.connect(log!, options: Session.Options(peer: "memory"))
        let theirs = try Session.accept(peer)
        log = nil
        pump(ours!, theirs)
        XCTAssertTrue(ours!.isDone && theirs.isDone)
        XCTAssertEqual([ours!.info.applied, theirs.info.applied], [1, 2])
        XCTAssertEqual(store.openConnections, 1, "the session holds the log's connection")
        ours = nil
        XCTAssertEqual(store.openConnections, 0, "released with the session")
        XCTAssertEqual(peer.cursor, 3)
        let reopened = try Log(store: store)
        XCTAssertEqual(reopened.cursor, 3)
        XCTAssertEqual(try reopened.peer("memory").ackedCursor, 2, "the outbox state is in the adapter")
    }

    func testAdapterErrorsSurfaceAsTheirCodes() throws {
        let store = MemoryKeyValueStore()
        let log = try Log(store: store, options: Log.Options(actor: actor(0x5A)))
        try log.append(Data("one".utf8))

        struct DiskFull: Error {}
        store.putFailure = WeftError(code: .busy, message: "injected")
        assertThrows(.busy, try log.append(Data("two".utf8)))
        store.putFailure = DiskFull()
        assertThrows(.ioError, try log.append(Data("two".utf8)))
        XCTAssertEqual(log.cursor, 1, "the failed transactions were rolled back")

        store.putFailure = nil
        try log.append(Data("two".utf8))
        XCTAssertEqual(log.cursor, 2)
        XCTAssertEqual(try log.verify().ops, 2)
    }

    func testAdapterErrorMessagesReachTheCaller() throws {
        let store = MemoryKeyValueStore()
        let log = try Log(store: store, options: Log.Options(actor: actor(0x5A)))
        try log.append(Data("one".utf8))

        // A WeftError: its code and its message, prefixed with what weft was doing.
        store.putFailure = WeftError(code: .ioError, message: "disk full at block 7")
        let diskFull = assertThrows(.ioError, try log.append(Data("two".utf8)))
        XCTAssertEqual(diskFull?.message, "kv adapter: put: disk full at block 7")
        XCTAssertTrue(diskFull?.description.hasSuffix("disk full at block 7") ?? false, "\(diskFull as Any)")

        store.putFailure = WeftError(code: .busy, message: "locked by pid 42")
        let busy = assertThrows(.busy, try log.append(contentsOf: [Log.AppendRequest(Data("x".utf8))]))
        XCTAssertTrue(busy?.message.contains("locked by pid 42") ?? false, "\(busy as Any)")
        XCTAssertTrue(busy?.isRetryable ?? false)

        // Any other error: ioError with its description; line breaks become "; ".
        struct QuotaExceeded: Error, CustomStringConvertible {
            var description: String { "quota of tenant 9 exceeded\nretry tomorrow" }
        }
        store.putFailure = QuotaExceeded()
        let quota = assertThrows(.ioError, try log.append(Data("two".utf8)))
        XCTAssertTrue(quota?.message.contains("quota of tenant 9 exceeded; retry tomorrow") ?? false,
                      "\(quota as Any)")

        // A message is for the failure it was set for, never a later one.
        store.putFailure = nil
        try log.append(Data("two".utf8))
        assertThrows(.malformed, try log.apply(Data([1])))
        XCTAssertEqual(log.cursor, 2)
    }
}
