//! Raw declarations of weft's C ABI: the stable `include/weft/weft.h`, and
//! the lower-stability `include/weft/sys/weft_sys.h` (the batch builder,
//! key-value store adapters, the conformance kit; it may change in a minor
//! release).
//!
//! Every type and function here mirrors one declaration of the headers, with
//! the same name, the same parameter names and order, and fixed-width types.
//! The headers are the contract: each item's documentation summarises it,
//! but statuses, ownership and thread-safety are specified there. Use the
//! `weft` crate for a safe API.
//!
//! The conventions of weft 0.3: outputs come first (`weft_log_cursor(out,
//! log)`), lists are read with an infallible `_count` and an `_at(out, obj,
//! index)`, and a handle a function only reads is passed as `*const`.
//!
//! The build script links `libweft` (a shared library), found through
//! `WEFT_LIB_DIR` or `pkg-config weft`, and checks the layout of every struct
//! and the signature of every function below against the headers with a C
//! compiler (`tests/layout.rs`).
//!
//! Dependent crates receive `DEP_WEFT_LIB_DIR` (the directories searched, as
//! a `PATH`-style list, possibly empty) and `DEP_WEFT_INCLUDE` (likewise)
//! in their build scripts, for example to add an rpath.
#![no_std]
#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_void};
use core::marker::{PhantomData, PhantomPinned};

// ----------------------------------------------------------------- versions

/// `WEFT_VERSION_MAJOR` of the header these declarations mirror.
pub const WEFT_VERSION_MAJOR: u32 = 0;
/// `WEFT_VERSION_MINOR` of the header these declarations mirror.
pub const WEFT_VERSION_MINOR: u32 = 3;
/// `WEFT_VERSION_PATCH` of the header these declarations mirror.
pub const WEFT_VERSION_PATCH: u32 = 0;
/// `WEFT_VERSION_NUMBER`: `MAJOR * 10000 + MINOR * 100 + PATCH`.
pub const WEFT_VERSION_NUMBER: u32 = 300;

/// `WEFT_VERSION_CHECK(major, minor, patch)`: whether the header these
/// declarations mirror is weft `major.minor.patch` or newer (compare
/// [`weft_version_number`] at run time).
#[allow(non_snake_case)]
pub const fn WEFT_VERSION_CHECK(major: u32, minor: u32, patch: u32) -> bool {
    // In u64: no argument overflows it.
    WEFT_VERSION_NUMBER as u64 >= major as u64 * 10000 + minor as u64 * 100 + patch as u64
}

// ------------------------------------------------------------------ status

/// `enum weft_status_code`: canonical status codes, append-only, never renumbered.
pub type weft_status_code = i32;
/// Success.
pub const WEFT_OK: weft_status_code = 0;
/// Misuse of the API.
pub const WEFT_INVALID_ARGUMENT: weft_status_code = 1;
/// Bytes or ops that break the format or the rules.
pub const WEFT_MALFORMED: weft_status_code = 2;
/// A newer format or schema.
pub const WEFT_UNSUPPORTED_VERSION: weft_status_code = 3;
/// An expected digest differs; a chunk does not chain.
pub const WEFT_CHECKSUM_MISMATCH: weft_status_code = 4;
/// Other bytes for a sealed chunk.
pub const WEFT_IMMUTABLE_VIOLATION: weft_status_code = 5;
/// A chunk before its predecessor.
pub const WEFT_NOT_CONTIGUOUS: weft_status_code = 6;
/// A dependency or an earlier counter is not here yet.
pub const WEFT_MISSING_DEPENDENCY: weft_status_code = 7;
/// Same op id, other content.
pub const WEFT_CONFLICT: weft_status_code = 8;
/// A compare-and-append lost.
pub const WEFT_CURSOR_MISMATCH: weft_status_code = 9;
/// The capability epoch was revoked.
pub const WEFT_STALE_EPOCH: weft_status_code = 10;
/// Scope too narrow; an epoch never issued.
pub const WEFT_PERMISSION_DENIED: weft_status_code = 11;
/// No such op, actor or chunk.
pub const WEFT_NOT_FOUND: weft_status_code = 12;
/// Cancelled.
pub const WEFT_CANCELLED: weft_status_code = 13;
/// Timed out.
pub const WEFT_TIMEOUT: weft_status_code = 14;
/// Another writer holds the lock.
pub const WEFT_BUSY: weft_status_code = 15;
/// The store failed.
pub const WEFT_IO_ERROR: weft_status_code = 16;
/// Stored bytes fail their hash or digest.
pub const WEFT_CORRUPT: weft_status_code = 17;
/// Out of memory or disk.
pub const WEFT_RESOURCE_EXHAUSTED: weft_status_code = 18;
/// A bug in weft.
pub const WEFT_INTERNAL: weft_status_code = 19;

/// The last failure on the calling thread (`weft_last_error`).
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct weft_error {
    /// A `weft_status_code`; `WEFT_OK` after a successful call.
    pub code: i32,
    /// Reserved.
    pub reserved: u32,
    /// UTF-8, NUL-terminated, never NULL; "" after success.
    pub message: *const c_char,
    /// The message's length in bytes, without the NUL.
    pub message_len: usize,
}

// ----------------------------------------------------------------- buffers

/// Bytes owned by weft and handed to the caller; release with [`weft_buf_free`].
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct weft_buf {
    /// The bytes; NULL when `len` is 0.
    pub data: *mut u8,
    /// The number of bytes.
    pub len: usize,
}

impl Default for weft_buf {
    fn default() -> Self {
        weft_buf { data: core::ptr::null_mut(), len: 0 }
    }
}

