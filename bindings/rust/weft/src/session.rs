//! Sync sessions: state machines over byte messages, and the durable
//! outbox state a log keeps per peer (docs/sync.md).

use std::ffi::CStr;
use std::fmt;
use std::ptr::{self, NonNull};

use weft_sys as sys;

use crate::error::{Code, Error, check, expect_ok};
use crate::log::{Keep, Log};
use crate::raw;

/// Options of a sync [`Session`], mirroring `weft_session_options`. Every
/// setting left alone keeps the library's default.
///
/// ```no_run
/// # fn main() -> Result<(), weft::Error> {
/// # let log = weft::Log::open_memory()?;
/// # let token = Vec::new();
/// let options = weft::SessionOptions::new()
///     .peer("server")              // keep the outbox state under this name
///     .log_id("agent-42")          // the log a host should serve
///     .token(token);               // the capability token for it
/// let session = weft::Session::connect_with(&log, &options)?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionOptions {
    push: Option<bool>,
    accept: Option<bool>,
    max_batch_ops: Option<u32>,
    max_batch_bytes: Option<u64>,
    max_chunks_bytes: Option<u64>,
    window: Option<u32>,
    ship_chunks: Option<bool>,
    peer: Option<String>,
    log_id: Option<String>,
    token: Option<Vec<u8>>,
    retry_base_ms: Option<u64>,
    retry_max_ms: Option<u64>,
    retry_max_attempts: Option<u32>,
    retry_seed: Option<u64>,
}

impl SessionOptions {
    /// The library's defaults: replica to replica, both directions, no
    /// durable peer state.
    pub fn new() -> SessionOptions {
        SessionOptions::default()
    }

    /// Send the peer the ops it lacks (default true).
    pub fn push(mut self, on: bool) -> SessionOptions {
        self.push = Some(on);
        self
    }

    /// Apply the ops the peer sends (default true).
    pub fn accept(mut self, on: bool) -> SessionOptions {
        self.accept = Some(on);
        self
    }

    /// At most this many ops per batch (default 4096; at least 1).
    pub fn max_batch_ops(mut self, n: u32) -> SessionOptions {
        self.max_batch_ops = Some(n);
        self
    }

    /// At most this many payload bytes per batch (default 1 MiB; at least 1).
    pub fn max_batch_bytes(mut self, n: u64) -> SessionOptions {
        self.max_batch_bytes = Some(n);
        self
    }

    /// At most this many bytes per Chunks message (default 8 MiB; at least 1).
    pub fn max_chunks_bytes(mut self, n: u64) -> SessionOptions {
        self.max_chunks_bytes = Some(n);
        self
    }

    /// At most this many data messages in flight (default 8; at least 1).
    pub fn window(mut self, n: u32) -> SessionOptions {
        self.window = Some(n);
        self
    }

    /// Send sealed chunks to peers far behind (default true).
    pub fn ship_chunks(mut self, on: bool) -> SessionOptions {
        self.ship_chunks = Some(on);
        self
    }

    /// Keep this peer's outbox state (acked cursor, retry state) in the
    /// log under `name` (1 to 256 bytes; default: none).
    pub fn peer(mut self, name: impl Into<String>) -> SessionOptions {
        self.peer = Some(name.into());
        self
    }

    /// Initiator: the log a host should serve (at most 256 bytes).
    pub fn log_id(mut self, id: impl Into<String>) -> SessionOptions {
        self.log_id = Some(id.into());
        self
    }

    /// Initiator: the capability token for [`log_id`](Self::log_id) (at
    /// most 4096 bytes), from [`Host::issue`](crate::Host::issue).
    pub fn token(mut self, token: impl Into<Vec<u8>>) -> SessionOptions {
        self.token = Some(token.into());
        self
    }

    /// The first resend after this many ms without an answer (default 1000).
    pub fn retry_base_ms(mut self, ms: u64) -> SessionOptions {
        self.retry_base_ms = Some(ms);
        self
    }

