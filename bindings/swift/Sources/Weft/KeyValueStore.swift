internal import CWeft
// Key-value adapters and the conformance kit are in weft/sys/weft_sys.h,
// the lower-stability surface.
internal import CWeft.Sys

/// A storage adapter written in Swift (`weft_kv_store`): one ordered
/// key-value database with write transactions. weft keeps a log in it
/// (`Log(store:options:)`; key layout in docs/store-interface.md) and the
/// conformance kit checks it (`StoreConformance.run`).
///
/// A log may call its store from any thread (one call at a time per
/// connection), so a store is `Sendable`.
///
/// It wraps weft's lower-stability surface (weft/sys/weft_sys.h), which a
/// minor release of libweft may change.
public protocol KeyValueStore: AnyObject, Sendable {
    /// Whether two connections may be used from two threads at once. If
    /// false, weft never does so.
    static var supportsConcurrentConnections: Bool { get }

    /// A new connection to this database. Releasing every connection and
    /// connecting again is a reopen: everything committed must be there.
    func connect() throws -> any KeyValueConnection
}

/// One connection to a `KeyValueStore`, used by one thread at a time (not
/// always the same one). It is closed when weft releases it.
///
/// Reads see committed data and, inside a transaction, the transaction's
/// own writes.
///
/// A method that throws fails the weft operation that called it, which
/// weft rolls back. A thrown `WeftError` hands weft its code (`busy` makes
/// weft's caller retry, for instance) and its `message`; any other error
/// becomes `ioError` with the error's description
/// (`String(describing:)`). weft's caller gets that code, and the message
/// prefixed with what weft was doing: a `put` throwing
/// `WeftError(code: .ioError, message: "disk full at block 7")` makes
/// `log.append(_:)` throw `ioError` with the message
/// `"kv adapter: put: disk full at block 7"` (`weft_error_set`).
public protocol KeyValueConnection: AnyObject {
    /// Starts a write transaction: waits for, or throws `busy` on, another
    /// connection's.
    func begin() throws
    /// Makes the transaction's writes visible and durable together.
    func commit() throws
    /// Drops the transaction's writes.
    func rollback() throws
    /// Sets `key` to `value`, inside a transaction.
    func put(key: [UInt8], value: [UInt8]) throws
    /// The value of `key`, or `nil` if there is none.
    func get(key: [UInt8]) throws -> [UInt8]?
    /// Calls `row` for every key in `from..<to` in ascending byte order, at
    /// most `limit` times, stopping early when `row` returns false.
    func scan(from: [UInt8], to: [UInt8], limit: UInt64,
              _ row: (_ key: [UInt8], _ value: [UInt8]) -> Bool) throws
}

extension Log {
    /// Opens a log kept in `store`, a storage adapter written in Swift
    /// (`weft_log_open_kv`). The log holds one connection and keeps
    /// `store` alive.
    ///
    /// - Throws: the code of an adapter error, `corrupt` (stored records
    ///   that do not parse), `invalidArgument` (bad options),
    ///   `unsupportedVersion` (the loaded libweft does not match weft.h).
    public convenience init(store: some KeyValueStore, options: Options = Options()) throws {
        try checkLibraryVersion()
        let box = StoreBox(store)
        var table = kvTable(concurrent: type(of: store).supportsConcurrentConnections, factory: nil)
        var handle: OpaquePointer?
        try options.withCValue { opts in
            try check(weft_log_open_kv(&handle, &table, Unmanaged.passUnretained(box).toOpaque(), opts))
        }
        self.init(handle: handle!, keeping: box)
    }
}

/// The storage conformance kit (docs/storage.md) over a Swift adapter.
public enum StoreConformance {
    /// How one scenario ended.
    public enum Outcome: Hashable, Sendable {
        case pass
        case fail
        /// The adapter cannot take part (the kit answered `notFound`).
        case skip
        /// A value this binding does not know (a newer libweft).
        case unknown(Int32)
    }

    /// One scenario's result.
    public struct Result: Hashable, Sendable, CustomStringConvertible {
        /// Its name, such as `"atomicity_under_injected_failure"`.
        public let scenario: String
        public let outcome: Outcome
        /// What failed and where, or why it was skipped; empty on a pass.
        public let diagnostic: String

        public var description: String {
            diagnostic.isEmpty ? "\(scenario): \(outcome)" : "\(scenario): \(outcome): \(diagnostic)"
        }
    }

    /// Runs the kit against the adapter `Store` (`weft_conformance_run`),
    /// each scenario on a fresh, empty database from `makeStore`. A failing
    /// scenario is a result, not an error.
    ///
    /// - Parameter scenario: run only this one; `nil` runs them all.
    /// - Throws: `invalidArgument` (unknown scenario name),
    ///   `unsupportedVersion` (the loaded libweft does not match weft.h).
    public static func run<Store: KeyValueStore>(
        scenario: String? = nil, makeStore: () throws -> Store
    ) throws -> [Result] {
        try checkLibraryVersion()
        return try withoutActuallyEscaping(makeStore) { makeStore in
            let factory = FactoryBox { try makeStore() }
            var table = kvTable(concurrent: Store.supportsConcurrentConnections, factory: factory)
            var results: OpaquePointer?
            // The kit calls `create` only during this call: the factory
            // outlives every use of its pointer.
            try withExtendedLifetime(factory) {
                try withOptionalCText(scenario, name: "scenario") { only in
                    try check(weft_conformance_run(&results, &table, only))
                }
            }
            defer { weft_conformance_free(results) }
            return (0..<weft_conformance_count(results)).map { index in
                var result = weft_conformance_result()
                mustSucceed(weft_conformance_at(&result, results, index), "weft_conformance_at")
                let outcome: Outcome = switch result.outcome {
                case Int32(WEFT_CONFORMANCE_PASS.rawValue): .pass
                case Int32(WEFT_CONFORMANCE_FAIL.rawValue): .fail
                case Int32(WEFT_CONFORMANCE_SKIP.rawValue): .skip
                default: .unknown(result.outcome)
                }
                return Result(scenario: String(cString: result.scenario), outcome: outcome,
                              diagnostic: String(cString: result.diagnostic))
            }
        }
    }
}