/// Declares an opaque C type: unsized in spirit, neither `Send` nor `Sync`,
/// not `Unpin`, only ever handled through raw pointers.
macro_rules! opaque {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[repr(C)]
        pub struct $name {
            _data: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}

opaque! {
    /// A list of byte strings (the batches of a diff). Immutable.
    weft_bufs;
    /// A log: the engine over a store. Internally synchronized.
    weft_log;
    /// What an apply committed. Immutable.
    weft_ack;
    /// An iterator over a log's ops in cursor order; keeps its log alive. One thread at a time.
    weft_iter;
    /// One op owned by the caller. Immutable.
    weft_op;
    /// A decoded batch. Immutable.
    weft_batch;
    /// A decoded chunk. Immutable.
    weft_chunk;
    /// A sync session: a state machine over byte messages; keeps its log
    /// (or host) alive. One thread at a time.
    weft_session;
    /// A host of many logs: serves sessions, issues, redeems and revokes
    /// tokens. Internally synchronized.
    weft_host;
}

// -------------------------------------------------------------- identities

/// A writer id: 16 bytes.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct weft_actor {
    /// The id's bytes.
    pub bytes: [u8; 16],
}

/// An op id: (actor, counter).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct weft_op_id {
    /// The writer.
    pub actor: weft_actor,
    /// From 1, contiguous per actor.
    pub counter: u64,
}

/// A BLAKE2b-256 hash.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct weft_hash {
    /// The hash's bytes.
    pub bytes: [u8; 32],
}

/// The record of a sealed chunk.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct weft_seal {
    /// The actor whose ops the chunk holds.
    pub actor: weft_actor,
    /// 0-based chunk number of the actor.
    pub index: u64,
    /// First counter of the range.
    pub first: u64,
    /// Last counter of the range.
    pub last: u64,
    /// The previous chunk's digest; zeros for chunk 0.
    pub prev_digest: weft_hash,
    /// BLAKE2b-256 of the chunk's bytes.
    pub digest: weft_hash,
}

/// A borrowed view of one op; its pointers stay valid as long as the object
/// it was taken from (documented at each function).
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct weft_op_view {
    /// The op's id.
    pub id: weft_op_id,
    /// Its lamport clock.
    pub lamport: u64,
    /// Position in the log's apply order; 0 outside a log.
    pub cursor: u64,
    /// Wall-clock stamp in milliseconds.
    pub timestamp_ms: i64,
    /// The application tag.
    pub kind: u32,
    /// Reserved.
    pub reserved: u32,
    /// Explicit dependencies, canonical order.
    pub deps: *const weft_op_id,
    /// The number of `deps`.
    pub deps_len: usize,
    /// The payload bytes.
    pub payload: *const u8,
    /// The payload's length.
    pub payload_len: usize,
    /// BLAKE2b-256 of the op's content.
    pub hash: weft_hash,
}

impl Default for weft_op_view {
    fn default() -> Self {
        weft_op_view {
            id: weft_op_id::default(),
            lamport: 0,
            cursor: 0,
            timestamp_ms: 0,
            kind: 0,
            reserved: 0,
            deps: core::ptr::null(),
            deps_len: 0,
            payload: core::ptr::null(),
            payload_len: 0,
            hash: weft_hash::default(),
        }
    }
}

// ---------------------------------------------------------------------- logs

/// Options for opening a log, whatever its store; initialise with
/// [`weft_log_options_init`].
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct weft_log_options {
    /// `sizeof(weft_log_options)`, set by `_init`.
    pub struct_size: u32,
    /// Nonzero: append as `actor` (see [`weft_log_actor`]).
    pub has_actor: u32,
    /// Else the one stored with the log, or a new random one.
    pub actor: weft_actor,
    /// Seal own ops every N; `u64::MAX` (default): the store's choice.
    pub auto_seal_ops: u64,
    /// Per batch or chunk (default 1048576; at least 1).
    pub max_ops: u32,
    /// Per op (default 16 MiB).
    pub max_payload_bytes: u32,
    /// Default 1024.
    pub max_deps_per_op: u32,
    /// Per message (default 65536; at least 1).
    pub max_actors: u32,
    /// Default 256 MiB; at least 64.
    pub max_message_bytes: u64,
}

impl Default for weft_log_options {
    /// All zeros (NOT the library's defaults: call [`weft_log_options_init`]).
    fn default() -> Self {
        weft_log_options {
            struct_size: 0,
            has_actor: 0,
            actor: weft_actor::default(),
            auto_seal_ops: 0,
            max_ops: 0,
            max_payload_bytes: 0,
            max_deps_per_op: 0,
            max_actors: 0,
            max_message_bytes: 0,
        }
    }
}

/// Options of the SQLite store; initialise with [`weft_sqlite_options_init`].
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct weft_sqlite_options {
    /// `sizeof(weft_sqlite_options)`, set by `_init`.
    pub struct_size: u32,
    /// Nonzero: synchronous=FULL, an OK survives power loss (default 0).
    pub synchronous_full: u32,
    /// Wait for another writer's lock (default 5000).
    pub busy_timeout_ms: u32,
    /// Create the file and the log if missing (default 1); 0: never write at open.
    pub create: u32,
    /// Nonzero: `path` may be ":memory:" or a "file:" URI (default 0).
    pub special_names: u32,
    /// Reserved.
    pub reserved: u32,
    /// The log within the file; NULL means "main".
    pub log_name: *const c_char,
}

