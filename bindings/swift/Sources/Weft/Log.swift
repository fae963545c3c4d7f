internal import CWeft
public import Foundation

/// A replicated, append-only op log (`weft_log`): the engine over a store.
///
/// ```swift
/// let laptop = try Log()
/// let server = try Log(path: "/var/lib/app/session.db", sqlite: .init(synchronousFull: true))
/// try laptop.append(Data("hello".utf8), kind: 1)
/// for batch in try laptop.diff(since: server.versionVector()) {
///     try server.apply(batch)
/// }
/// let converged = try laptop.digest() == server.digest()  // true
/// ```
///
/// A `Log` may be used from any thread: libweft serialises the calls.
/// Its store is in memory (`Log(options:)`), a SQLite file
/// (`Log(path:options:sqlite:)`) or a storage adapter written in Swift
/// (`Log(store:options:)`, see `KeyValueStore`).
/// Releasing the last reference closes the log once the iterators reading
/// it are gone too.
// @unchecked: `weft_log` is labelled "internally synchronized" in weft.h
// (every function taking it may be called from any thread), and every
// stored property is immutable after init (a Swift adapter's store is
// Sendable). The compiler cannot see the first fact through the
// OpaquePointer.
public final class Log: @unchecked Sendable {
    let handle: OpaquePointer
    private let store: StoreBox?

    /// The writer id this log appends as now (`weft_log_actor`).
    ///
    /// It can change: a log whose store turns out to be a copy or a restore
    /// of another replica's (found at open, or when a peer or a merged log
    /// holds more of this writer than the log does) appends under a fresh
    /// writer from then on. Read it when you need it; do not cache it.
    public var actor: ActorID {
        var actor = weft_actor()
        mustSucceed(weft_log_actor(&actor, handle), "weft_log_actor")
        return ActorID(actor)
    }

    /// Opens a new, empty in-memory log.
    ///
    /// - Throws: `invalidArgument` (bad options), `resourceExhausted`,
    ///   `unsupportedVersion` (the loaded libweft does not match weft.h).
    public convenience init(options: Options = Options()) throws {
        try checkLibraryVersion()
        var handle: OpaquePointer?
        try options.withCValue { try check(weft_log_open_memory(&handle, $0)) }
        self.init(handle: handle!)
    }

    /// Opens the log `sqlite.logName` in the SQLite database file at `path`
    /// (`weft_log_open_sqlite`), creating the file and the log if
    /// `sqlite.create` (the default) is set; without it, opening never
    /// writes. A file copied or restored from another replica appends under
    /// a fresh writer (see `actor`).
    ///
    /// ```swift
    /// let log = try Log(path: "/var/lib/app/session.db",
    ///                   sqlite: .init(synchronousFull: true, logName: "agent-42"))
    /// ```
    ///
    /// - Parameters:
    ///   - path: the database file. An empty path, `":memory:"` and
    ///     `"file:"` URIs are refused unless `sqlite.allowsSpecialNames`.
    ///   - options: what every store takes (actor, limits, auto-seal).
    ///   - sqlite: what only the SQLite store takes.
    /// - Throws: `notFound` (missing or empty, and `create` is false),
    ///   `corrupt` (not a database, or damaged), `unsupportedVersion` (a
    ///   newer schema, an older one without `create`, or a mismatched
    ///   libweft), `invalidArgument` (an empty path, a special name without
    ///   `allowsSpecialNames`, a path or log name holding a NUL, bad
    ///   options, a database of another application), `conflict`
    ///   (`options.actor` minted past what this file holds: a copied or
    ///   restored file), `ioError`, `busy`.
    public convenience init(path: String, options: Options = Options(),
                            sqlite: SQLiteOptions = SQLiteOptions()) throws {
        try checkLibraryVersion()
        var handle: OpaquePointer?
        try withCText(path, name: "path") { cPath in
            try options.withCValue { opts in
                try sqlite.withCValue { sqliteOpts in
                    try check(weft_log_open_sqlite(&handle, cPath, opts, sqliteOpts))
                }
            }
        }
        self.init(handle: handle!)
    }

    /// Takes ownership of `handle`; keeps `store` (the database of a
    /// log opened over a Swift adapter) alive as long as the log.
    init(handle: OpaquePointer, keeping store: StoreBox? = nil) {
        self.handle = handle
        self.store = store
    }

