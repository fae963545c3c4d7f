internal import CWeft
public import Foundation

/// What a capability token grants (`weft_scope`).
public enum Scope: Hashable, Sendable, CustomStringConvertible {
    /// Pull the log's ops.
    case read
    /// Also push ops.
    case append
    /// Everything `append` allows.
    case admin
    /// A value this binding does not know (a newer libweft); passing it to
    /// libweft throws `invalidArgument`.
    case unknown(UInt32)

    /// The scope of a C value.
    public init(rawValue: UInt32) {
        switch rawValue {
        case WEFT_SCOPE_READ.rawValue: self = .read
        case WEFT_SCOPE_APPEND.rawValue: self = .append
        case WEFT_SCOPE_ADMIN.rawValue: self = .admin
        default: self = .unknown(rawValue)
        }
    }

    /// The C value (`WEFT_SCOPE_READ`, ...).
    public var rawValue: UInt32 {
        switch self {
        case .read: WEFT_SCOPE_READ.rawValue
        case .append: WEFT_SCOPE_APPEND.rawValue
        case .admin: WEFT_SCOPE_ADMIN.rawValue
        case .unknown(let value): value
        }
    }

    public var description: String {
        switch self {
        case .read: "read"
        case .append: "append"
        case .admin: "admin"
        case .unknown(let value): "unknown(\(value))"
        }
    }
}

/// What a verified token grants (`weft_grant`).
public struct Grant: Hashable, Sendable {
    /// The epoch the token was issued at.
    public var epoch: UInt32
    /// Its scope.
    public var scope: Scope

    public init(epoch: UInt32, scope: Scope) {
        self.epoch = epoch
        self.scope = scope
    }
}

/// Capability tokens: issued for one log at one epoch with a scope, MACed
/// with the log's 32-byte secret (docs/capabilities.md). A `LogHost` derives
/// its logs' secrets from its master key and does all this itself; these
/// functions are for applications that keep their own secrets.
public enum Token {
    /// 32 bytes from the operating system's CSPRNG (`weft_secret_new`): a
    /// new log secret or host master key.
    public static func newSecret() throws -> Data {
        try checkLibraryVersion()
        var secret = [UInt8](repeating: 0, count: 32)
        try check(weft_secret_new(&secret))
        return Data(secret)
    }

    /// A token for log `logID` (1 to 256 bytes of UTF-8) at `epoch` with
    /// `scope` (`weft_token_issue`).
    ///
    /// - Throws: `invalidArgument` (a secret that is not 32 bytes, a log id
    ///   that is empty, too long or holds a NUL, an unknown scope).
    public static func issue(secret: Data, logID: String, epoch: UInt32, scope: Scope) throws -> Data {
        try checkLibraryVersion()
        var buf = weft_buf()
        try withSecret(secret) { key in
            try withCText(logID, name: "logID") { id in
                try check(weft_token_issue(&buf, key, id, epoch, scope.rawValue))
            }
        }
        return Data(taking: buf)
    }

    /// Verifies `token` against the log's `secret`, its id and its current
    /// epoch, and that its scope covers `required` (`weft_token_verify`).
    /// The MAC is compared in constant time.
    ///
    /// - Throws: `malformed` (not a token, or not canonical),
    ///   `permissionDenied` (another log, a MAC that does not verify, an
    ///   epoch never issued, a narrower scope), `staleEpoch` (revoked),
    ///   `invalidArgument` (a secret that is not 32 bytes, an unknown
    ///   `required`).
    public static func verify(_ token: Data, secret: Data, logID: String, currentEpoch: UInt32,
                              required: Scope) throws -> Grant {
        try checkLibraryVersion()
        var grant = weft_grant()
        try withSecret(secret) { key in
            try withCText(logID, name: "logID") { id in
                try withBytes(token) { bytes, count in
                    try check(weft_token_verify(&grant, key, id, currentEpoch, bytes, count,
                                                required.rawValue))
                }
            }
        }
        return Grant(epoch: grant.epoch, scope: Scope(rawValue: grant.scope))
    }
}

/// Calls `body` with a pointer to the 32 bytes of `secret`; throws
/// `invalidArgument` for another length.
func withSecret<R>(_ secret: Data, name: String = "secret",
                   _ body: (UnsafePointer<UInt8>) throws -> R) throws -> R {
    guard secret.count == 32 else {
        throw WeftError.invalidArgument("\(name) must be 32 bytes, got \(secret.count)")
    }
    let bytes = [UInt8](secret)
    return try bytes.withUnsafeBufferPointer { try body($0.baseAddress!) }
}

/// Calls `body` with `text` as a C string; throws `invalidArgument` if it
/// holds a NUL (which C would read as its end).
func withCText<R>(_ text: String, name: String,
                  _ body: (UnsafePointer<CChar>) throws -> R) throws -> R {
    guard !text.utf8.contains(0) else {
        throw WeftError.invalidArgument("\(name) \"\(text)\" contains a NUL byte")
    }
    return try text.withCString(body)
}

/// As `withCText`, with `nil` for a `nil` text.
func withOptionalCText<R>(_ text: String?, name: String,
                          _ body: (UnsafePointer<CChar>?) throws -> R) throws -> R {
    guard let text else { return try body(nil) }
    return try withCText(text, name: name) { try body($0) }
}