    /// The longest wait between resends (default 60,000 ms).
    pub fn retry_max_ms(mut self, ms: u64) -> SessionOptions {
        self.retry_max_ms = Some(ms);
        self
    }

    /// Fail with `Timeout` after this many resends (default 8; 0: never).
    pub fn retry_max_attempts(mut self, n: u32) -> SessionOptions {
        self.retry_max_attempts = Some(n);
        self
    }

    /// The seed of the resend delays' jitter (default 0).
    pub fn retry_seed(mut self, seed: u64) -> SessionOptions {
        self.retry_seed = Some(seed);
        self
    }

    /// Calls `body` with the C options; the strings and the token they
    /// point into live until it returns (weft copies them).
    pub(crate) fn with_raw<R>(
        &self,
        body: impl FnOnce(&sys::weft_session_options) -> R,
    ) -> Result<R, Error> {
        let mut raw = raw::library_defaults(sys::weft_session_options_init);
        if let Some(on) = self.push {
            raw.push = on.into();
        }
        if let Some(on) = self.accept {
            raw.accept = on.into();
        }
        if let Some(n) = self.max_batch_ops {
            raw.max_batch_ops = n;
        }
        if let Some(n) = self.max_batch_bytes {
            raw.max_batch_bytes = n;
        }
        if let Some(n) = self.max_chunks_bytes {
            raw.max_chunks_bytes = n;
        }
        if let Some(n) = self.window {
            raw.window = n;
        }
        if let Some(on) = self.ship_chunks {
            raw.ship_chunks = on.into();
        }
        if let Some(ms) = self.retry_base_ms {
            raw.retry_base_ms = ms;
        }
        if let Some(ms) = self.retry_max_ms {
            raw.retry_max_ms = ms;
        }
        if let Some(n) = self.retry_max_attempts {
            raw.retry_max_attempts = n;
        }
        if let Some(seed) = self.retry_seed {
            raw.retry_seed = seed;
        }
        let peer = self.peer.as_deref().map(|p| raw::c_string("peer name", p)).transpose()?;
        let log_id = self.log_id.as_deref().map(|l| raw::c_string("log id", l)).transpose()?;
        raw.peer = peer.as_ref().map_or(ptr::null(), |p| p.as_ptr());
        raw.log_id = log_id.as_ref().map_or(ptr::null(), |l| l.as_ptr());
        if let Some(token) = &self.token {
            raw.token = token.as_ptr();
            raw.token_len = token.len();
        }
        Ok(body(&raw))
    }
}

/// The state of a [`Session`] (`weft_session_state`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionState {
    /// Waiting for the peer's Hello.
    #[default]
    Handshake,
    /// Exchanging ops.
    Syncing,
    /// Both directions complete (the session still answers batches).
    Done,
    /// Ended by an error ([`SessionInfo::error`]).
    Failed,
    /// A state this binding does not know (from a newer library).
    Unknown(u32),
}

impl SessionState {
    /// The state of a C value.
    pub fn from_raw(raw: u32) -> SessionState {
        match raw {
            sys::WEFT_SESSION_HANDSHAKE => SessionState::Handshake,
            sys::WEFT_SESSION_SYNCING => SessionState::Syncing,
            sys::WEFT_SESSION_DONE => SessionState::Done,
            sys::WEFT_SESSION_FAILED => SessionState::Failed,
            other => SessionState::Unknown(other),
        }
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionState::Handshake => f.write_str("handshake"),
            SessionState::Syncing => f.write_str("syncing"),
            SessionState::Done => f.write_str("done"),
            SessionState::Failed => f.write_str("failed"),
            SessionState::Unknown(raw) => write!(f, "unknown({raw})"),
        }
    }
}