    deinit {
        weft_log_free(handle)
    }

    // MARK: State

    /// The number of ops applied: the last op's cursor.
    public var cursor: UInt64 {
        var cursor: UInt64 = 0
        mustSucceed(weft_log_cursor(&cursor, handle), "weft_log_cursor")
        return cursor
    }

    /// The capability epoch: batches of another epoch are refused as a
    /// whole (older: `staleEpoch`, newer: `permissionDenied`).
    public var epoch: UInt32 {
        var epoch: UInt32 = 0
        mustSucceed(weft_log_epoch(&epoch, handle), "weft_log_epoch")
        return epoch
    }

    /// Raises the capability epoch, durably.
    ///
    /// - Throws: `invalidArgument` (`epoch` below the current one), or a
    ///   store error (`busy`, `ioError`, ...).
    public func setEpoch(_ epoch: UInt32) throws {
        try check(weft_log_set_epoch(handle, epoch))
    }

    // MARK: Appending

    /// Appends one op in its own transaction.
    ///
    /// - Parameters:
    ///   - payload: the application's bytes.
    ///   - kind: the application's op kind.
    ///   - deps: the ops it depends on; `nil` (the default) means the log's
    ///     current heads, `[]` none.
    ///   - timestampMs: milliseconds since 1970; `nil` means the wall clock.
    /// - Returns: the new op's id.
    /// - Throws: `invalidArgument` (payload over the limit, a
    ///   self-dependency), `missingDependency` (a dependency not in the
    ///   log), or a store error.
    @discardableResult
    public func append(_ payload: Data, kind: UInt32 = 0, dependsOn deps: [OpID]? = nil,
                       timestampMs: Int64? = nil) throws -> OpID {
        try appendBytes(payload, kind: kind, deps: deps, timestampMs: timestampMs)
    }

    /// Appends one op; see `append(_:kind:dependsOn:timestampMs:)` for `Data`.
    @discardableResult
    public func append(_ payload: [UInt8], kind: UInt32 = 0, dependsOn deps: [OpID]? = nil,
                       timestampMs: Int64? = nil) throws -> OpID {
        try appendBytes(payload, kind: kind, deps: deps, timestampMs: timestampMs)
    }

    private func appendBytes(_ payload: some ContiguousBytes, kind: UInt32, deps: [OpID]?,
                             timestampMs: Int64?) throws -> OpID {
        guard deps == nil && timestampMs == nil else {
            let request = AppendRequest(payload.withUnsafeBytes { Data($0) }, kind: kind,
                                        dependsOn: deps, timestampMs: timestampMs)
            return try append(contentsOf: [request])[0]
        }
        var id = weft_op_id()
        try withBytes(payload) { bytes, count in
            try check(weft_log_append(&id, handle, bytes, count, kind))
        }
        return OpID(id)
    }

    /// Appends every request in one transaction: all or none.
    ///
    /// - Returns: the new ids, in the order of `requests`.
    /// - Throws: as `append(_:kind:dependsOn:timestampMs:)`.
    @discardableResult
    public func append(contentsOf requests: some Collection<AppendRequest>) throws -> [OpID] {
        // One buffer for every payload and one for every dependency: the C
        // requests point into them for the duration of the call.
        var payloads = [UInt8]()
        var deps = [weft_op_id]()
        var spans = [(payload: Range<Int>, deps: Range<Int>?)]()
        spans.reserveCapacity(requests.count)
        for request in requests {
            let payloadStart = payloads.count
            payloads.append(contentsOf: request.payload)
            let depsStart = deps.count
            if let requestDeps = request.deps { deps.append(contentsOf: requestDeps.map(\.cValue)) }
            spans.append((payloadStart..<payloads.count, request.deps.map { _ in depsStart..<deps.count }))
        }
        return try payloads.withUnsafeBufferPointer { payloadBuffer in
            try deps.withUnsafeBufferPointer { depsBuffer in
                let cRequests = zip(requests, spans).map { request, span in
                    var c = weft_append_request()
                    mustSucceed(weft_append_request_init(&c, MemoryLayout<weft_append_request>.size),
                                "weft_append_request_init")
                    c.kind = request.kind
                    if !span.payload.isEmpty {
                        c.payload = payloadBuffer.baseAddress! + span.payload.lowerBound
                        c.payload_len = span.payload.count
                    }
                    if let depsSpan = span.deps {
                        c.has_deps = 1
                        if !depsSpan.isEmpty {
                            c.deps = depsBuffer.baseAddress! + depsSpan.lowerBound
                            c.deps_len = depsSpan.count
                        }
                    }
                    if let timestampMs = request.timestampMs {
                        c.has_timestamp = 1
                        c.timestamp_ms = timestampMs
                    }
                    return c
                }
                var ids = [weft_op_id](repeating: weft_op_id(), count: cRequests.count)
                try check(weft_log_append_many(&ids, handle, cRequests, cRequests.count))
                return ids.map(OpID.init)
            }
        }
    }

