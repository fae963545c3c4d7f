internal import CWeft
public import Foundation

/// A host of many logs (`weft_host`; not named `Host`, which Foundation
/// already declares): serves sessions whose Hello names a
/// log and carries a capability token, and issues, redeems and revokes
/// tokens. Each log's secret is derived from the host's 32-byte master key
/// and the log id. Logs are opened (created) on first use.
///
/// ```swift
/// let host = try LogHost(masterKey: Token.newSecret())
/// let token = try host.issue(logID: "agent-42", scope: .append)  // to the client
/// let server = try host.accept()    // answers one client's session
/// ```
///
/// A `LogHost` may be used from any thread: libweft synchronizes it. Its
/// sessions keep it alive.
// @unchecked: `weft_host` is labelled "internally synchronized" in weft.h,
// and the only stored property is immutable.
public final class LogHost: @unchecked Sendable {
    private let handle: OpaquePointer

    /// A host whose logs live in memory, or, with a `directory`, in SQLite
    /// files `<directory>/<logID>.db` (log ids of letters, digits, `.`,
    /// `_` and `-`, not starting with `.`, 1 to 128 bytes)
    /// (`weft_host_new`).
    ///
    /// - Throws: `invalidArgument` (a key that is not 32 bytes, a directory
    ///   that does not exist), `unsupportedVersion`.
    public init(masterKey: Data, directory: String? = nil) throws {
        try checkLibraryVersion()
        var handle: OpaquePointer?
        try withSecret(masterKey, name: "masterKey") { key in
            try withOptionalCText(directory, name: "directory") { dir in
                try check(weft_host_new(&handle, key, dir))
            }
        }
        self.handle = handle!
    }

    deinit {
        weft_host_free(handle)
    }

    /// A token for `logID` at its current epoch with `scope`
    /// (`weft_host_issue`).
    ///
    /// - Throws: `invalidArgument` (a bad log id, an unknown scope), or a
    ///   store error opening the log.
    public func issue(logID: String, scope: Scope) throws -> Data {
        var buf = weft_buf()
        try withCText(logID, name: "logID") { id in
            try check(weft_host_issue(&buf, handle, id, scope.rawValue))
        }
        return Data(taking: buf)
    }

    /// Verifies `token` for `logID` (any scope) and describes the log
    /// (`weft_host_redeem`).
    ///
    /// - Throws: `malformed`, `permissionDenied`, `staleEpoch` (revoked), as
    ///   `Token.verify`; `invalidArgument`; or a store error.
    public func redeem(logID: String, token: Data) throws -> RedeemInfo {
        var info = weft_redeem_info()
        try withCText(logID, name: "logID") { id in
            try withBytes(token) { bytes, count in
                try check(weft_host_redeem(&info, handle, id, bytes, count))
            }
        }
        return RedeemInfo(info)
    }

    /// Revokes every token of `logID`: bumps its epoch, durably, and returns
    /// the new one (`weft_host_revoke`). Batches in flight under the old
    /// epoch are then refused whole (`staleEpoch`).
    ///
    /// - Throws: `invalidArgument`, `resourceExhausted` (every epoch used),
    ///   or a store error (then the epoch did not move).
    @discardableResult
    public func revoke(logID: String) throws -> UInt32 {
        var epoch: UInt32 = 0
        try withCText(logID, name: "logID") { id in
            try check(weft_host_revoke(&epoch, handle, id))
        }
        return epoch
    }

    /// A responding session (`weft_host_accept`): the peer's Hello names
    /// the log and carries a token; a read token lets the peer pull, append
    /// and admin let it push too. A refused token fails the session (and the
    /// peer learns why in an Error message). Of `options`, `push`, `accept`,
    /// `peer`, `logID` and `token` are ignored.
    ///
    /// - Throws: `invalidArgument` (bad options).
    public func accept(options: Session.Options = Session.Options()) throws -> Session {
        var session: OpaquePointer?
        try options.withCValue { try check(weft_host_accept(&session, handle, $0)) }
        return Session(handle: session!, owner: nil)
    }
}

/// What `LogHost.redeem(logID:token:)` found: the token's grant and the log it
/// opens (`weft_redeem_info`).
public struct RedeemInfo: Hashable, Sendable {
    /// The token's epoch.
    public var epoch: UInt32
    /// The token's scope.
    public var scope: Scope
    /// The log's cursor now.
    public var cursor: UInt64
    /// Ops the log holds.
    public var ops: UInt64
    /// Writers the log knows.
    public var actors: UInt64
    /// The log's digest now (32 bytes).
    public var digest: Data

    init(_ c: weft_redeem_info) {
        epoch = c.epoch
        scope = Scope(rawValue: c.scope)
        cursor = c.cursor
        ops = c.ops
        actors = c.actors
        digest = Data(c.digest)
    }
}
