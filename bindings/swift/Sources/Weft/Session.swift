internal import CWeft
public import Foundation

/// A sync session (`weft_session`): weft's sync protocol as a state machine
/// over byte messages.
///
/// ```swift
/// let client = try Session.connect(laptop, options: .init(peer: "server"))
/// let server = try Session.accept(serverLog)
/// // Over any transport: each side's messages go to the other's receive.
/// while let message = client.nextMessage() { try server.receive(message) }
/// while let message = server.nextMessage() { try client.receive(message) }
/// // ... until both are done; call tick(nowMs:) when the transport is idle.
/// ```
///
/// The application moves each message from `nextMessage()` to the peer's
/// `receive(_:)`; weft owns no thread, socket or clock (`tick(nowMs:)`
/// brings the time, and resends what was not answered). A session keeps
/// its log (or host) alive.
///
/// Like the C session, it is used by one thread at a time, so it is not
/// `Sendable`.
public final class Session {
    private let handle: OpaquePointer
    // The Log the session reads: the store of a log over a Swift adapter
    // lives in it. (A host session needs nothing: the C session keeps the
    // C host alive.)
    private let owner: AnyObject?

    init(handle: OpaquePointer, owner: AnyObject?) {
        self.handle = handle
        self.owner = owner
    }

    deinit {
        weft_session_free(handle)
    }

    /// Starts the initiating side of a session over `log`
    /// (`weft_session_connect`): its Hello is the first message.
    ///
    /// - Throws: `invalidArgument` (a peer name or log id over 256 bytes or
    ///   holding a NUL, a token over 4096 bytes, a zero bound),
    ///   `unsupportedVersion`.
    public static func connect(_ log: Log, options: Options = Options()) throws -> Session {
        try checkLibraryVersion()
        var handle: OpaquePointer?
        try options.withCValue { try check(weft_session_connect(&handle, log.handle, $0)) }
        return Session(handle: handle!, owner: log)
    }

    /// Starts the responding side over `log` (`weft_session_accept`): it
    /// waits for the peer's Hello and grants what `options.push` and
    /// `options.accept` say. No token is checked: this is replica to
    /// replica; a `LogHost` checks tokens.
    ///
    /// - Throws: as `connect(_:options:)`.
    public static func accept(_ log: Log, options: Options = Options()) throws -> Session {
        try checkLibraryVersion()
        var handle: OpaquePointer?
        try options.withCValue { try check(weft_session_accept(&handle, log.handle, $0)) }
        return Session(handle: handle!, owner: log)
    }

    /// The next message to send to the peer, or `nil` when there is nothing
    /// to send now (the window is full, or everything sent awaits answers).
    /// A failed session yields its Error message for the peer, then nothing.
    public func nextMessage() -> Data? {
        var buf = weft_buf()
        var hasMessage: UInt32 = 0
        mustSucceed(weft_session_next_message(&buf, &hasMessage, handle), "weft_session_next_message")
        return hasMessage != 0 ? Data(taking: buf) : nil
    }

    /// Handles one message from the peer. After the session is done it
    /// still answers batches (a peer whose ack was lost).
    ///
    /// - Throws: the error that failed the session (then `state` is
    ///   `.failed`): `malformed` (not a message, or out of place),
    ///   `permissionDenied` / `staleEpoch` (a refused or revoked
    ///   capability), `conflict`, a store error, or the code of the peer's
    ///   Error message. A failed session throws its failure for every later
    ///   message.
    public func receive(_ message: Data) throws {
        try withBytes(message) { bytes, count in
            try check(weft_session_receive(handle, bytes, count))
        }
    }

    /// Tells the session the time on the caller's monotonic clock, in
    /// milliseconds (any origin, never wall time). When an answer is
    /// overdue per the retry policy, the unanswered messages are queued
    /// again, byte-identical, and the attempt is recorded durably for the
    /// peer. Call it when the transport is idle.
    ///
    /// - Throws: `timeout` past `Options.retryMaxAttempts` (the session
    ///   fails), or the session's earlier failure.
    public func tick(nowMs: UInt64) throws {
        try check(weft_session_tick(handle, nowMs))
    }

    /// The session's state, counters and failure (`weft_session_get_info`).
    public var info: Info {
        var c = weft_session_info()
        var message: UnsafePointer<CChar>?
        mustSucceed(weft_session_get_info(&c, &message, handle), "weft_session_get_info")
        // The message lives until the next call on this session: copy it now.
        let error = c.error_code == 0 ? nil
            : WeftError(code: WeftError.Code(rawValue: c.error_code),
                        message: message.map { String(cString: $0) } ?? "")
        return Info(c, error: error)
    }

    /// Where the session is.
    public var state: State { info.state }

    /// Whether both directions are complete.
    public var isDone: Bool { state == .done }
}

@available(*, unavailable, message: "a weft_session is used by one thread at a time")
extension Session: Sendable {}