    // MARK: Applying

    /// Applies an encoded batch (the wire format, as `diff(since:)` or a
    /// peer produced it) with the five apply rules, in one transaction.
    ///
    /// Per-op outcomes are in the returned ack: ops already present are
    /// `duplicates` (a retried batch whose ack was lost), refused ops are
    /// `rejected` with their code (`conflict`, `missingDependency`,
    /// `cursorMismatch`, ...). A batch refused as a whole throws instead.
    ///
    /// - Throws: `staleEpoch` (the batch's epoch is older than the log's)
    ///   or `permissionDenied` (newer), with the refusing ack in
    ///   `WeftError.ack`; `malformed` or `unsupportedVersion` (bytes that
    ///   are not a batch; nothing applied); a store error (nothing applied).
    @discardableResult
    public func apply(_ batch: Data) throws -> Ack {
        var result: OpaquePointer?
        try withBytes(batch) { bytes, count in
            try check(weft_log_apply(&result, handle, bytes, count))
        }
        let ack = Ack(taking: result!)
        guard ack.status == .ok else {
            throw WeftError(code: ack.status,
                            message: "batch \(ack.batchID) (seq \(ack.seq)) refused as a whole; "
                                + "the log's epoch is \(epoch)",
                            ack: ack)
        }
        return ack
    }

    // MARK: Reading

    /// The ops from cursor `from` (1 is the first op), at most `max`, in
    /// cursor order. Each iteration pass reads the log afresh.
    ///
    /// A store failure while reading (`corrupt`, `ioError`) ends the
    /// iteration early and is kept in the iterator's `error`: use
    /// `readAll(from:max:)` or `Ops.Iterator.nextOp()` to have it thrown.
    public func read(from cursor: UInt64 = 1, max: UInt64 = .max) -> Ops {
        Ops(log: self, from: cursor, max: max)
    }

    /// The ops from cursor `from`, at most `max`, as an array.
    ///
    /// - Throws: a store error (`corrupt` naming a damaged op or chunk,
    ///   `ioError`, ...).
    public func readAll(from cursor: UInt64 = 1, max: UInt64 = .max) throws -> [Op] {
        let iterator = read(from: cursor, max: max).makeIterator()
        var ops = [Op]()
        while let op = try iterator.nextOp() { ops.append(op) }
        return ops
    }

    /// Op `id`, or `nil` if it is not in the log.
    ///
    /// - Throws: a store error (`corrupt`, ...).
    public func get(_ id: OpID) throws -> Op? {
        var cID = id.cValue
        var op: OpaquePointer?
        let status = weft_log_get(&op, handle, &cID)
        if WeftError.Code(rawValue: status) == .notFound { return nil }
        try check(status)
        defer { weft_op_free(op) }
        var view = weft_op_view()
        mustSucceed(weft_op_get_view(&view, op), "weft_op_get_view")
        return Op(view)
    }

    /// The log's heads: the ops nothing else depends on, sorted.
    public func heads() -> [OpID] {
        do {
            return try copyIDs { weft_log_heads($0, $1, $2, handle) }
        } catch {
            // Only INVALID_ARGUMENT is documented, for arguments never passed here.
            fatalError("weft_log_heads failed unexpectedly (\(error)); this is a bug in libweft or its Swift binding")
        }
    }

    /// The ids of every op in canonical order (lamport, actor, counter):
    /// the same on every replica holding the same ops.
    ///
    /// - Throws: a store error.
    public func canonicalOrder() throws -> [OpID] {
        try copyIDs { weft_log_canonical_order($0, $1, $2, handle) }
    }

