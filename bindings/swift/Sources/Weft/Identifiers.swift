internal import CWeft
public import Foundation

/// A writer's 16-byte id (`weft_actor`). Equality, hashing and order
/// follow the bytes.
public struct ActorID: Hashable, Comparable, Sendable, CustomStringConvertible {
    // The bytes as two big-endian halves: comparing them compares the bytes.
    private let high: UInt64
    private let low: UInt64

    /// An actor from exactly 16 bytes; `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            if i < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.high = high
        self.low = low
    }

    /// An actor from 32 hexadecimal digits; `nil` for anything else.
    public init?(hex: String) {
        guard let bytes = Data(hex: hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// A random actor, for a new replica.
    public static func random() -> ActorID {
        var rng = SystemRandomNumberGenerator()
        return ActorID(high: rng.next(), low: rng.next())
    }

    private init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The 16 bytes.
    public var bytes: [UInt8] {
        (0..<16).map { i in UInt8(truncatingIfNeeded: (i < 8 ? high : low) >> (8 * (7 - UInt64(i % 8)))) }
    }

    /// The bytes as 32 lowercase hexadecimal digits, as libweft prints them.
    public var hex: String { bytes.hexString }

    public var description: String { hex }

    public static func < (a: ActorID, b: ActorID) -> Bool { (a.high, a.low) < (b.high, b.low) }

    init(_ actor: weft_actor) {
        var actor = actor
        let (high, low) = withUnsafeBytes(of: &actor.bytes) { raw in
            (UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        self.init(high: high, low: low)
    }

    var cValue: weft_actor {
        var actor = weft_actor()
        withUnsafeMutableBytes(of: &actor.bytes) { raw in
            raw.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        return actor
    }
}

/// The id of one op (`weft_op_id`): its actor and its counter, from 1 and
/// contiguous per actor.
public struct OpID: Hashable, Sendable, CustomStringConvertible {
    public var actor: ActorID
    public var counter: UInt64

    public init(actor: ActorID, counter: UInt64) {
        self.actor = actor
        self.counter = counter
    }

    /// `"<actor hex>:<counter>"`, as libweft's messages name ops.
    public var description: String { "\(actor.hex):\(counter)" }

    init(_ id: weft_op_id) {
        self.init(actor: ActorID(id.actor), counter: id.counter)
    }

    var cValue: weft_op_id { weft_op_id(actor: actor.cValue, counter: counter) }
}

/// The record of a sealed chunk (`weft_seal`): the chunk `index` of
/// `actor`, holding counters `first...last`, whose BLAKE2b-256 `digest`
/// chains to `previousDigest` (32 zero bytes for chunk 0).
public struct Seal: Hashable, Sendable {
    public var actor: ActorID
    public var index: UInt64
    public var first: UInt64
    public var last: UInt64
    public var previousDigest: Data
    public var digest: Data

    public init(actor: ActorID, index: UInt64, first: UInt64, last: UInt64,
                previousDigest: Data, digest: Data) {
        self.actor = actor
        self.index = index
        self.first = first
        self.last = last
        self.previousDigest = previousDigest
        self.digest = digest
    }

    init(_ seal: weft_seal) {
        self.init(actor: ActorID(seal.actor), index: seal.index, first: seal.first, last: seal.last,
                  previousDigest: Data(seal.prev_digest), digest: Data(seal.digest))
    }

    /// The C record; throws `invalidArgument` unless both digests are 32 bytes.
    func cValue() throws -> weft_seal {
        weft_seal(actor: actor.cValue, index: index, first: first, last: last,
                  prev_digest: try weft_hash(digest: previousDigest, name: "previousDigest"),
                  digest: try weft_hash(digest: digest, name: "digest"))
    }
}

/// What `Log.verify()` checked.
public struct VerifyReport: Hashable, Sendable {
    /// Ops checked against their hash.
    public var ops: UInt64
    /// Sealed chunks checked against their digest and chain.
    public var chunks: UInt64

    public init(ops: UInt64, chunks: UInt64) {
        self.ops = ops
        self.chunks = chunks
    }
}

// MARK: - Bytes

extension Data {
    /// The 32 bytes of a C hash.
    init(_ hash: weft_hash) {
        var hash = hash
        self = Swift.withUnsafeBytes(of: &hash.bytes) { Data($0) }
    }

    /// Takes ownership of a `weft_buf` without copying it: `weft_buf_free`
    /// releases it when the `Data` goes away.
    init(taking buf: weft_buf) {
        guard let bytes = buf.data, buf.len > 0 else {
            var empty = buf
            weft_buf_free(&empty)
            self.init()
            return
        }
        self.init(bytesNoCopy: bytes, count: buf.len, deallocator: .custom { pointer, count in
            var owned = weft_buf(data: pointer.assumingMemoryBound(to: UInt8.self), len: count)
            weft_buf_free(&owned)
        })
    }

    /// Bytes from hexadecimal digits; `nil` if `hex` is not an even number of them.
    init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let hi = value(digits[i]), let lo = value(digits[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        self.init(bytes)
    }
}

extension Sequence<UInt8> {
    /// Lowercase hexadecimal digits.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension weft_hash {
    /// A C hash from a 32-byte digest; throws `invalidArgument` otherwise.
    init(digest: Data, name: String) throws {
        guard digest.count == 32 else {
            throw WeftError.invalidArgument("\(name) must be 32 bytes, got \(digest.count)")
        }
        self.init()
        withUnsafeMutableBytes(of: &bytes) { $0.copyBytes(from: digest) }
    }
}

/// Calls `body` with a pointer to `bytes` (`nil` only when empty) and their count.
func withBytes<R>(_ bytes: some ContiguousBytes,
                  _ body: (UnsafePointer<UInt8>?, Int) throws -> R) rethrows -> R {
    try bytes.withUnsafeBytes { raw in
        try body(raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count)
    }
}

/// Calls `body` with a pointer to the C hash of `digest`, or `nil` when
/// `digest` is `nil`.
func withOptionalHash<R>(_ digest: Data?, name: String,
                         _ body: (UnsafePointer<weft_hash>?) throws -> R) throws -> R {
    guard let digest else { return try body(nil) }
    var hash = try weft_hash(digest: digest, name: name)
    return try body(&hash)
}