extension Session {
    /// The state of a session (`weft_session_state`).
    public enum State: Hashable, Sendable, CustomStringConvertible {
        /// Waiting for the peer's Hello.
        case handshake
        /// Exchanging ops.
        case syncing
        /// Both directions complete (the session still answers batches).
        case done
        /// Ended by an error (`Info.error`).
        case failed
        /// A value this binding does not know (a newer libweft).
        case unknown(UInt32)

        public init(rawValue: UInt32) {
            switch rawValue {
            case WEFT_SESSION_HANDSHAKE.rawValue: self = .handshake
            case WEFT_SESSION_SYNCING.rawValue: self = .syncing
            case WEFT_SESSION_DONE.rawValue: self = .done
            case WEFT_SESSION_FAILED.rawValue: self = .failed
            default: self = .unknown(rawValue)
            }
        }

        public var description: String {
            switch self {
            case .handshake: "handshake"
            case .syncing: "syncing"
            case .done: "done"
            case .failed: "failed"
            case .unknown(let value): "unknown(\(value))"
            }
        }
    }

    /// A session's state and counters (`weft_session_info`), copied.
    public struct Info: Sendable {
        public var state: State
        /// Why the session failed (its code and message), if `.failed`.
        public var error: WeftError?
        public var messagesSent: UInt64
        public var bytesSent: UInt64
        public var messagesReceived: UInt64
        public var bytesReceived: UInt64
        public var batchesSent: UInt64
        public var chunksSent: UInt64
        /// Ops sent, in batches and chunks.
        public var opsSent: UInt64
        /// Data messages sent again (byte-identical) after `tick(nowMs:)`.
        public var resends: UInt64
        /// Acks that matched nothing in flight (ignored).
        public var staleAcks: UInt64
        /// Of the peer's ops: applied here.
        public var applied: UInt64
        /// Of the peer's ops: already here (a resent message whose answer was lost).
        public var duplicates: UInt64
        /// Of the peer's ops: rejected here.
        public var rejected: UInt64
        /// Of ours: applied at the peer.
        public var peerApplied: UInt64
        /// Of ours: already at the peer.
        public var peerDuplicates: UInt64
        /// Of ours: rejected at the peer.
        public var peerRejected: UInt64
        /// Ops to send, as counted at the handshake.
        public var opsToSend: UInt64
        /// Ops the peer acknowledged.
        public var opsAcked: UInt64
        /// The peer's durable acked cursor, as this session last knew it.
        public var ackedCursor: UInt64

        init(_ c: weft_session_info, error: WeftError?) {
            state = State(rawValue: c.state)
            self.error = error
            messagesSent = c.messages_sent
            bytesSent = c.bytes_sent
            messagesReceived = c.messages_received
            bytesReceived = c.bytes_received
            batchesSent = c.batches_sent
            chunksSent = c.chunks_sent
            opsSent = c.ops_sent
            resends = c.resends
            staleAcks = c.stale_acks
            applied = c.applied
            duplicates = c.duplicates
            rejected = c.rejected
            peerApplied = c.peer_applied
            peerDuplicates = c.peer_duplicates
            peerRejected = c.peer_rejected
            opsToSend = c.ops_to_send
            opsAcked = c.ops_acked
            ackedCursor = c.acked_cursor
        }
    }

    /// How to run a session (`weft_session_options`). `Options()` holds
    /// libweft's defaults: both directions, no durable peer state, no token.
    public struct Options: Sendable {
        /// Send the peer the ops it lacks (default true).
        public var push: Bool
        /// Apply the ops the peer sends (default true).
        public var accept: Bool
        /// Ops per batch (default 4096; at least 1).
        public var maxBatchOps: UInt32
        /// Payload bytes per batch (default 1 MiB; at least 1).
        public var maxBatchBytes: UInt64
        /// Bytes per Chunks message (default 8 MiB; at least 1).
        public var maxChunksBytes: UInt64
        /// Data messages in flight (default 8; at least 1).
        public var window: UInt32
        /// Send sealed chunks to peers far behind (default true).
        public var shipChunks: Bool
        /// The name the log keeps this peer's outbox state under (acked
        /// cursor, retry state; 1 to 256 bytes); `nil`: none.
        public var peer: String?
        /// Initiator: the log a host should serve; `nil`: none.
        public var logID: String?
        /// Initiator: the capability token for `logID` (at most 4096 bytes).
        public var token: Data?
        /// First resend after this many ms without an answer (default 1000).
        public var retryBaseMs: UInt64
        /// Longest wait between resends (default 60000).
        public var retryMaxMs: UInt64
        /// Fail with `timeout` after this many resends (default 8; 0 never).
        public var retryMaxAttempts: UInt32
        /// The seed of the resend delays' jitter (default 0).
        public var retrySeed: UInt64