/// A session's state and counters (`weft_session_info`), copied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionInfo {
    /// Where the session is.
    pub state: SessionState,
    /// Why it failed (its code and message), if [`SessionState::Failed`].
    pub error: Option<Error>,
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
    /// Ops sent, in batches and chunks.
    pub ops_sent: u64,
    /// Data messages sent again (byte-identical) after [`Session::tick`].
    pub resends: u64,
    /// Acks that matched nothing in flight (ignored).
    pub stale_acks: u64,
    /// Of the peer's ops: applied here.
    pub applied: u64,
    /// Of the peer's ops: already here (a resent message whose answer was lost).
    pub duplicates: u64,
    /// Of the peer's ops: rejected here.
    pub rejected: u64,
    /// Of ours: applied at the peer.
    pub peer_applied: u64,
    /// Of ours: already at the peer.
    pub peer_duplicates: u64,
    /// Of ours: rejected at the peer.
    pub peer_rejected: u64,
    /// Ops to send, as counted at the handshake.
    pub ops_to_send: u64,
    /// Ops the peer acknowledged.
    pub ops_acked: u64,
    /// The peer's durable acked cursor, as this session last knew it.
    pub acked_cursor: u64,
}

/// A sync session (`weft_session`): a state machine over byte messages.
///
/// The application moves each message from [`Session::next_message`] to
/// the peer's [`Session::receive`] over any transport; weft owns no thread,
/// socket or clock ([`Session::tick`] brings the time). A session keeps its
/// log (or host) alive: it may outlive the [`Log`] it was made from.
///
/// ```
/// # fn main() -> Result<(), weft::Error> {
/// let (a, b) = (weft::Log::open_memory()?, weft::Log::open_memory()?);
/// a.append(b"from a", 1)?;
/// b.append(b"from b", 1)?;
/// let (mut sa, mut sb) = (weft::Session::connect(&a)?, weft::Session::accept(&b)?);
/// while !(sa.is_done() && sb.is_done()) {
///     while let Some(m) = sa.next_message() { sb.receive(&m)?; }
///     while let Some(m) = sb.next_message() { sa.receive(&m)?; }
/// }
/// assert_eq!(a.digest()?, b.digest()?);
/// # Ok(()) }
/// ```
///
/// One thread at a time: `Send` (it may move to another thread) but not
/// `Sync`; the methods that move it forward take `&mut self`.
///
/// ```compile_fail,E0277
/// fn shared<T: Sync>() {}
/// shared::<weft::Session>();
/// ```
#[derive(Debug)]
pub struct Session {
    raw: NonNull<sys::weft_session>,
    /// The log's [`Keep`]: the C session keeps the C log open.
    _keep: Keep,
}

// SAFETY: weft.h labels weft_session "one thread at a time": it may be used
// from any thread, one at a time, which `&mut self` and !Sync guarantee
// (`info` takes `&self` but cannot run concurrently with anything on a
// value that is not Sync).
unsafe impl Send for Session {}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: we own the handle. `_keep` is dropped only after this.
        unsafe { sys::weft_session_free(self.raw.as_ptr()) }
    }
}

impl Session {
    /// Starts the initiating side of a session over `log`, with the
    /// default options: its Hello is the first message.
    pub fn connect(log: &Log) -> Result<Session, Error> {
        Session::connect_with(log, &SessionOptions::default())
    }

    /// Starts the initiating side of a session over `log`.
    ///
    /// Errors: `InvalidArgument` (a peer name or log id over 256 bytes or
    /// holding a NUL byte, a token over 4096 bytes, a zero bound).
    pub fn connect_with(log: &Log, options: &SessionOptions) -> Result<Session, Error> {
        crate::check_version()?;
        let mut out = ptr::null_mut();
        // SAFETY: valid handle, options (their strings live for the call) and
        // out pointer.
        check(
            options
                .with_raw(|opts| unsafe { sys::weft_session_connect(&mut out, log.ptr(), opts) })?,
        )?;
        Ok(Session::from_raw(out, log.keep()))
    }

    /// Starts the responding side over `log`, with the default options: it
    /// waits for the peer's Hello and grants both directions (no token is
    /// checked: for replica to replica; see [`Host`](crate::Host) for that).
    pub fn accept(log: &Log) -> Result<Session, Error> {
        Session::accept_with(log, &SessionOptions::default())
    }

