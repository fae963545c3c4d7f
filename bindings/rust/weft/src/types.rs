//! The data model: ids, ops, seal records, append requests.

use std::fmt;

use weft_sys as sys;

/// A 32-byte BLAKE2b-256 digest or hash.
pub type Digest = [u8; 32];

/// A writer id: 16 bytes, shown as 32 hex digits.
#[derive(Copy, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Actor(pub [u8; 16]);

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Actor({self})")
    }
}

impl From<sys::weft_actor> for Actor {
    fn from(raw: sys::weft_actor) -> Self {
        Actor(raw.bytes)
    }
}

impl From<Actor> for sys::weft_actor {
    fn from(actor: Actor) -> Self {
        sys::weft_actor { bytes: actor.0 }
    }
}

/// The id of an op: its writer and a counter, from 1 and contiguous per
/// writer. Shown as `actor:counter`, as weft's messages show it.
#[derive(Copy, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId {
    /// The writer.
    pub actor: Actor,
    /// The writer's counter, from 1.
    pub counter: u64,
}

impl OpId {
    /// The id `(actor, counter)`.
    pub fn new(actor: Actor, counter: u64) -> OpId {
        OpId { actor, counter }
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.actor, self.counter)
    }
}

impl fmt::Debug for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpId({self})")
    }
}

impl From<sys::weft_op_id> for OpId {
    fn from(raw: sys::weft_op_id) -> Self {
        OpId { actor: raw.actor.into(), counter: raw.counter }
    }
}

impl From<OpId> for sys::weft_op_id {
    fn from(id: OpId) -> Self {
        sys::weft_op_id { actor: id.actor.into(), counter: id.counter }
    }
}

/// One op, owned: copied out of the log, batch or chunk it was read from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Op {
    /// The op's id.
    pub id: OpId,
    /// Its lamport clock: 1 + the highest lamport of its dependencies.
    pub lamport: u64,
    /// Its position in the log's apply order (1-based); 0 outside a log.
    pub cursor: u64,
    /// Wall-clock stamp in milliseconds.
    pub timestamp_ms: i64,
    /// The application tag.
    pub kind: u32,
    /// Explicit dependencies, canonical order (the previous counter of the
    /// same writer is implicit and not listed).
    pub deps: Vec<OpId>,
    /// The payload.
    pub payload: Vec<u8>,
    /// BLAKE2b-256 of the op's content (docs/format.md, "Op hash").
    pub hash: Digest,
}

impl Op {
    /// The op's content as fields for a [`BatchBuilder`](crate::BatchBuilder).
    pub fn fields(&self) -> OpFields<'_> {
        OpFields {
            id: self.id,
            lamport: self.lamport,
            kind: self.kind,
            timestamp_ms: self.timestamp_ms,
            deps: &self.deps,
            payload: &self.payload,
        }
    }
}

/// The fields of one op for a [`BatchBuilder`](crate::BatchBuilder), which
/// encodes them without judging them (decoders and apply judge).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct OpFields<'a> {
    /// The op's id.
    pub id: OpId,
    /// Its lamport clock.
    pub lamport: u64,
    /// The application tag.
    pub kind: u32,
    /// Wall-clock stamp in milliseconds.
    pub timestamp_ms: i64,
    /// Explicit dependencies.
    pub deps: &'a [OpId],
    /// The payload.
    pub payload: &'a [u8],
}

/// The record of a sealed chunk: which ops it holds and its place in its
/// writer's hash chain.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Seal {
    /// The writer whose ops the chunk holds.
    pub actor: Actor,
    /// The chunk's number for its writer, from 0.
    pub index: u64,
    /// The first counter of the chunk.
    pub first: u64,
    /// The last counter of the chunk.
    pub last: u64,
    /// The previous chunk's digest; zeros for chunk 0.
    pub prev_digest: Digest,
    /// BLAKE2b-256 of the chunk's bytes.
    pub digest: Digest,
}

impl From<sys::weft_seal> for Seal {
    fn from(raw: sys::weft_seal) -> Self {
        Seal {
            actor: raw.actor.into(),
            index: raw.index,
            first: raw.first,
            last: raw.last,
            prev_digest: raw.prev_digest.bytes,
            digest: raw.digest.bytes,
        }
    }
}

impl From<Seal> for sys::weft_seal {
    fn from(seal: Seal) -> Self {
        sys::weft_seal {
            actor: seal.actor.into(),
            index: seal.index,
            first: seal.first,
            last: seal.last,
            prev_digest: sys::weft_hash { bytes: seal.prev_digest },
            digest: sys::weft_hash { bytes: seal.digest },
        }
    }
}

/// One op to append with [`Log::append_with`](crate::Log::append_with) or
/// [`Log::append_many`](crate::Log::append_many).
///
/// ```
/// # use weft::{AppendRequest, OpId};
/// # fn demo(dep: OpId) -> AppendRequest<'static> {
/// AppendRequest { kind: 2, timestamp_ms: Some(1_767_225_600_000), ..AppendRequest::new(b"hello") }
/// # }
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct AppendRequest<'a> {
    /// The payload (copied).
    pub payload: &'a [u8],
    /// The application tag.
    pub kind: u32,
    /// The timestamp; `None`: the wall clock.
    pub timestamp_ms: Option<i64>,
    /// Explicit dependencies, which must be in the log; `None`: the log's heads.
    pub deps: Option<&'a [OpId]>,
}

impl<'a> AppendRequest<'a> {
    /// A request for `payload` with kind 0, on the heads, at the wall clock.
    pub fn new(payload: &'a [u8]) -> AppendRequest<'a> {
        AppendRequest { payload, ..AppendRequest::default() }
    }
}

/// What [`Log::verify`](crate::Log::verify) checked.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Ops checked against their hash.
    pub ops: u64,
    /// Chunks checked against their digest and chain.
    pub chunks: u64,
}