        /// libweft's defaults (`weft_session_options_init`), with the peer
        /// name, log id and token if given.
        public init(peer: String? = nil, logID: String? = nil, token: Data? = nil) {
            var c = weft_session_options()
            mustSucceed(weft_session_options_init(&c, MemoryLayout<weft_session_options>.size),
                        "weft_session_options_init")
            push = c.push != 0
            accept = c.accept != 0
            maxBatchOps = c.max_batch_ops
            maxBatchBytes = c.max_batch_bytes
            maxChunksBytes = c.max_chunks_bytes
            window = c.window
            shipChunks = c.ship_chunks != 0
            self.peer = peer
            self.logID = logID
            self.token = token
            retryBaseMs = c.retry_base_ms
            retryMaxMs = c.retry_max_ms
            retryMaxAttempts = c.retry_max_attempts
            retrySeed = c.retry_seed
        }

        /// Calls `body` with the C options, valid for the call (libweft
        /// copies the strings and the token).
        func withCValue<R>(_ body: (UnsafePointer<weft_session_options>) throws -> R) throws -> R {
            var c = weft_session_options()
            mustSucceed(weft_session_options_init(&c, MemoryLayout<weft_session_options>.size),
                        "weft_session_options_init")
            c.push = push ? 1 : 0
            c.accept = accept ? 1 : 0
            c.max_batch_ops = maxBatchOps
            c.max_batch_bytes = maxBatchBytes
            c.max_chunks_bytes = maxChunksBytes
            c.window = window
            c.ship_chunks = shipChunks ? 1 : 0
            c.retry_base_ms = retryBaseMs
            c.retry_max_ms = retryMaxMs
            c.retry_max_attempts = retryMaxAttempts
            c.retry_seed = retrySeed
            return try withOptionalCText(peer, name: "peer") { peer in
                try withOptionalCText(logID, name: "logID") { logID in
                    try withBytes(token ?? Data()) { bytes, count in
                        c.peer = peer
                        c.log_id = logID
                        if token != nil {
                            c.token = bytes
                            c.token_len = count
                        }
                        return try body(&c)
                    }
                }
            }
        }
    }
}

// MARK: - Outbox state

/// What a log remembers about one sync peer (`weft_peer_state`): see
/// `Log.peer(_:)` and `Log.recordPeer(_:_:)`.
public struct PeerState: Hashable, Sendable {
    /// Every op at a local cursor up to this one is at the peer.
    public var ackedCursor: UInt64
    /// Failed attempts since the last progress.
    public var attempts: UInt32
    /// Wall clock (ms since 1970) of the next attempt; 0: now.
    public var nextAttemptMs: UInt64

    public init(ackedCursor: UInt64 = 0, attempts: UInt32 = 0, nextAttemptMs: UInt64 = 0) {
        self.ackedCursor = ackedCursor
        self.attempts = attempts
        self.nextAttemptMs = nextAttemptMs
    }

    init(_ c: weft_peer_state) {
        self.init(ackedCursor: c.acked_cursor, attempts: c.attempts, nextAttemptMs: c.next_attempt_ms)
    }

    var cValue: weft_peer_state {
        var c = weft_peer_state()
        c.acked_cursor = ackedCursor
        c.attempts = attempts
        c.next_attempt_ms = nextAttemptMs
        return c
    }

    /// How long to wait (ms) before the next attempt for this peer, given
    /// the wall clock now (ms since 1970) and the retry policy's base and
    /// maximum delays and jitter seed (`weft_retry_wait_ms`): never longer
    /// than the policy's delay for the attempts made (a clock set back does
    /// not starve the peer), 0 if due (a clock set forward fires once).
    public func retryWaitMs(nowWallMs: UInt64, baseMs: UInt64, maxMs: UInt64, seed: UInt64 = 0) -> UInt64 {
        var c = cValue
        return weft_retry_wait_ms(&c, nowWallMs, baseMs, maxMs, seed)
    }
}

extension Log {
    /// The durable outbox state of the peer named `name` (1 to 256 bytes,
    /// chosen by the application); all zeros for a peer never recorded
    /// (`weft_log_peer`).
    ///
    /// - Throws: `invalidArgument` (an empty name, one over 256 bytes or
    ///   holding a NUL), or a store error.
    public func peer(_ name: String) throws -> PeerState {
        var c = weft_peer_state()
        try withCText(name, name: "peer") { try check(weft_log_peer(&c, handle, $0)) }
        return PeerState(c)
    }

    /// Stores `state` for the peer `name` in one transaction and returns
    /// what was stored (`weft_log_record_peer`): the acked cursor never
    /// moves backward (a lower one keeps the stored value). Sessions keep
    /// this state themselves; this is for applications that reset a peer's
    /// retry state, or move their own ops.
    ///
    /// - Throws: `invalidArgument` (a bad name, an acked cursor past the
    ///   log's cursor), or a store error.
    @discardableResult
    public func recordPeer(_ name: String, _ state: PeerState) throws -> PeerState {
        var c = state.cValue
        var stored = weft_peer_state()
        try withCText(name, name: "peer") { try check(weft_log_record_peer(&stored, handle, $0, &c)) }
        return PeerState(stored)
    }
}
