internal import CWeft
public import Foundation

/// One op, copied out of libweft (a log, a decoded batch or a chunk).
public struct Op: Hashable, Sendable {
    /// Its id: actor and counter.
    public let id: OpID
    /// Its lamport clock: above every dependency's.
    public let lamport: UInt64
    /// Its position in the log's apply order (1 is the first op); 0 for an
    /// op of a decoded batch or chunk.
    public let cursor: UInt64
    /// Wall-clock milliseconds since 1970, as the writer stamped it.
    public let timestampMs: Int64
    /// The application's op kind.
    public let kind: UInt32
    /// Its explicit dependencies, in canonical order.
    public let deps: [OpID]
    /// The application's bytes.
    public let payload: Data
    /// BLAKE2b-256 of the op's content (32 bytes).
    public let hash: Data

    /// Copies a borrowed view before the call that invalidates it.
    init(_ view: weft_op_view) {
        id = OpID(view.id)
        lamport = view.lamport
        cursor = view.cursor
        timestampMs = view.timestamp_ms
        kind = view.kind
        deps = UnsafeBufferPointer(start: view.deps, count: view.deps_len).map(OpID.init)
        payload = view.payload.map { Data(bytes: $0, count: view.payload_len) } ?? Data()
        hash = Data(view.hash)
    }
}