    /// The two-call pattern of `weft_log_heads`: another thread may add ids
    /// between the calls, so ask again until the buffer was large enough.
    private func copyIDs(
        _ call: (UnsafeMutablePointer<weft_op_id>?, Int, UnsafeMutablePointer<Int>) -> Int32
    ) throws -> [OpID] {
        var buffer = [weft_op_id](repeating: weft_op_id(), count: 64)
        while true {
            var count = 0
            let status = buffer.withUnsafeMutableBufferPointer { call($0.baseAddress, $0.count, &count) }
            try check(status)
            if count <= buffer.count { return buffer[..<count].map(OpID.init) }
            buffer = [weft_op_id](repeating: weft_op_id(), count: count)
        }
    }

    // MARK: Synchronising

    /// The log's version vector, encoded: what a peer needs to compute
    /// `diff(since:)` for this log.
    public func versionVector() -> Data {
        var buf = weft_buf()
        mustSucceed(weft_log_version_vector(&buf, handle), "weft_log_version_vector")
        return Data(taking: buf)
    }

    /// The ops this log has past a peer's encoded version vector, as
    /// encoded batches in dependency order, ready for the peer's
    /// `apply(_:)`.
    ///
    /// The batches carry `epoch` and no expected cursor: pass the peer's
    /// `epoch`, or a peer whose epoch is above it refuses them as
    /// `staleEpoch`.
    ///
    /// - Parameters:
    ///   - versionVector: the peer's `versionVector()`; empty means the
    ///     peer has nothing.
    ///   - maxOpsPerBatch: at most this many ops per batch; 0 means
    ///     libweft's default (4096).
    ///   - epoch: the capability epoch the peer holds (its `epoch`).
    /// - Throws: `malformed` (`versionVector`), or a store error.
    public func diff(since versionVector: Data = Data(), maxOpsPerBatch: UInt32 = 0,
                     epoch: UInt32 = 0) throws -> [Data] {
        var bufs: OpaquePointer?
        try withBytes(versionVector) { bytes, count in
            try check(weft_log_diff(&bufs, handle, bytes, count, maxOpsPerBatch, epoch))
        }
        defer { weft_bufs_free(bufs) }
        return (0..<weft_bufs_count(bufs)).map { index in
            var bytes: UnsafePointer<UInt8>?
            var count = 0
            mustSucceed(weft_bufs_at(&bytes, &count, bufs, index), "weft_bufs_at")
            return bytes.map { Data(bytes: $0, count: count) } ?? Data()
        }
    }

    /// Merges `other` into this log in process: applies other's diff since
    /// this log's version vector, stamped with this log's epoch. `other` is
    /// only read. If `other` holds more of this log's writer than this log
    /// does, this log is a copy or a restore: it appends under a fresh
    /// writer from then on (see `actor`).
    ///
    /// - Returns: the number of ops applied.
    /// - Throws: the first failing apply's error.
    @discardableResult
    public func merge(_ other: Log) throws -> UInt64 {
        var applied: UInt64 = 0
        try check(weft_log_merge(&applied, handle, other.handle))
        return applied
    }

    /// 32 bytes, equal exactly when two logs hold the same ops.
    ///
    /// - Throws: a store error.
    public func digest() throws -> Data {
        var hash = weft_hash()
        try check(weft_log_digest(&hash, handle))
        return Data(hash)
    }

    // MARK: Sealed chunks

    /// Seals the next chunk of `actor`'s ops (this log's own by default),
    /// ending at counter `last`. Sealing the same range again answers the
    /// existing seal.
    ///
    /// - Parameter expectedDigest: if given, the chunk's digest must be it.
    /// - Throws: `invalidArgument` (`last` inside a sealed chunk, a digest
    ///   that is not 32 bytes), `notFound` (no such actor or counter),
    ///   `checksumMismatch`, or a store error.
    @discardableResult
    public func seal(through last: UInt64, of actor: ActorID? = nil,
                     expectedDigest: Data? = nil) throws -> Seal {
        var cActor = (actor ?? self.actor).cValue
        var seal = weft_seal()
        try withOptionalHash(expectedDigest, name: "expectedDigest") { expected in
            try check(weft_log_seal(&seal, handle, &cActor, last, expected))
        }
        return Seal(seal)
    }

