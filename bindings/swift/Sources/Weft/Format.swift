internal import CWeft
// The batch builder is in weft/sys/weft_sys.h, the lower-stability surface.
internal import CWeft.Sys
public import Foundation

/// A decoded and verified batch: the wire format's unit (`weft_batch`).
public struct Batch: Hashable, Sendable {
    /// Transport fields, echoed in the ack.
    public let batchID: UInt64
    public let seq: UInt64
    /// If set, the batch is a compare-and-append on this cursor.
    public let expectedCursor: UInt64?
    /// The capability epoch the batch was sent under.
    public let epoch: UInt32
    /// Its ops (with `cursor` 0).
    public let ops: [Op]

    /// Decodes and verifies an encoded batch (`weft_batch_decode`).
    ///
    /// - Throws: `malformed` (naming the field), `unsupportedVersion`.
    public init(decoding bytes: Data) throws {
        try checkLibraryVersion()
        var handle: OpaquePointer?
        try withBytes(bytes) { pointer, count in
            try check(weft_batch_decode(&handle, pointer, count))
        }
        defer { weft_batch_free(handle) }
        var info = weft_batch_info()
        mustSucceed(weft_batch_get_info(&info, handle), "weft_batch_get_info")
        batchID = info.batch_id
        seq = info.seq
        expectedCursor = info.has_expected_cursor != 0 ? info.expected_cursor : nil
        epoch = info.epoch
        ops = (0..<weft_batch_op_count(handle)).map { index in
            var view = weft_op_view()
            mustSucceed(weft_batch_op_at(&view, handle, index), "weft_batch_op_at")
            return Op(view)
        }
    }
}

/// A decoded and verified sealed chunk (`weft_chunk`).
public struct Chunk: Hashable, Sendable {
    /// Its seal record, computed from the bytes.
    public let seal: Seal
    /// Its ops (with `cursor` 0).
    public let ops: [Op]

    /// Decodes and verifies chunk bytes, which must be canonical
    /// (`weft_chunk_decode`).
    ///
    /// - Throws: `malformed`, `unsupportedVersion`.
    public init(decoding bytes: Data) throws {
        try checkLibraryVersion()
        var handle: OpaquePointer?
        try withBytes(bytes) { pointer, count in
            try check(weft_chunk_decode(&handle, pointer, count))
        }
        defer { weft_chunk_free(handle) }
        var cSeal = weft_seal()
        mustSucceed(weft_chunk_get_seal(&cSeal, handle), "weft_chunk_get_seal")
        seal = Seal(cSeal)
        ops = (0..<weft_chunk_op_count(handle)).map { index in
            var view = weft_op_view()
            mustSucceed(weft_chunk_op_at(&view, handle, index), "weft_chunk_op_at")
            return Op(view)
        }
    }

    /// Checks chunk bytes on their own: canonical, decodable, and matching
    /// `expected` (digest, actor, index, range, previous digest) if given
    /// (`weft_chunk_verify`).
    ///
    /// - Returns: the chunk's seal record.
    /// - Throws: `malformed`, `unsupportedVersion`, `checksumMismatch`;
    ///   `invalidArgument` if a digest of `expected` is not 32 bytes.
    @discardableResult
    public static func verify(_ bytes: Data, expected: Seal? = nil) throws -> Seal {
        try checkLibraryVersion()
        var expectedSeal = try expected?.cValue()
        var seal = weft_seal()
        try withBytes(bytes) { pointer, count in
            if expectedSeal != nil {
                try check(weft_chunk_verify(&seal, pointer, count, &expectedSeal!))
            } else {
                try check(weft_chunk_verify(&seal, pointer, count, nil))
            }
        }
        return Seal(seal)
    }
}

/// Builds an encoded batch from explicit op fields, without judging them
/// (`weft_batch_builder`): tests and tools can craft any batch, hostile
/// ones included; decoders and `Log.apply(_:)` judge. The builder can go on
/// being used after `finish()`.
///
/// It wraps weft's lower-stability surface (weft/sys/weft_sys.h), which a
/// minor release of libweft may change.
///
/// Like the C builder, it is used by one thread at a time, so it is not
/// `Sendable`.
public final class BatchBuilder {
    private let handle: OpaquePointer

    /// A new, empty builder: batch id 0, seq 0, no expected cursor, epoch 0.
    ///
    /// - Throws: `unsupportedVersion` (the loaded libweft does not match
    ///   weft.h), `resourceExhausted`.
    public init() throws {
        try checkLibraryVersion()
        var handle: OpaquePointer?
        try check(weft_batch_builder_new(&handle))
        self.handle = handle!
    }

    /// A builder holding `batch`'s header and ops: `finish()` re-encodes it,
    /// and `setHeader` can re-stamp it first (a new epoch, an expected
    /// cursor).
    public convenience init(_ batch: Batch) throws {
        try self.init()
        setHeader(batchID: batch.batchID, seq: batch.seq, expectedCursor: batch.expectedCursor,
                  epoch: batch.epoch)
        for op in batch.ops { addOp(op) }
    }

    deinit {
        weft_batch_builder_free(handle)
    }

    /// Sets the batch's transport fields. An `expectedCursor` makes the
    /// batch a compare-and-append on it.
    public func setHeader(batchID: UInt64 = 0, seq: UInt64 = 0, expectedCursor: UInt64? = nil,
                          epoch: UInt32 = 0) {
        mustSucceed(weft_batch_builder_set_header(handle, batchID, seq, expectedCursor == nil ? 0 : 1,
                                                  expectedCursor ?? 0, epoch),
                    "weft_batch_builder_set_header")
    }

    /// Adds one op with these fields (copied).
    public func addOp(id: OpID, lamport: UInt64, kind: UInt32 = 0, timestampMs: Int64 = 0,
                      deps: [OpID] = [], payload: Data = Data()) {
        let cDeps = deps.map(\.cValue)
        var fields = weft_op_fields()
        mustSucceed(weft_op_fields_init(&fields, MemoryLayout<weft_op_fields>.size),
                    "weft_op_fields_init")
        fields.id = id.cValue
        fields.lamport = lamport
        fields.kind = kind
        fields.timestamp_ms = timestampMs
        cDeps.withUnsafeBufferPointer { depsBuffer in
            withBytes(payload) { bytes, count in
                fields.deps = cDeps.isEmpty ? nil : depsBuffer.baseAddress
                fields.deps_len = cDeps.count
                fields.payload = bytes
                fields.payload_len = count
                mustSucceed(weft_batch_builder_add_op(handle, &fields), "weft_batch_builder_add_op")
            }
        }
    }

    /// Adds the fields of `op` (its cursor and hash are not part of a batch).
    public func addOp(_ op: Op) {
        addOp(id: op.id, lamport: op.lamport, kind: op.kind, timestampMs: op.timestampMs,
              deps: op.deps, payload: op.payload)
    }

    /// The encoded batch.
    public func finish() -> Data {
        var buf = weft_buf()
        mustSucceed(weft_batch_builder_finish(&buf, handle), "weft_batch_builder_finish")
        return Data(taking: buf)
    }
}

@available(*, unavailable, message: "a weft_batch_builder is used by one thread at a time")
extension BatchBuilder: Sendable {}