impl Default for weft_sqlite_options {
    /// All zeros (NOT the library's defaults: call [`weft_sqlite_options_init`]).
    fn default() -> Self {
        weft_sqlite_options {
            struct_size: 0,
            synchronous_full: 0,
            busy_timeout_ms: 0,
            create: 0,
            special_names: 0,
            reserved: 0,
            log_name: core::ptr::null(),
        }
    }
}

/// An append with every field explicit; initialise with [`weft_append_request_init`].
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct weft_append_request {
    /// `sizeof(weft_append_request)`, set by `_init`.
    pub struct_size: u32,
    /// The application tag.
    pub kind: u32,
    /// The payload bytes (copied).
    pub payload: *const u8,
    /// The payload's length.
    pub payload_len: usize,
    /// Nonzero: use `timestamp_ms`, else the wall clock.
    pub has_timestamp: u32,
    /// Nonzero: depend on `deps`, else on the heads.
    pub has_deps: u32,
    /// The timestamp, if `has_timestamp`.
    pub timestamp_ms: i64,
    /// Explicit dependencies, if `has_deps`.
    pub deps: *const weft_op_id,
    /// The number of `deps`.
    pub deps_len: usize,
}

impl Default for weft_append_request {
    /// All zeros (call [`weft_append_request_init`] to set `struct_size`).
    fn default() -> Self {
        weft_append_request {
            struct_size: 0,
            kind: 0,
            payload: core::ptr::null(),
            payload_len: 0,
            has_timestamp: 0,
            has_deps: 0,
            timestamp_ms: 0,
            deps: core::ptr::null(),
            deps_len: 0,
        }
    }
}

/// The header of an ack (its lists: `weft_ack_applied_count`/`_at`, ...).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct weft_ack_info {
    /// The batch's id.
    pub batch_id: u64,
    /// The batch's sequence number.
    pub seq: u64,
    /// `WEFT_OK`, or a batch-level refusal (STALE_EPOCH, PERMISSION_DENIED).
    pub status: i32,
    /// Reserved.
    pub reserved: u32,
    /// The log's cursor after the apply.
    pub cursor: u64,
}

// ------------------------------------------------------------------- format

/// The header of a decoded batch (its ops: [`weft_batch_op_count`] and
/// [`weft_batch_op_at`]).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct weft_batch_info {
    /// The batch's id.
    pub batch_id: u64,
    /// Its sequence number.
    pub seq: u64,
    /// Nonzero: a compare-and-append on `expected_cursor`.
    pub has_expected_cursor: u32,
    /// The capability epoch the batch was sent under.
    pub epoch: u32,
    /// The expected cursor, if `has_expected_cursor`.
    pub expected_cursor: u64,
}

// ------------------------------------------------------------ outbox state

/// What a log remembers about one sync peer.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct weft_peer_state {
    /// Every op at a local cursor <= this is at the peer.
    pub acked_cursor: u64,
    /// Failed attempts since the last progress.
    pub attempts: u32,
    /// Reserved.
    pub reserved: u32,
    /// Wall clock (ms since 1970) of the next attempt; 0: now.
    pub next_attempt_ms: u64,
}

// ------------------------------------------------------------ capabilities

/// `enum weft_scope`: what a capability token grants.
pub type weft_scope = u32;
/// Pull the log's ops.
pub const WEFT_SCOPE_READ: weft_scope = 1;
/// Also push ops.
pub const WEFT_SCOPE_APPEND: weft_scope = 2;
/// Everything append allows.
pub const WEFT_SCOPE_ADMIN: weft_scope = 3;

/// What a verified token grants.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct weft_grant {
    /// The epoch the token was issued at.
    pub epoch: u32,
    /// A `weft_scope`.
    pub scope: u32,
}

// ---------------------------------------------------------------- sessions

/// Options of a sync session; initialise with [`weft_session_options_init`].
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct weft_session_options {
    /// `sizeof(weft_session_options)`, set by `_init`.
    pub struct_size: u32,
    /// Send the peer what it lacks (default 1).
    pub push: u32,
    /// Apply what the peer sends (default 1).
    pub accept: u32,
    /// Ops per batch (default 4096; at least 1).
    pub max_batch_ops: u32,
    /// Payload bytes per batch (default 1 MiB; at least 1).
    pub max_batch_bytes: u64,
    /// Bytes per Chunks message (default 8 MiB; at least 1).
    pub max_chunks_bytes: u64,
    /// Data messages in flight (default 8; at least 1).
    pub window: u32,
    /// Send sealed chunks to peers far behind (default 1).
    pub ship_chunks: u32,
    /// Outbox name for durable state; NULL or "": none.
    pub peer: *const c_char,
    /// Initiator: the log a host should serve; NULL: none.
    pub log_id: *const c_char,
    /// Initiator: the capability token; NULL: none.
    pub token: *const u8,
    /// The token's length.
    pub token_len: usize,
    /// First resend after (default 1000).
    pub retry_base_ms: u64,
    /// Longest wait between resends (default 60000).
    pub retry_max_ms: u64,
    /// Give up with `WEFT_TIMEOUT` after (default 8; 0 never).
    pub retry_max_attempts: u32,
    /// Reserved.
    pub reserved: u32,
    /// Jitter seed (default 0).
    pub retry_seed: u64,
}

impl Default for weft_session_options {
    /// All zeros (NOT the library's defaults: call [`weft_session_options_init`]).
    fn default() -> Self {
        weft_session_options {
            struct_size: 0,
            push: 0,
            accept: 0,
            max_batch_ops: 0,
            max_batch_bytes: 0,
            max_chunks_bytes: 0,
            window: 0,
            ship_chunks: 0,
            peer: core::ptr::null(),
            log_id: core::ptr::null(),
            token: core::ptr::null(),
            token_len: 0,
            retry_base_ms: 0,
            retry_max_ms: 0,
            retry_max_attempts: 0,
            reserved: 0,
            retry_seed: 0,
        }
    }
}

