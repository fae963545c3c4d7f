internal import CWeft

extension Log {
    /// The ops of a log in cursor order, from `Log.read(from:max:)`. Each
    /// `makeIterator()` starts a new read (`weft_log_read`).
    public struct Ops: Sequence, Sendable {
        /// The log read.
        public let log: Log
        /// The first cursor read (1 is the first op).
        public let from: UInt64
        /// At most this many ops; `UInt64.max`: to the end as of each page read.
        public let max: UInt64

        public func makeIterator() -> Iterator {
            Iterator(log: log, from: from, max: max)
        }

        /// Holds a C iterator (`weft_iter`) and the `Log` it reads. Like the
        /// C iterator, it is used by one thread at a time, so it is not
        /// `Sendable`.
        public final class Iterator: IteratorProtocol {
            // Keeps the Swift object alive as long as the iterator (the C
            // iterator keeps the C log alive too).
            private let log: Log
            private var handle: OpaquePointer?

            /// The store failure that ended the iteration early (`corrupt`,
            /// `ioError`, ...), if any.
            public private(set) var error: WeftError?

            init(log: Log, from: UInt64, max: UInt64) {
                self.log = log
                var handle: OpaquePointer?
                mustSucceed(weft_log_read(&handle, log.handle, from, max), "weft_log_read")
                self.handle = handle
            }

            deinit {
                weft_iter_free(handle)
            }

            /// The next op, or `nil` at the end or after a failure (then in
            /// `error`).
            public func next() -> Op? {
                do {
                    return try nextOp()
                } catch {
                    return nil
                }
            }

            /// The next op, or `nil` at the end.
            ///
            /// - Throws: a store error (`corrupt` naming a damaged op or
            ///   chunk, `ioError`, ...); the iteration is over then.
            public func nextOp() throws -> Op? {
                guard let handle else { return nil }
                var view = weft_op_view()
                var hasOp: UInt32 = 0
                let status = weft_iter_next(&view, &hasOp, handle)
                if status != 0 {
                    let failure = WeftError.last(status: status)
                    close()
                    error = failure
                    throw failure
                }
                guard hasOp != 0 else {
                    close()
                    return nil
                }
                // The view is valid until the next weft_iter_next: copy it now.
                return Op(view)
            }

            /// Releases the C iterator as soon as the iteration is over.
            private func close() {
                weft_iter_free(handle)
                handle = nil
            }
        }
    }
}

@available(*, unavailable, message: "a weft_iter is used by one thread at a time")
extension Log.Ops.Iterator: Sendable {}
