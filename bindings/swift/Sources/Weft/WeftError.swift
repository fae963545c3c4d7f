internal import CWeft

/// A failure reported by libweft: one of the canonical status codes of
/// `weft.h` and a message naming what was wrong (which op, field, chunk or
/// file).
///
/// Every function of this module that throws, throws a `WeftError`. The
/// message is copied from `weft_last_error()` on the failing thread right
/// after the failing call, before any other weft call can overwrite it.
public struct WeftError: Error, Sendable, CustomStringConvertible {
    /// A canonical status code of `weft.h` (`weft_status_code`). The numeric
    /// values are the C ABI's and never change; `unknown` holds any value a
    /// newer library may add.
    public enum Code: Hashable, Sendable, CustomStringConvertible {
        case ok
        case invalidArgument
        case malformed
        case unsupportedVersion
        case checksumMismatch
        case immutableViolation
        case notContiguous
        case missingDependency
        case conflict
        case cursorMismatch
        case staleEpoch
        case permissionDenied
        case notFound
        case cancelled
        case timeout
        case busy
        case ioError
        case corrupt
        case resourceExhausted
        case `internal`
        /// A value this binding does not know (a newer libweft).
        case unknown(Int32)

        /// The code for a C status value.
        public init(rawValue: Int32) {
            self = Code.known.first { $0.rawValue == rawValue } ?? .unknown(rawValue)
        }

        /// The C status value (`WEFT_OK`, `WEFT_CONFLICT`, ...).
        public var rawValue: Int32 {
            let status: weft_status_code
            switch self {
            case .ok: status = WEFT_OK
            case .invalidArgument: status = WEFT_INVALID_ARGUMENT
            case .malformed: status = WEFT_MALFORMED
            case .unsupportedVersion: status = WEFT_UNSUPPORTED_VERSION
            case .checksumMismatch: status = WEFT_CHECKSUM_MISMATCH
            case .immutableViolation: status = WEFT_IMMUTABLE_VIOLATION
            case .notContiguous: status = WEFT_NOT_CONTIGUOUS
            case .missingDependency: status = WEFT_MISSING_DEPENDENCY
            case .conflict: status = WEFT_CONFLICT
            case .cursorMismatch: status = WEFT_CURSOR_MISMATCH
            case .staleEpoch: status = WEFT_STALE_EPOCH
            case .permissionDenied: status = WEFT_PERMISSION_DENIED
            case .notFound: status = WEFT_NOT_FOUND
            case .cancelled: status = WEFT_CANCELLED
            case .timeout: status = WEFT_TIMEOUT
            case .busy: status = WEFT_BUSY
            case .ioError: status = WEFT_IO_ERROR
            case .corrupt: status = WEFT_CORRUPT
            case .resourceExhausted: status = WEFT_RESOURCE_EXHAUSTED
            case .internal: status = WEFT_INTERNAL
            case .unknown(let value): return value
            }
            return Int32(bitPattern: UInt32(status.rawValue))
        }

        /// Every code `weft.h` defines, in numeric order.
        public static let known: [Code] = [
            .ok, .invalidArgument, .malformed, .unsupportedVersion, .checksumMismatch,
            .immutableViolation, .notContiguous, .missingDependency, .conflict,
            .cursorMismatch, .staleEpoch, .permissionDenied, .notFound, .cancelled,
            .timeout, .busy, .ioError, .corrupt, .resourceExhausted, .internal,
        ]

        /// The C name without its prefix (`"STALE_EPOCH"`), as
        /// `weft_status_name`; `"UNKNOWN"` for values libweft does not know.
        public var name: String { String(cString: weft_status_name(rawValue)) }

        /// Whether a request that failed with this code may succeed later
        /// unchanged (BUSY, TIMEOUT, IO_ERROR, RESOURCE_EXHAUSTED,
        /// MISSING_DEPENDENCY), as `weft_status_retryable`.
        public var isRetryable: Bool { weft_status_retryable(rawValue) != 0 }

        public var description: String {
            if case .unknown(let value) = self { return "UNKNOWN(\(value))" }
            return name
        }
    }

    /// What failed.
    public let code: Code
    /// libweft's message (or this binding's, for a failure it detects
    /// itself, such as a digest that is not 32 bytes).
    public let message: String
    /// For a batch that `Log.apply(_:)` refused as a whole (`staleEpoch`,
    /// `permissionDenied`): the ack libweft produced, so a server can still
    /// encode it and answer the peer. `nil` for every other failure.
    public let ack: Ack?

    public init(code: Code, message: String, ack: Ack? = nil) {
        self.code = code
        self.message = message
        self.ack = ack
    }

    /// Whether the same request may succeed later unchanged.
    public var isRetryable: Bool { code.isRetryable }

    public var description: String { message.isEmpty ? code.description : "\(code): \(message)" }
}

extension WeftError {
    /// The calling thread's `weft_last_error()`, for a call that just
    /// returned `status`. Call nothing else of weft in between.
    static func last(status: Int32) -> WeftError {
        // Copy before anything else: the next weft call overwrites it.
        let error = weft_last_error()!.pointee
        let message = error.message.map { text in
            text.withMemoryRebound(to: UInt8.self, capacity: error.message_len) {
                String(decoding: UnsafeBufferPointer(start: $0, count: error.message_len), as: UTF8.self)
            }
        } ?? ""
        return WeftError(code: Code(rawValue: status), message: message)
    }

    /// An error this binding detects before calling libweft.
    static func invalidArgument(_ message: String) -> WeftError {
        WeftError(code: .invalidArgument, message: message)
    }
}

/// Throws the thread's last error unless `status` is `WEFT_OK`.
@inline(__always)
func check(_ status: Int32) throws {
    if status != 0 { throw WeftError.last(status: status) }
}

/// For calls whose only documented failure is `WEFT_INVALID_ARGUMENT` on a
/// NULL or foreign handle, which this binding never passes: a failure is a
/// broken contract, not a condition callers could handle.
@inline(__always)
func mustSucceed(_ status: Int32, _ function: StaticString) {
    if status != 0 {
        let error = WeftError.last(status: status)
        fatalError("\(function) failed unexpectedly (\(error)); this is a bug in libweft or its Swift binding")
    }
}