/// `enum weft_session_state`.
pub type weft_session_state = u32;
/// Waiting for the peer's Hello.
pub const WEFT_SESSION_HANDSHAKE: weft_session_state = 0;
/// Exchanging ops.
pub const WEFT_SESSION_SYNCING: weft_session_state = 1;
/// Both directions complete.
pub const WEFT_SESSION_DONE: weft_session_state = 2;
/// Ended by an error.
pub const WEFT_SESSION_FAILED: weft_session_state = 3;

/// A session's state and counters.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct weft_session_info {
    /// A `weft_session_state`.
    pub state: u32,
    /// `WEFT_OK` unless FAILED.
    pub error_code: i32,
    /// Messages sent.
    pub messages_sent: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Messages received.
    pub messages_received: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Batch messages sent.
    pub batches_sent: u64,
    /// Chunks messages sent.
    pub chunks_sent: u64,
    /// Ops sent in batches and chunks.
    pub ops_sent: u64,
    /// Data messages sent again.
    pub resends: u64,
    /// Acks that matched nothing in flight.
    pub stale_acks: u64,
    /// Of the peer's ops, applied here.
    pub applied: u64,
    /// Of the peer's ops, already here.
    pub duplicates: u64,
    /// Of the peer's ops, rejected here.
    pub rejected: u64,
    /// Of ours, applied at the peer.
    pub peer_applied: u64,
    /// Of ours, already at the peer.
    pub peer_duplicates: u64,
    /// Of ours, rejected at the peer.
    pub peer_rejected: u64,
    /// Ops to send, as counted at the handshake.
    pub ops_to_send: u64,
    /// Ops the peer acknowledged.
    pub ops_acked: u64,
    /// The peer's durable acked cursor.
    pub acked_cursor: u64,
}

// ------------------------------------------------------------------- hosts

/// What a redeemed token opens.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct weft_redeem_info {
    /// The token's epoch.
    pub epoch: u32,
    /// A `weft_scope`.
    pub scope: u32,
    /// The log's cursor now.
    pub cursor: u64,
    /// Ops held.
    pub ops: u64,
    /// Writers known.
    pub actors: u64,
    /// The log's digest now.
    pub digest: weft_hash,
}

// ------------------------------------------------------ functions of weft.h

