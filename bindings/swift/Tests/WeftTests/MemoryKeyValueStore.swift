import Dispatch
import Weft

/// A storage adapter written in Swift: an in-memory ordered key-value
/// database (a sorted array) with write transactions (a snapshot taken at
/// begin). Connections may be used from several threads at once: one
/// transaction at a time holds the database, and reads outside a
/// transaction take it briefly.
final class MemoryKeyValueStore: KeyValueStore, @unchecked Sendable {
    static let supportsConcurrentConnections = true

    typealias Row = (key: [UInt8], value: [UInt8])

    // Guards everything below. A semaphore, not a mutex: weft may commit a
    // transaction on another thread than the one that began it.
    private let lock = DispatchSemaphore(value: 1)
    fileprivate var rows: [Row] = []
    private var connections = 0
    /// The defect of a broken adapter: rollback keeps the writes.
    let keepsWritesOnRollback: Bool
    /// If set, every put throws it (an injected adapter failure).
    var putFailure: (any Error)?

    init(keepsWritesOnRollback: Bool = false) {
        self.keepsWritesOnRollback = keepsWritesOnRollback
    }

    /// Connections weft has not released yet.
    var openConnections: Int { locked { connections } }

    func connect() throws -> any KeyValueConnection {
        locked { connections += 1 }
        return Connection(self)
    }

    fileprivate func acquire() throws {
        // A wait that never ends would be a deadlock: report BUSY instead.
        guard lock.wait(timeout: .now() + .seconds(10)) == .success else {
            throw WeftError(code: .busy, message: "the database is held by another transaction")
        }
    }

    fileprivate func release() { lock.signal() }

    fileprivate func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.wait()
        defer { lock.signal() }
        return try body()
    }

    fileprivate func disconnected() { locked { connections -= 1 } }

    /// The index of the first row whose key is not below `key`.
    fileprivate func lowerBound(_ key: [UInt8]) -> Int {
        var low = 0
        var high = rows.count
        while low < high {
            let mid = (low + high) / 2
            if rows[mid].key.lexicographicallyPrecedes(key) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    final class Connection: KeyValueConnection {
        private let db: MemoryKeyValueStore
        private var saved: [Row]?  // the snapshot of an open transaction

        fileprivate init(_ db: MemoryKeyValueStore) { self.db = db }

        deinit {
            if saved != nil { try? rollback() }
            db.disconnected()
        }

        func begin() throws {
            guard saved == nil else { throw WeftError(code: .invalidArgument, message: "nested begin") }
            try db.acquire()
            saved = db.rows
        }

        func commit() throws {
            guard saved != nil else { throw WeftError(code: .invalidArgument, message: "commit without begin") }
            saved = nil
            db.release()
        }

        func rollback() throws {
            guard let snapshot = saved else { return }
            if !db.keepsWritesOnRollback { db.rows = snapshot }
            saved = nil
            db.release()
        }

        func put(key: [UInt8], value: [UInt8]) throws {
            guard saved != nil else { throw WeftError(code: .invalidArgument, message: "put outside a transaction") }
            if let failure = db.putFailure { throw failure }
            let at = db.lowerBound(key)
            if at < db.rows.count && db.rows[at].key == key {
                db.rows[at].value = value
            } else {
                db.rows.insert((key, value), at: at)
            }
        }

        func get(key: [UInt8]) throws -> [UInt8]? {
            try reading {
                let at = db.lowerBound(key)
                return at < db.rows.count && db.rows[at].key == key ? db.rows[at].value : nil
            }
        }

        func scan(from: [UInt8], to: [UInt8], limit: UInt64, _ row: ([UInt8], [UInt8]) -> Bool) throws {
            try reading {
                var at = db.lowerBound(from)
                var count: UInt64 = 0
                while at < db.rows.count && count < limit && db.rows[at].key.lexicographicallyPrecedes(to) {
                    if !row(db.rows[at].key, db.rows[at].value) { break }
                    at += 1
                    count += 1
                }
            }
        }

        /// Inside a transaction the database is held already; outside, hold
        /// it for the read so it sees committed data only.
        private func reading<T>(_ body: () throws -> T) throws -> T {
            if saved != nil { return try body() }
            try db.acquire()
            defer { db.release() }
            return try body()
        }
    }
}