    /// The bytes of sealed chunk `index` of `actor`, or `nil` if there is no
    /// such chunk.
    ///
    /// - Throws: a store error.
    public func chunk(of actor: ActorID, index: UInt64) throws -> Data? {
        var cActor = actor.cValue
        var buf = weft_buf()
        let status = weft_log_chunk_get(&buf, handle, &cActor, index)
        if WeftError.Code(rawValue: status) == .notFound { return nil }
        try check(status)
        return Data(taking: buf)
    }

    /// Stores a sealed chunk from a peer and applies its new ops, in one
    /// transaction. The same bytes again succeed.
    ///
    /// - Parameter expectedDigest: if given, the chunk's digest must be it.
    /// - Returns: the chunk's seal record.
    /// - Throws: `malformed`, `unsupportedVersion`, `checksumMismatch`
    ///   (digest, or broken chain), `notContiguous` (chunk k before k-1),
    ///   `immutableViolation` (other bytes for a sealed chunk), `conflict`,
    ///   `missingDependency`, or a store error.
    @discardableResult
    public func putChunk(_ bytes: Data, expectedDigest: Data? = nil) throws -> Seal {
        var seal = weft_seal()
        try withOptionalHash(expectedDigest, name: "expectedDigest") { expected in
            try withBytes(bytes) { pointer, count in
                try check(weft_log_chunk_put(&seal, handle, pointer, count, expected))
            }
        }
        return Seal(seal)
    }

    /// Verifies the whole log: every op against its hash, the cursor and
    /// each writer's stored state against the ops, cursor order against
    /// every dependency, every chunk against its digest and chain. Reads
    /// only.
    ///
    /// - Throws: `corrupt` naming the first bad op, writer or chunk, or a
    ///   store error.
    @discardableResult
    public func verify() throws -> VerifyReport {
        var ops: UInt64 = 0
        var chunks: UInt64 = 0
        try check(weft_log_verify(&ops, &chunks, handle))
        return VerifyReport(ops: ops, chunks: chunks)
    }
}

// MARK: - Options

extension Log {
    /// How to open a log, whatever its store (`weft_log_options`).
    /// `Options()` holds libweft's defaults. What only the SQLite store
    /// takes is in `SQLiteOptions`.
    public struct Options: Sendable {
        /// Append as this actor; `nil`: the one stored with the log, or a
        /// new random one (see `Log.actor`).
        public var actor: ActorID?
        /// Seal own ops every N; `nil` (the default): the store's choice.
        public var autoSealOps: UInt64?
        /// Per batch or chunk (default 1048576; at least 1).
        public var maxOps: UInt32
        /// Per op (default 16 MiB).
        public var maxPayloadBytes: UInt32
        /// Per op (default 1024).
        public var maxDepsPerOp: UInt32
        /// Per message (default 65536; at least 1).
        public var maxActors: UInt32
        /// Per message (default 256 MiB; at least 64).
        public var maxMessageBytes: UInt64

        /// libweft's defaults (`weft_log_options_init`), appending as
        /// `actor` if given.
        public init(actor: ActorID? = nil) {
            let c = Options.cDefaults()
            self.actor = actor
            autoSealOps = c.auto_seal_ops == .max ? nil : c.auto_seal_ops
            maxOps = c.max_ops
            maxPayloadBytes = c.max_payload_bytes
            maxDepsPerOp = c.max_deps_per_op
            maxActors = c.max_actors
            maxMessageBytes = c.max_message_bytes
        }

        private static func cDefaults() -> weft_log_options {
            var c = weft_log_options()
            mustSucceed(weft_log_options_init(&c, MemoryLayout<weft_log_options>.size),
                        "weft_log_options_init")
            return c
        }

        /// Calls `body` with the C options, valid for the call.
        func withCValue<R>(_ body: (UnsafePointer<weft_log_options>) throws -> R) rethrows -> R {
            var c = Options.cDefaults()
            if let actor {
                c.has_actor = 1
                c.actor = actor.cValue
            }
            c.auto_seal_ops = autoSealOps ?? .max
            c.max_ops = maxOps
            c.max_payload_bytes = maxPayloadBytes
            c.max_deps_per_op = maxDepsPerOp
            c.max_actors = maxActors
            c.max_message_bytes = maxMessageBytes
            return try body(&c)
        }