// Linked by build.rs (`cargo:rustc-link-lib=dylib=weft`).
unsafe extern "C" {
    /// The version of the library loaded at run time, as `WEFT_VERSION_NUMBER`.
    pub fn weft_version_number() -> u32;
    /// The run-time version as "MAJOR.MINOR.PATCH"; static storage.
    pub fn weft_version_string() -> *const c_char;

    /// "OK", "MALFORMED", ...; "UNKNOWN" for other values. Static storage.
    pub fn weft_status_name(status: i32) -> *const c_char;
    /// 1 if a request that failed with `status` may succeed later unchanged, else 0.
    pub fn weft_status_retryable(status: i32) -> i32;
    /// The outcome of the last fallible weft call on this thread; valid until
    /// the next fallible weft call on it.
    pub fn weft_last_error() -> *const weft_error;
    /// For callbacks: sets the message describing the failure the callback is
    /// about to return, and returns `code` (`return weft_error_set(code, msg)`).
    /// `message` (NULL means "") is copied. Thread-local; never fails.
    pub fn weft_error_set(code: i32, message: *const c_char) -> i32;

    /// Releases `buf->data` and sets `buf` to {NULL, 0}.
    pub fn weft_buf_free(buf: *mut weft_buf);
    /// The number of byte strings in `bufs` (0 for NULL).
    pub fn weft_bufs_count(bufs: *const weft_bufs) -> usize;
    /// Borrows byte string `index` of `bufs`, valid until `weft_bufs_free(bufs)`.
    pub fn weft_bufs_at(
        data: *mut *const u8,
        len: *mut usize,
        bufs: *const weft_bufs,
        index: usize,
    ) -> i32;
    /// Releases `bufs`; NULL is a no-op.
    pub fn weft_bufs_free(bufs: *mut weft_bufs);

    /// Fills the first `struct_size` bytes of `opts` with the defaults.
    pub fn weft_log_options_init(opts: *mut weft_log_options, struct_size: usize) -> i32;
    /// Fills the first `struct_size` bytes of `opts` with the defaults.
    pub fn weft_sqlite_options_init(opts: *mut weft_sqlite_options, struct_size: usize) -> i32;
    /// Opens a new, empty in-memory log; `opts` may be NULL. Caller owns `*out`.
    pub fn weft_log_open_memory(out: *mut *mut weft_log, opts: *const weft_log_options) -> i32;
    /// Opens the log `sqlite->log_name` of the SQLite database at `path`,
    /// creating it if `sqlite->create`; `opts` and `sqlite` may be NULL.
    /// Caller owns `*out`.
    pub fn weft_log_open_sqlite(
        out: *mut *mut weft_log,
        path: *const c_char,
        opts: *const weft_log_options,
        sqlite: *const weft_sqlite_options,
    ) -> i32;
    /// Releases the caller's reference; the log closes when its iterators are released too.
    pub fn weft_log_free(log: *mut weft_log);
    /// The writer id this log appends as (it can change: a copied or restored store).
    pub fn weft_log_actor(out: *mut weft_actor, log: *const weft_log) -> i32;
    /// The number of ops applied (the last op's cursor).
    pub fn weft_log_cursor(out: *mut u64, log: *const weft_log) -> i32;
    /// The capability epoch.
    pub fn weft_log_epoch(out: *mut u32, log: *const weft_log) -> i32;
    /// Raises the capability epoch, durably.
    pub fn weft_log_set_epoch(log: *mut weft_log, epoch: u32) -> i32;
    /// Appends one op depending on the log's heads, stamped with the wall
    /// clock; `out` may be NULL.
    pub fn weft_log_append(
        out: *mut weft_op_id,
        log: *mut weft_log,
        payload: *const u8,
        payload_len: usize,
        kind: u32,
    ) -> i32;
    /// Fills `req` with defaults (no payload, heads, wall clock).
    pub fn weft_append_request_init(req: *mut weft_append_request, struct_size: usize) -> i32;
    /// Appends `reqs[0..count)` in one transaction: all or none; `out` (may
    /// be NULL) receives `count` ids.
    pub fn weft_log_append_many(
        out: *mut weft_op_id,
        log: *mut weft_log,
        reqs: *const weft_append_request,
        count: usize,
    ) -> i32;
    /// Applies an encoded batch in one transaction; refusals are reported in
    /// the ack. Caller owns `*out`.
    pub fn weft_log_apply(
        out: *mut *mut weft_ack,
        log: *mut weft_log,
        batch: *const u8,
        batch_len: usize,
    ) -> i32;

    /// The ack's header.
    pub fn weft_ack_get_info(out: *mut weft_ack_info, ack: *const weft_ack) -> i32;
    /// The number of ops applied (0 for NULL).
    pub fn weft_ack_applied_count(ack: *const weft_ack) -> usize;
    /// Applied op `index`.
    pub fn weft_ack_applied_at(out: *mut weft_op_id, ack: *const weft_ack, index: usize) -> i32;
    /// The number of duplicates (0 for NULL).
    pub fn weft_ack_duplicate_count(ack: *const weft_ack) -> usize;
    /// Duplicate op `index`.
    pub fn weft_ack_duplicate_at(out: *mut weft_op_id, ack: *const weft_ack, index: usize) -> i32;
    /// The number of rejected ops (0 for NULL).
    pub fn weft_ack_rejected_count(ack: *const weft_ack) -> usize;
    /// Rejected op `index` and its code (a `weft_status_code`).
    pub fn weft_ack_rejected_at(
        out: *mut weft_op_id,
        code: *mut i32,
        ack: *const weft_ack,
        index: usize,
    ) -> i32;
    /// The ack's wire encoding. Caller owns `*out`.
    pub fn weft_ack_encode(out: *mut weft_buf, ack: *const weft_ack) -> i32;
    /// Decodes an encoded ack. Caller owns `*out`.
    pub fn weft_ack_decode(out: *mut *mut weft_ack, bytes: *const u8, len: usize) -> i32;
    /// Releases `ack`; NULL is a no-op.
    pub fn weft_ack_free(ack: *mut weft_ack);

    /// Starts reading at `from_cursor` (1 is the first op), at most `max` ops.
    /// Caller owns `*out`.
    pub fn weft_log_read(
        out: *mut *mut weft_iter,
        log: *const weft_log,
        from_cursor: u64,
        max: u64,
    ) -> i32;
    /// Advances: `*has_op` is 1 and `*out` describes the next op, valid until
    /// the next `weft_iter_next` or `weft_iter_free`; or `*has_op` is 0.
    pub fn weft_iter_next(out: *mut weft_op_view, has_op: *mut u32, iter: *mut weft_iter) -> i32;
    /// Releases `iter`; NULL is a no-op.
    pub fn weft_iter_free(iter: *mut weft_iter);

    /// Gets op `id`. Caller owns `*out`.
    pub fn weft_log_get(out: *mut *mut weft_op, log: *const weft_log, id: *const weft_op_id)
    -> i32;
    /// A view of `op`, valid until `weft_op_free(op)`.
    pub fn weft_op_get_view(out: *mut weft_op_view, op: *const weft_op) -> i32;
    /// Releases `op`; NULL is a no-op.
    pub fn weft_op_free(op: *mut weft_op);

    /// Copies the log's heads into `out[0..capacity)` and their number into `*len`.
    pub fn weft_log_heads(
        out: *mut weft_op_id,
        capacity: usize,
        len: *mut usize,
        log: *const weft_log,
    ) -> i32;
    /// Copies the ids of every op in canonical order, like `weft_log_heads`.
    pub fn weft_log_canonical_order(
        out: *mut weft_op_id,
        capacity: usize,
        len: *mut usize,
        log: *const weft_log,
    ) -> i32;
    /// The log's version vector, encoded. Caller owns `*out`.
    pub fn weft_log_version_vector(out: *mut weft_buf, log: *const weft_log) -> i32;
    /// The ops this log has past the encoded version vector `vv`, as encoded
    /// batches. Caller owns `*out`.
    pub fn weft_log_diff(
        out: *mut *mut weft_bufs,
        log: *const weft_log,
        vv: *const u8,
        vv_len: usize,
        max_ops_per_batch: u32,
        epoch: u32,
    ) -> i32;
    /// Merges `other` into `log` in process; `applied` (may be NULL)
    /// receives the number of ops applied.
    pub fn weft_log_merge(applied: *mut u64, log: *mut weft_log, other: *const weft_log) -> i32;
    /// 32 bytes equal exactly when two logs hold the same ops.
    pub fn weft_log_digest(out: *mut weft_hash, log: *const weft_log) -> i32;
    /// Seals the next chunk of `actor`'s ops, ending at counter `last`; `out` may be NULL.
    pub fn weft_log_seal(
        out: *mut weft_seal,
        log: *mut weft_log,
        actor: *const weft_actor,
        last: u64,
        expected_digest: *const weft_hash,
    ) -> i32;
    /// The bytes of sealed chunk (actor, index). Caller owns `*out`.
    pub fn weft_log_chunk_get(
        out: *mut weft_buf,
        log: *const weft_log,
        actor: *const weft_actor,
        index: u64,
    ) -> i32;
    /// Stores a sealed chunk from a peer and applies its new ops; `out` may be NULL.
    pub fn weft_log_chunk_put(
        out: *mut weft_seal,
        log: *mut weft_log,
        bytes: *const u8,
        len: usize,
        expected_digest: *const weft_hash,
    ) -> i32;
    /// Checks chunk bytes on their own, optionally against a seal record;
    /// `out` (may be NULL) receives the chunk's seal.
    pub fn weft_chunk_verify(
        out: *mut weft_seal,
        bytes: *const u8,
        len: usize,
        expected: *const weft_seal,
    ) -> i32;
    /// Verifies the whole log; `ops` and `chunks` (may be NULL) receive the counts.
    pub fn weft_log_verify(ops: *mut u64, chunks: *mut u64, log: *const weft_log) -> i32;

    /// Decodes and verifies an encoded batch. Caller owns `*out`.
    pub fn weft_batch_decode(out: *mut *mut weft_batch, bytes: *const u8, len: usize) -> i32;
    /// The batch's header.
    pub fn weft_batch_get_info(out: *mut weft_batch_info, batch: *const weft_batch) -> i32;
    /// The number of ops in `batch` (0 for NULL).
    pub fn weft_batch_op_count(batch: *const weft_batch) -> usize;
    /// A view of op `index` (cursor 0), valid until `weft_batch_free(batch)`.
    pub fn weft_batch_op_at(out: *mut weft_op_view, batch: *const weft_batch, index: usize) -> i32;
    /// Releases `batch`; NULL is a no-op.
    pub fn weft_batch_free(batch: *mut weft_batch);

    /// Decodes and verifies chunk bytes (which must be canonical). Caller owns `*out`.
    pub fn weft_chunk_decode(out: *mut *mut weft_chunk, bytes: *const u8, len: usize) -> i32;
    /// The chunk's seal record.
    pub fn weft_chunk_get_seal(out: *mut weft_seal, chunk: *const weft_chunk) -> i32;
    /// The number of ops in `chunk` (0 for NULL).
    pub fn weft_chunk_op_count(chunk: *const weft_chunk) -> usize;
    /// A view of op `index`, valid until `weft_chunk_free(chunk)`.
    pub fn weft_chunk_op_at(out: *mut weft_op_view, chunk: *const weft_chunk, index: usize) -> i32;
    /// Releases `chunk`; NULL is a no-op.
    pub fn weft_chunk_free(chunk: *mut weft_chunk);

    /// The durable outbox state of the peer named `peer`; zeros if never recorded.
    pub fn weft_log_peer(
        out: *mut weft_peer_state,
        log: *const weft_log,
        peer: *const c_char,
    ) -> i32;
    /// Stores `state` for `peer` (the acked cursor never moves backward);
    /// `stored` (may be NULL) receives what was stored.
    pub fn weft_log_record_peer(
        stored: *mut weft_peer_state,
        log: *mut weft_log,
        peer: *const c_char,
        state: *const weft_peer_state,
    ) -> i32;
    /// How long to wait (ms) before the next attempt for a peer in `state`.
    pub fn weft_retry_wait_ms(
        state: *const weft_peer_state,
        now_wall_ms: u64,
        base_ms: u64,
        max_ms: u64,
        seed: u64,
    ) -> u64;

    /// Fills `secret` (32 bytes) from the operating system's CSPRNG.
    pub fn weft_secret_new(secret: *mut u8) -> i32;
    /// Issues a token for `log_id` at `epoch` with `scope`, MACed with the
    /// 32-byte `secret`. Caller owns `*out`.
    pub fn weft_token_issue(
        out: *mut weft_buf,
        secret: *const u8,
        log_id: *const c_char,
        epoch: u32,
        scope: u32,
    ) -> i32;
    /// Verifies `token` against the 32-byte secret, log id, current epoch and
    /// `required` scope.
    pub fn weft_token_verify(
        out: *mut weft_grant,
        secret: *const u8,
        log_id: *const c_char,
        current_epoch: u32,
        token: *const u8,
        token_len: usize,
        required: u32,
    ) -> i32;

    /// Fills the first `struct_size` bytes of `opts` with the defaults.
    pub fn weft_session_options_init(opts: *mut weft_session_options, struct_size: usize) -> i32;
    /// Starts the initiating side of a session over `log`. Caller owns `*out`.
    pub fn weft_session_connect(
        out: *mut *mut weft_session,
        log: *mut weft_log,
        opts: *const weft_session_options,
    ) -> i32;
    /// Starts the responding side over `log`. Caller owns `*out`.
    pub fn weft_session_accept(
        out: *mut *mut weft_session,
        log: *mut weft_log,
        opts: *const weft_session_options,
    ) -> i32;
    /// The next message to send (caller owns `*out`), if `*has_message` is 1.
    pub fn weft_session_next_message(
        out: *mut weft_buf,
        has_message: *mut u32,
        session: *mut weft_session,
    ) -> i32;
    /// Handles one message from the peer.
    pub fn weft_session_receive(session: *mut weft_session, message: *const u8, len: usize) -> i32;
    /// Tells the session the time on the caller's monotonic clock.
    pub fn weft_session_tick(session: *mut weft_session, now_ms: u64) -> i32;
    /// The session's state and counters; `*error_message` (may be NULL) is
    /// valid until the next call on the session.
    pub fn weft_session_get_info(
        out: *mut weft_session_info,
        error_message: *mut *const c_char,
        session: *const weft_session,
    ) -> i32;
    /// Releases `session`; NULL is a no-op.
    pub fn weft_session_free(session: *mut weft_session);

    /// A host of memory logs, or of SQLite files in `directory` (may be
    /// NULL); the 32-byte `master_key` is copied. Caller owns `*out`.
    pub fn weft_host_new(
        out: *mut *mut weft_host,
        master_key: *const u8,
        directory: *const c_char,
    ) -> i32;
    /// Releases `host`; NULL is a no-op.
    pub fn weft_host_free(host: *mut weft_host);
    /// A token for `log_id` at its current epoch with `scope`. Caller owns `*out`.
    pub fn weft_host_issue(
        out: *mut weft_buf,
        host: *mut weft_host,
        log_id: *const c_char,
        scope: u32,
    ) -> i32;
    /// Verifies `token` for `log_id` (any scope) and describes the log.
    pub fn weft_host_redeem(
        out: *mut weft_redeem_info,
        host: *mut weft_host,
        log_id: *const c_char,
        token: *const u8,
        token_len: usize,
    ) -> i32;
    /// Revokes every token of `log_id`; `*new_epoch` (may be NULL) receives the new epoch.
    pub fn weft_host_revoke(
        new_epoch: *mut u32,
        host: *mut weft_host,
        log_id: *const c_char,
    ) -> i32;
    /// A responding session of `host`. Caller owns `*out`.
    pub fn weft_host_accept(
        out: *mut *mut weft_session,
        host: *mut weft_host,
        opts: *const weft_session_options,
    ) -> i32;
}

