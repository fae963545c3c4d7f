import Foundation
import Weft
import XCTest

/// Handles of every kind, created and released in an order unrelated to
/// their creation: child handles (iterators) outlive their logs, and
/// nothing crashes, leaks into another handle or double-frees.
final class HandleTests: XCTestCase {
    func testTwentyThousandHandlesReleasedInMixedOrder() throws {
        // Logs holding ops are few (each costs libweft's memory store a
        // 1 MiB arena block); the many logs are empty.
        var sources = [Log]()
        for byte in UInt8(1)...8 {
            let log = try memoryLog(byte)
            for i in 0..<3 { try log.append(Data("op \(i)".utf8)) }
            sources.append(log)
        }
        let batch = try sources[0].diff()[0]
        let ackBytes = try sources[1].apply(batch).encoded()

        var host: LogHost? = try LogHost(masterKey: Data(repeating: 7, count: 32))

        // Six handles per round: an empty log, an iterator (on it or on a
        // source log), an ack, a builder, a decoded ack, and a session (on
        // the empty log, or a host's).
        let rounds = 4000
        var handles = [Any]()
        handles.reserveCapacity(rounds * 6 + sources.count + 1)
        handles.append(contentsOf: sources as [Any])
        for round in 0..<rounds {
            let log = try memoryLog(UInt8(truncatingIfNeeded: round))
            let source = sources[round % sources.count]
            let iterator = (round % 3 == 0 ? log : source).read().makeIterator()
            if round % 2 == 0 { _ = iterator.next() }  // some started, some not
            let builder = try BatchBuilder()
            builder.addOp(id: OpID(actor: log.actor, counter: 1), lamport: 1)
            handles.append(log)
            handles.append(iterator)
            handles.append(try source.apply(batch))
            handles.append(builder)
            handles.append(try Ack(decoding: ackBytes))
            handles.append(round % 4 == 0 ? try host!.accept() : try Session.connect(log))
        }
        handles.append(host!)
        host = nil
        sources.removeAll()
        XCTAssertEqual(handles.count, 24_009)

        var rng = SplitMix64(state: 20_000)
        handles.shuffle(using: &rng)
        var released = 0
        while let handle = handles.popLast() {
            // Use each handle before releasing it: its parent may be gone already.
            switch handle {
            case let iterator as Log.Ops.Iterator:
                while let op = iterator.next() { XCTAssertEqual(op.payload.count, 4) }
                XCTAssertNil(iterator.error)
            case let ack as Ack:
                XCTAssertEqual(ack.applied.count + ack.duplicates.count, 3)
            case let builder as BatchBuilder:
                XCTAssertEqual(try Batch(decoding: builder.finish()).ops.count, 1)
            case let log as Log:
                XCTAssertTrue([0, 3, 6].contains(log.cursor), "cursor \(log.cursor)")
            case let session as Session:
                _ = session.nextMessage()  // an initiator's Hello; a host's session waits
                XCTAssertEqual(session.state, .handshake)
            case let host as LogHost:
                XCTAssertEqual(try host.issue(logID: "log", scope: .read).isEmpty, false)
            default:
                XCTFail("unexpected \(type(of: handle))")
            }
            released += 1
        }
        XCTAssertEqual(released, 24_009)
    }
}