        // Moved to SQLiteOptions in weft 0.3: a compiler error that says where.
        @available(*, unavailable, message: "SQLite-only: use Log(path:options:sqlite:) with SQLiteOptions.synchronousFull")
        public var synchronousFull: Bool { get { fatalError() } set { fatalError() } }
        @available(*, unavailable, message: "SQLite-only: use Log(path:options:sqlite:) with SQLiteOptions.busyTimeoutMs")
        public var busyTimeoutMs: UInt32 { get { fatalError() } set { fatalError() } }
        @available(*, unavailable, message: "SQLite-only: use Log(path:options:sqlite:) with SQLiteOptions.create")
        public var create: Bool { get { fatalError() } set { fatalError() } }
        @available(*, unavailable, message: "SQLite-only: use Log(path:options:sqlite:) with SQLiteOptions.logName")
        public var logName: String? { get { fatalError() } set { fatalError() } }
    }

    /// What only the SQLite store takes (`weft_sqlite_options`), for
    /// `Log(path:options:sqlite:)`. `SQLiteOptions()` holds libweft's
    /// defaults.
    public struct SQLiteOptions: Sendable {
        /// `synchronous=FULL`: a successful write survives power loss, not
        /// only a crash of the process (default false: `NORMAL`).
        public var synchronousFull: Bool
        /// How long to wait for another writer's lock, in ms (default 5000).
        public var busyTimeoutMs: UInt32
        /// Create the file and the log if missing (default true). If false,
        /// opening never writes, and a missing or empty file throws
        /// `notFound`.
        public var create: Bool
        /// Let `path` be `":memory:"` or a `"file:"` URI (default false:
        /// those, like an empty path, throw `invalidArgument`, so a typo
        /// cannot open a throwaway database).
        public var allowsSpecialNames: Bool
        /// The log within the file; `nil` means `"main"`.
        public var logName: String?

        /// libweft's defaults (`weft_sqlite_options_init`), with any field
        /// given here.
        public init(synchronousFull: Bool? = nil, busyTimeoutMs: UInt32? = nil, create: Bool? = nil,
                    allowsSpecialNames: Bool? = nil, logName: String? = nil) {
            let c = SQLiteOptions.cDefaults()
            self.synchronousFull = synchronousFull ?? (c.synchronous_full != 0)
            self.busyTimeoutMs = busyTimeoutMs ?? c.busy_timeout_ms
            self.create = create ?? (c.create != 0)
            self.allowsSpecialNames = allowsSpecialNames ?? (c.special_names != 0)
            self.logName = logName
        }

        private static func cDefaults() -> weft_sqlite_options {
            var c = weft_sqlite_options()
            mustSucceed(weft_sqlite_options_init(&c, MemoryLayout<weft_sqlite_options>.size),
                        "weft_sqlite_options_init")
            return c
        }

        /// Calls `body` with the C options, valid for the call; throws
        /// `invalidArgument` if `logName` holds a NUL.
        func withCValue<R>(_ body: (UnsafePointer<weft_sqlite_options>) throws -> R) throws -> R {
            var c = SQLiteOptions.cDefaults()
            c.synchronous_full = synchronousFull ? 1 : 0
            c.busy_timeout_ms = busyTimeoutMs
            c.create = create ? 1 : 0
            c.special_names = allowsSpecialNames ? 1 : 0
            return try withOptionalCText(logName, name: "logName") { name in
                c.log_name = name
                return try body(&c)
            }
        }
    }

    /// One op to append with every field explicit (`weft_append_request`).
    public struct AppendRequest: Sendable {
        /// The application's bytes.
        public var payload: Data
        /// The application's op kind.
        public var kind: UInt32
        /// The ops it depends on; `nil` means the log's heads, `[]` none.
        public var deps: [OpID]?
        /// Milliseconds since 1970; `nil` means the wall clock.
        public var timestampMs: Int64?

        public init(_ payload: Data, kind: UInt32 = 0, dependsOn deps: [OpID]? = nil,
                    timestampMs: Int64? = nil) {
            self.payload = payload
            self.kind = kind
            self.deps = deps
            self.timestampMs = timestampMs
        }

        public init(_ payload: [UInt8], kind: UInt32 = 0, dependsOn deps: [OpID]? = nil,
                    timestampMs: Int64? = nil) {
            self.init(Data(payload), kind: kind, dependsOn: deps, timestampMs: timestampMs)
        }
    }
}