// =====================================================================
// weft/sys/weft_sys.h: the lower-stability surface for tools, tests and
// storage adapters. A minor release may change it (with a CHANGELOG entry).
// =====================================================================

opaque! {
    /// Builds an encoded batch from explicit op fields. One thread at a time.
    weft_batch_builder;
    /// The results of a conformance run. Immutable.
    weft_conformance;
}

// ------------------------------------------------------------ batch builder

/// The fields of one op for the batch builder; initialise with [`weft_op_fields_init`].
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct weft_op_fields {
    /// `sizeof(weft_op_fields)`, set by `_init`.
    pub struct_size: u32,
    /// The application tag.
    pub kind: u32,
    /// The op's id.
    pub id: weft_op_id,
    /// Its lamport clock.
    pub lamport: u64,
    /// Wall-clock stamp in milliseconds.
    pub timestamp_ms: i64,
    /// Explicit dependencies.
    pub deps: *const weft_op_id,
    /// The number of `deps`.
    pub deps_len: usize,
    /// The payload bytes.
    pub payload: *const u8,
    /// The payload's length.
    pub payload_len: usize,
}

impl Default for weft_op_fields {
    /// All zeros (call [`weft_op_fields_init`] to set `struct_size`).
    fn default() -> Self {
        weft_op_fields {
            struct_size: 0,
            kind: 0,
            id: weft_op_id::default(),
            lamport: 0,
            timestamp_ms: 0,
            deps: core::ptr::null(),
            deps_len: 0,
            payload: core::ptr::null(),
            payload_len: 0,
        }
    }
}

