internal import CWeft
public import Foundation

/// What an apply committed (`weft_ack`): the ops applied, those already
/// present, and those refused with their code. Immutable.
public struct Ack: Sendable, Equatable {
    /// One refused op and why (`conflict`, `missingDependency`,
    /// `cursorMismatch`, `malformed`, ...).
    public struct Rejection: Hashable, Sendable {
        public let id: OpID
        public let code: WeftError.Code

        public init(id: OpID, code: WeftError.Code) {
            self.id = id
            self.code = code
        }
    }

    /// The batch's transport fields, echoed.
    public let batchID: UInt64
    public let seq: UInt64
    /// `.ok`, or the refusal of the whole batch (`staleEpoch`,
    /// `permissionDenied`). `Log.apply(_:)` throws for the latter; a
    /// decoded ack may carry either.
    public let status: WeftError.Code
    /// The log's cursor after the apply (0 in a refusal: nothing disclosed).
    public let cursor: UInt64
    /// Ops this apply added.
    public let applied: [OpID]
    /// Ops that were already present with the same content (a retry).
    public let duplicates: [OpID]
    /// Ops refused, each with its code.
    public let rejected: [Rejection]

    // The C ack, kept for encoded(): weft.h has no way to build one from fields.
    private let storage: Storage

    /// Decodes an encoded ack (`weft_ack_decode`).
    ///
    /// - Throws: `malformed`, `unsupportedVersion`.
    public init(decoding bytes: Data) throws {
        try checkLibraryVersion()
        var handle: OpaquePointer?
        try withBytes(bytes) { pointer, count in
            try check(weft_ack_decode(&handle, pointer, count))
        }
        self.init(taking: handle!)
    }

    /// Takes ownership of a C ack and copies its contents.
    init(taking handle: OpaquePointer) {
        storage = Storage(handle)
        var info = weft_ack_info()
        mustSucceed(weft_ack_get_info(&info, handle), "weft_ack_get_info")
        batchID = info.batch_id
        seq = info.seq
        status = WeftError.Code(rawValue: info.status)
        cursor = info.cursor
        applied = (0..<weft_ack_applied_count(handle)).map { index in
            var id = weft_op_id()
            mustSucceed(weft_ack_applied_at(&id, handle, index), "weft_ack_applied_at")
            return OpID(id)
        }
        duplicates = (0..<weft_ack_duplicate_count(handle)).map { index in
            var id = weft_op_id()
            mustSucceed(weft_ack_duplicate_at(&id, handle, index), "weft_ack_duplicate_at")
            return OpID(id)
        }
        rejected = (0..<weft_ack_rejected_count(handle)).map { index in
            var id = weft_op_id()
            var code: Int32 = 0
            mustSucceed(weft_ack_rejected_at(&id, &code, handle, index), "weft_ack_rejected_at")
            return Rejection(id: OpID(id), code: WeftError.Code(rawValue: code))
        }
    }

    /// The ack's wire encoding (`weft_ack_encode`), to answer the peer.
    public func encoded() -> Data {
        var buf = weft_buf()
        mustSucceed(weft_ack_encode(&buf, storage.handle), "weft_ack_encode")
        return Data(taking: buf)
    }

    /// Equal contents; the C handles are not compared.
    public static func == (a: Ack, b: Ack) -> Bool {
        a.batchID == b.batchID && a.seq == b.seq && a.status == b.status && a.cursor == b.cursor
            && a.applied == b.applied && a.duplicates == b.duplicates && a.rejected == b.rejected
    }

    // @unchecked: weft.h labels weft_ack "Immutable: safe to read from any
    // thread", and the pointer is never reassigned.
    private final class Storage: @unchecked Sendable {
        let handle: OpaquePointer

        init(_ handle: OpaquePointer) { self.handle = handle }

        deinit { weft_ack_free(handle) }
    }
}
