import Foundation
import Weft
import XCTest

/// The golden vectors: $WEFT_VECTORS_DIR, else tests/vectors of this checkout.
let vectorsDirectory: URL = {
    if let dir = ProcessInfo.processInfo.environment["WEFT_VECTORS_DIR"], !dir.isEmpty {
        return URL(fileURLWithPath: dir, isDirectory: true)
    }
    return URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // WeftTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // swift
        .deletingLastPathComponent()  // bindings
        .deletingLastPathComponent()  // the checkout
        .appendingPathComponent("tests/vectors", isDirectory: true)
}()

/// An actor whose 16 bytes are all `byte`.
func actor(_ byte: UInt8) -> ActorID {
    ActorID(bytes: [UInt8](repeating: byte, count: 16))!
}

/// An in-memory log appending as `actor(byte)`.
func memoryLog(_ byte: UInt8) throws -> Log {
    try Log(options: Log.Options(actor: actor(byte)))
}

/// Runs `body`, which must throw a `WeftError` with `code`; returns it.
@discardableResult
func assertThrows<T>(_ code: WeftError.Code, _ body: @autoclosure () throws -> T,
                     file: StaticString = #filePath, line: UInt = #line) -> WeftError? {
    do {
        _ = try body()
        XCTFail("expected \(code), nothing was thrown", file: file, line: line)
    } catch let error as WeftError {
        XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected a WeftError, got \(error)", file: file, line: line)
    }
    return nil
}

/// Sends every op `from` has and `to` lacks through the wire format.
@discardableResult
func sync(into to: Log, from: Log) throws -> [Ack] {
    try from.diff(since: to.versionVector()).map { try to.apply($0) }
}

/// A deterministic generator, so a shuffled order can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Data {
    init(hexDigits: String) {
        var bytes = [UInt8]()
        var index = hexDigits.startIndex
        while index < hexDigits.endIndex {
            let next = hexDigits.index(index, offsetBy: 2)
            bytes.append(UInt8(hexDigits[index..<next], radix: 16)!)
            index = next
        }
        self.init(bytes)
    }

    var hexDigits: String { map { String(format: "%02x", $0) }.joined() }
}