// ------------------------------------------------- key-value store adapters

/// Receives one row; a nonzero return stops a scan (and is not an error).
pub type weft_kv_row_fn = Option<
    unsafe extern "C" fn(
        key: *const u8,
        key_len: usize,
        value: *const u8,
        value_len: usize,
        ctx: *mut c_void,
    ) -> i32,
>;

/// A storage adapter: an ordered key-value database with write
/// transactions, as a table of callbacks; initialise with
/// [`weft_kv_store_init`]. Every callback returns `WEFT_OK` or a nonzero
/// value, which stops the operation and is returned unchanged to weft's
/// caller; a callback that fails describes why with [`weft_error_set`]
/// first, and weft's caller reads that message from [`weft_last_error`].
/// Callbacks must not unwind.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct weft_kv_store {
    /// `sizeof(weft_kv_store)`, set by `_init`.
    pub struct_size: u32,
    /// Nonzero: two connections may be used from two threads at once.
    pub concurrent: u32,
    /// Passed last to every callback.
    pub user_data: *mut c_void,
    /// A new, empty database (the conformance kit makes one per scenario).
    pub create: Option<unsafe extern "C" fn(db: *mut *mut c_void, user_data: *mut c_void) -> i32>,
    /// Destroys a database made by `create`.
    pub destroy: Option<unsafe extern "C" fn(db: *mut c_void, user_data: *mut c_void)>,
    /// A connection to `db`; closing every connection and connecting again is a reopen.
    pub connect: Option<
        unsafe extern "C" fn(
            db: *mut c_void,
            conn: *mut *mut c_void,
            user_data: *mut c_void,
        ) -> i32,
    >,
    /// Closes a connection.
    pub disconnect: Option<unsafe extern "C" fn(conn: *mut c_void, user_data: *mut c_void)>,
    /// Begins a write transaction.
    pub begin: Option<unsafe extern "C" fn(conn: *mut c_void, user_data: *mut c_void) -> i32>,
    /// Commits: the transaction's writes become visible and durable together.
    pub commit: Option<unsafe extern "C" fn(conn: *mut c_void, user_data: *mut c_void) -> i32>,
    /// Rolls back: the transaction's writes vanish.
    pub rollback: Option<unsafe extern "C" fn(conn: *mut c_void, user_data: *mut c_void) -> i32>,
    /// Writes `key` = `value`.
    pub put: Option<
        unsafe extern "C" fn(
            conn: *mut c_void,
            key: *const u8,
            key_len: usize,
            value: *const u8,
            value_len: usize,
            user_data: *mut c_void,
        ) -> i32,
    >,
    /// Calls `row` once with the value of `key` if it exists, not at all otherwise.
    pub get: Option<
        unsafe extern "C" fn(
            conn: *mut c_void,
            key: *const u8,
            key_len: usize,
            row: weft_kv_row_fn,
            ctx: *mut c_void,
            user_data: *mut c_void,
        ) -> i32,
    >,
    /// Calls `row` for every key in `[from, to)` in ascending byte order, at
    /// most `limit` times, stopping early when `row` returns nonzero.
    pub scan: Option<
        unsafe extern "C" fn(
            conn: *mut c_void,
            from: *const u8,
            from_len: usize,
            to: *const u8,
            to_len: usize,
            limit: u64,
            row: weft_kv_row_fn,
            ctx: *mut c_void,
            user_data: *mut c_void,
        ) -> i32,
    >,
}

