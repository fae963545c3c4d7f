import CWeft
import Foundation
import Weft
import XCTest

final class ErrorAndVersionTests: XCTestCase {
    func testCodesAreTheHeadersValues() {
        XCTAssertEqual(WeftError.Code.known.count, 20)
        for (value, code) in WeftError.Code.known.enumerated() {
            XCTAssertEqual(code.rawValue, Int32(value))
            XCTAssertEqual(WeftError.Code(rawValue: Int32(value)), code)
            XCTAssertEqual(code.name, String(cString: weft_status_name(Int32(value))))
            XCTAssertEqual(code.isRetryable, weft_status_retryable(Int32(value)) != 0)
        }
        XCTAssertEqual(WeftError.Code.conflict.rawValue, Int32(WEFT_CONFLICT.rawValue))
        XCTAssertEqual(WeftError.Code.staleEpoch.rawValue, Int32(WEFT_STALE_EPOCH.rawValue))
        XCTAssertEqual(WeftError.Code.internal.rawValue, Int32(WEFT_INTERNAL.rawValue))
        XCTAssertEqual(WeftError.Code.staleEpoch.name, "STALE_EPOCH")
        XCTAssertEqual(WeftError.Code(rawValue: 99), .unknown(99))
        XCTAssertEqual(WeftError.Code(rawValue: -1).name, "UNKNOWN")
        XCTAssertEqual(WeftError.Code(rawValue: 99).description, "UNKNOWN(99)")
        XCTAssertEqual(WeftError.Code.known.filter(\.isRetryable),
                       [.missingDependency, .timeout, .busy, .ioError, .resourceExhausted])
    }

    func testErrorDescriptionNamesCodeAndMessage() throws {
        let log = try memoryLog(1)
        do {
            try log.apply(Data([1]))
            XCTFail("expected malformed")
        } catch let error as WeftError {
            XCTAssertEqual(error.code, .malformed)
            XCTAssertTrue(error.description.hasPrefix("MALFORMED: "), error.description)
        }
    }

    func testHeaderAndLibraryVersionsAgree() {
        XCTAssertEqual(WeftLibrary.headerVersionNumber, UInt32(WEFT_VERSION_NUMBER))
        XCTAssertEqual(WeftLibrary.versionNumber, WeftLibrary.headerVersionNumber)
        XCTAssertTrue(WeftLibrary.isCompatible)
        let parts = WeftLibrary.version.split(separator: ".").compactMap { UInt32($0) }
        XCTAssertEqual(parts.count, 3)
        XCTAssertEqual(parts[0] * 10000 + parts[1] * 100 + parts[2], WeftLibrary.versionNumber)
    }

    func testActorIDs() {
        let hex = "101112131415161718191a1b1c1d1e1f"
        let id = ActorID(hex: hex)!
        XCTAssertEqual(id.hex, hex)
        XCTAssertEqual(id.bytes, Array(0x10...0x1f))
        XCTAssertEqual(ActorID(bytes: id.bytes), id)
        XCTAssertNil(ActorID(hex: "1011"))
        XCTAssertNil(ActorID(hex: String(repeating: "zz", count: 16)))
        XCTAssertNil(ActorID(bytes: [UInt8](repeating: 0, count: 15)))
        XCTAssertLessThan(actor(1), actor(2))
        XCTAssertLessThan(ActorID(hex: "00ff" + String(repeating: "0", count: 28))!,
                          ActorID(hex: "0100" + String(repeating: "0", count: 28))!)
        XCTAssertEqual(OpID(actor: id, counter: 7).description, "\(hex):7")
        XCTAssertNotEqual(ActorID.random(), ActorID.random())
    }
}