    /// Starts the responding side over `log`, granting what
    /// `options.push` and `options.accept` say.
    ///
    /// Errors: as [`Session::connect_with`].
    pub fn accept_with(log: &Log, options: &SessionOptions) -> Result<Session, Error> {
        crate::check_version()?;
        let mut out = ptr::null_mut();
        // SAFETY: as in connect_with.
        check(
            options
                .with_raw(|opts| unsafe { sys::weft_session_accept(&mut out, log.ptr(), opts) })?,
        )?;
        Ok(Session::from_raw(out, log.keep()))
    }

    pub(crate) fn from_raw(raw: *mut sys::weft_session, keep: Keep) -> Session {
        Session {
            raw: NonNull::new(raw).expect("weft returned WEFT_OK and a NULL session"),
            _keep: keep,
        }
    }

    /// The next message to send to the peer, or `None` when there is
    /// nothing to send now (the window is full, or everything sent awaits
    /// answers). A failed session yields its Error message for the peer,
    /// then nothing.
    pub fn next_message(&mut self) -> Option<Vec<u8>> {
        let mut out = sys::weft_buf::default();
        let mut has_message = 0;
        // SAFETY: valid handle and out pointers.
        let status = unsafe {
            sys::weft_session_next_message(&mut out, &mut has_message, self.raw.as_ptr())
        };
        expect_ok(status, "weft_session_next_message");
        (has_message != 0).then(|| raw::take_buf(out))
    }

    /// Handles one message from the peer. After the session is done it
    /// still answers batches (a peer whose ack was lost).
    ///
    /// Errors: the code that failed the session (then [`Session::info`]
    /// says `Failed`): `Malformed` (not a message, or out of place),
    /// `PermissionDenied` / `StaleEpoch` (a refused or revoked capability),
    /// `Conflict` (the peer holds another op under one of our ids), a
    /// store error, or the code of the peer's Error message. A failed
    /// session answers every later message with its failure.
    pub fn receive(&mut self, message: &[u8]) -> Result<(), Error> {
        // SAFETY: valid handle and input slice.
        check(unsafe {
            sys::weft_session_receive(self.raw.as_ptr(), message.as_ptr(), message.len())
        })
    }

    /// Tells the session the time on the caller's monotonic clock, in ms
    /// (any origin, never wall time: `Instant`-based). When an answer is
    /// overdue per the retry policy, the unanswered messages are queued
    /// again, byte-identical, and the attempt is recorded durably for the
    /// peer. Call it when the transport is idle.
    ///
    /// Errors: `Timeout` past [`SessionOptions::retry_max_attempts`] (the
    /// session fails), or the session's earlier failure.
    pub fn tick(&mut self, now_ms: u64) -> Result<(), Error> {
        // SAFETY: valid handle.
        check(unsafe { sys::weft_session_tick(self.raw.as_ptr(), now_ms) })
    }

    /// The session's state and counters, and why it failed.
    pub fn info(&self) -> SessionInfo {
        let mut out = sys::weft_session_info::default();
        let mut message = ptr::null();
        // SAFETY: valid handle and out pointers; the message is copied
        // before the next call on this session.
        let status =
            unsafe { sys::weft_session_get_info(&mut out, &mut message, self.raw.as_ptr()) };
        expect_ok(status, "weft_session_get_info");
        let error = (out.error_code != sys::WEFT_OK).then(|| {
            let text = if message.is_null() {
                String::new()
            } else {
                // SAFETY: NUL-terminated, valid until the next call on the session.
                unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned()
            };
            Error::new(Code::from_raw(out.error_code), text)
        });
        SessionInfo {
            state: SessionState::from_raw(out.state),
            error,
            messages_sent: out.messages_sent,
            bytes_sent: out.bytes_sent,
            messages_received: out.messages_received,
            bytes_received: out.bytes_received,
            batches_sent: out.batches_sent,
            chunks_sent: out.chunks_sent,
            ops_sent: out.ops_sent,
            resends: out.resends,
            stale_acks: out.stale_acks,
            applied: out.applied,
            duplicates: out.duplicates,
            rejected: out.rejected,
            peer_applied: out.peer_applied,
            peer_duplicates: out.peer_duplicates,
            peer_rejected: out.peer_rejected,
            ops_to_send: out.ops_to_send,
            ops_acked: out.ops_acked,
            acked_cursor: out.acked_cursor,
        }
    }