impl Default for weft_kv_store {
    /// All zeros (call [`weft_kv_store_init`] to set `struct_size`).
    fn default() -> Self {
        weft_kv_store {
            struct_size: 0,
            concurrent: 0,
            user_data: core::ptr::null_mut(),
            create: None,
            destroy: None,
            connect: None,
            disconnect: None,
            begin: None,
            commit: None,
            rollback: None,
            put: None,
            get: None,
            scan: None,
        }
    }
}

/// `enum weft_conformance_outcome`.
pub type weft_conformance_outcome = i32;
/// The scenario passed.
pub const WEFT_CONFORMANCE_PASS: weft_conformance_outcome = 0;
/// The scenario failed.
pub const WEFT_CONFORMANCE_FAIL: weft_conformance_outcome = 1;
/// The scenario was skipped.
pub const WEFT_CONFORMANCE_SKIP: weft_conformance_outcome = 2;

/// One result of a conformance run; its strings stay valid until
/// [`weft_conformance_free`].
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct weft_conformance_result {
    /// The scenario's name, e.g. "atomicity_under_injected_failure".
    pub scenario: *const c_char,
    /// A `weft_conformance_outcome`.
    pub outcome: i32,
    /// Reserved.
    pub reserved: u32,
    /// What failed and where, or why skipped; "" on pass.
    pub diagnostic: *const c_char,
}

impl Default for weft_conformance_result {
    fn default() -> Self {
        weft_conformance_result {
            scenario: core::ptr::null(),
            outcome: 0,
            reserved: 0,
            diagnostic: core::ptr::null(),
        }
    }
}

// -------------------------------------------------- functions of weft_sys.h

unsafe extern "C" {
    /// Fills the first `struct_size` bytes of `fields` with zeros and sets its `struct_size`.
    pub fn weft_op_fields_init(fields: *mut weft_op_fields, struct_size: usize) -> i32;
    /// A new, empty builder. Caller owns `*out`.
    pub fn weft_batch_builder_new(out: *mut *mut weft_batch_builder) -> i32;
    /// Sets the batch's transport fields.
    pub fn weft_batch_builder_set_header(
        builder: *mut weft_batch_builder,
        batch_id: u64,
        seq: u64,
        has_expected_cursor: u32,
        expected_cursor: u64,
        epoch: u32,
    ) -> i32;
    /// Adds one op (copied).
    pub fn weft_batch_builder_add_op(
        builder: *mut weft_batch_builder,
        fields: *const weft_op_fields,
    ) -> i32;
    /// Encodes the batch; the builder can go on being used. Caller owns `*out`.
    pub fn weft_batch_builder_finish(out: *mut weft_buf, builder: *const weft_batch_builder)
    -> i32;
    /// Releases `builder`; NULL is a no-op.
    pub fn weft_batch_builder_free(builder: *mut weft_batch_builder);

    /// Fills the first `struct_size` bytes of `store` with zeros (no
    /// callbacks) and sets its `struct_size`.
    pub fn weft_kv_store_init(store: *mut weft_kv_store, struct_size: usize) -> i32;
    /// Opens a log kept in database `db` of adapter `store` (the table is
    /// copied; `db` must outlive the log). Caller owns `*out`.
    pub fn weft_log_open_kv(
        out: *mut *mut weft_log,
        store: *const weft_kv_store,
        db: *mut c_void,
        opts: *const weft_log_options,
    ) -> i32;
    /// Runs the storage conformance kit against adapter `store`; `only` (may
    /// be NULL) names a single scenario. Caller owns `*out`.
    pub fn weft_conformance_run(
        out: *mut *mut weft_conformance,
        store: *const weft_kv_store,
        only: *const c_char,
    ) -> i32;
    /// The number of results (0 for NULL).
    pub fn weft_conformance_count(results: *const weft_conformance) -> usize;
    /// Result `index`; its strings stay valid until `weft_conformance_free`.
    pub fn weft_conformance_at(
        out: *mut weft_conformance_result,
        results: *const weft_conformance,
        index: usize,
    ) -> i32;
    /// Releases `results`; NULL is a no-op.
    pub fn weft_conformance_free(results: *mut weft_conformance);
}