// MARK: - The callback table

/// A database handed to C as `void *db`.
final class StoreBox {
    let store: any KeyValueStore

    init(_ store: any KeyValueStore) { self.store = store }
}

/// A connection handed to C as `void *conn`.
private final class ConnectionBox {
    let connection: any KeyValueConnection

    init(_ connection: any KeyValueConnection) { self.connection = connection }
}

/// Makes databases for the conformance kit; handed to C as `user_data`.
private final class FactoryBox {
    let make: () throws -> any KeyValueStore

    init(_ make: @escaping () throws -> any KeyValueStore) { self.make = make }
}

/// WEFT_OK, or the failure a callback reports: a `WeftError`'s own code
/// (never OK) and message, `ioError` and the description of any other
/// error. The message goes to weft with `weft_error_set` as the last thing
/// before the return, on the thread weft called the callback on, so weft's
/// caller finds it in `weft_last_error()` (and in the `WeftError` this
/// binding throws there).
private func callbackStatus(_ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return 0
    } catch let error as WeftError {
        if error.code == .ok {
            return callbackFailure(.internal, "a callback threw a WeftError with code OK: \(error.message)")
        }
        return callbackFailure(error.code, error.message.isEmpty ? error.code.name : error.message)
    } catch {
        return callbackFailure(.ioError, String(describing: error))
    }
}

/// Describes a callback's failure to weft (`weft_error_set`) and returns
/// its code, for the callback to return at once.
private func callbackFailure(_ code: WeftError.Code, _ message: String) -> Int32 {
    // C reads the message up to its first NUL: show one instead of cutting there.
    let text = message.replacing("\0", with: "\\0")
    return text.withCString { weft_error_set(code.rawValue, $0) }
}

private func connection(_ conn: UnsafeMutableRawPointer?) -> any KeyValueConnection {
    Unmanaged<ConnectionBox>.fromOpaque(conn!).takeUnretainedValue().connection
}

private func bytes(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
    count == 0 ? [] : Array(UnsafeBufferPointer(start: pointer, count: count))
}

/// Calls a C row callback with `key` and `value`; true if it asks for more.
private func emit(_ row: weft_kv_row_fn, _ key: [UInt8], _ value: [UInt8],
                  _ ctx: UnsafeMutableRawPointer?) -> Bool {
    key.withUnsafeBufferPointer { k in
        value.withUnsafeBufferPointer { v in
            row(k.baseAddress, k.count, v.baseAddress, v.count, ctx) == 0
        }
    }
}

/// The C table over Swift adapters: `db` is a retained-elsewhere StoreBox,
/// `conn` a ConnectionBox retained until `disconnect`, `user_data` the
/// FactoryBox of a conformance run (nil for `weft_log_open_kv`, which
/// never calls `create`).
private func kvTable(concurrent: Bool, factory: FactoryBox?) -> weft_kv_store {
    var table = weft_kv_store()
    mustSucceed(weft_kv_store_init(&table, MemoryLayout<weft_kv_store>.size), "weft_kv_store_init")
    table.concurrent = concurrent ? 1 : 0
    table.user_data = factory.map { Unmanaged.passUnretained($0).toOpaque() }
    table.create = { db, userData in
        guard let db, let userData else {
            return callbackFailure(.invalidArgument, "create: no database pointer or no factory")
        }
        let factory = Unmanaged<FactoryBox>.fromOpaque(userData).takeUnretainedValue()
        return callbackStatus {
            db.pointee = Unmanaged.passRetained(StoreBox(try factory.make())).toOpaque()
        }
    }
    table.destroy = { db, _ in
        guard let db else { return }
        Unmanaged<StoreBox>.fromOpaque(db).release()
    }
    table.connect = { db, conn, _ in
        guard let db, let conn else {
            return callbackFailure(.invalidArgument, "connect: no database or connection pointer")
        }
        let store = Unmanaged<StoreBox>.fromOpaque(db).takeUnretainedValue().store
        return callbackStatus {
            conn.pointee = Unmanaged.passRetained(ConnectionBox(try store.connect())).toOpaque()
        }
    }
    table.disconnect = { conn, _ in
        guard let conn else { return }
        Unmanaged<ConnectionBox>.fromOpaque(conn).release()
    }
    table.begin = { conn, _ in callbackStatus { try connection(conn).begin() } }
    table.commit = { conn, _ in callbackStatus { try connection(conn).commit() } }
    table.rollback = { conn, _ in callbackStatus { try connection(conn).rollback() } }
    table.put = { conn, key, keyLen, value, valueLen, _ in
        callbackStatus { try connection(conn).put(key: bytes(key, keyLen), value: bytes(value, valueLen)) }
    }
    table.get = { conn, key, keyLen, row, ctx, _ in
        callbackStatus {
            let key = bytes(key, keyLen)
            if let value = try connection(conn).get(key: key), let row {
                _ = emit(row, key, value, ctx)
            }
        }
    }
    table.scan = { conn, from, fromLen, to, toLen, limit, row, ctx, _ in
        callbackStatus {
            guard let row else { throw WeftError.invalidArgument("scan without a row callback") }
            try connection(conn).scan(from: bytes(from, fromLen), to: bytes(to, toLen), limit: limit) {
                emit(row, $0, $1, ctx)
            }
        }
    }
    return table
}