    /// The session's state (see [`Session::info`]).
    pub fn state(&self) -> SessionState {
        self.info().state
    }

    /// Whether both directions are complete.
    pub fn is_done(&self) -> bool {
        self.state() == SessionState::Done
    }
}

/// What a log remembers about one sync peer (`weft_peer_state`): see
/// [`Log::peer`] and [`Log::record_peer`].
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PeerState {
    /// Every op at a local cursor up to this one is at the peer.
    pub acked_cursor: u64,
    /// Failed attempts since the last progress.
    pub attempts: u32,
    /// Wall clock (ms since 1970) of the next attempt; 0: now.
    pub next_attempt_ms: u64,
}

impl PeerState {
    /// How long to wait (ms) before the next attempt for this peer, given
    /// the wall clock now (ms since 1970) and the retry policy's base and
    /// maximum delays and jitter seed (`weft_retry_wait_ms`): never longer
    /// than the policy's delay for the attempts made (a clock set back does
    /// not starve the peer), 0 if due (a clock set forward fires once).
    pub fn retry_wait_ms(&self, now_wall_ms: u64, base_ms: u64, max_ms: u64, seed: u64) -> u64 {
        let raw = sys::weft_peer_state::from(*self);
        // SAFETY: a valid state; infallible.
        unsafe { sys::weft_retry_wait_ms(&raw, now_wall_ms, base_ms, max_ms, seed) }
    }
}

impl From<sys::weft_peer_state> for PeerState {
    fn from(raw: sys::weft_peer_state) -> Self {
        PeerState {
            acked_cursor: raw.acked_cursor,
            attempts: raw.attempts,
            next_attempt_ms: raw.next_attempt_ms,
        }
    }
}

impl From<PeerState> for sys::weft_peer_state {
    fn from(state: PeerState) -> Self {
        sys::weft_peer_state {
            acked_cursor: state.acked_cursor,
            attempts: state.attempts,
            reserved: 0,
            next_attempt_ms: state.next_attempt_ms,
        }
    }
}

impl Log {
    /// The durable outbox state of the peer named `peer` (1 to 256 bytes,
    /// chosen by the application); all zeros for a peer never recorded.
    ///
    /// Errors: `InvalidArgument` (an empty name, one over 256 bytes or
    /// holding a NUL byte), or a store error.
    pub fn peer(&self, peer: &str) -> Result<PeerState, Error> {
        let name = raw::c_string("peer name", peer)?;
        let mut out = sys::weft_peer_state::default();
        // SAFETY: valid handle, NUL-terminated name and out pointer.
        check(unsafe { sys::weft_log_peer(&mut out, self.ptr(), name.as_ptr()) })?;
        Ok(out.into())
    }

    /// Stores `state` for `peer` in one transaction and returns what was
    /// stored: the acked cursor never moves backward (a lower one keeps the
    /// stored value). Sessions keep this state themselves; this is for
    /// applications that reset a peer's retry state, or move their own ops.
    ///
    /// Errors: `InvalidArgument` (a bad name, an acked cursor past the
    /// log's cursor), or a store error.
    pub fn record_peer(&self, peer: &str, state: &PeerState) -> Result<PeerState, Error> {
        let name = raw::c_string("peer name", peer)?;
        let raw_state = sys::weft_peer_state::from(*state);
        let mut stored = sys::weft_peer_state::default();
        // SAFETY: valid handle, NUL-terminated name, state and out pointer.
        check(unsafe {
            sys::weft_log_record_peer(&mut stored, self.ptr(), name.as_ptr(), &raw_state)
        })?;
        Ok(stored.into())
    }
}
