//! Logs and their iterators.

use std::any::Any;
use std::ffi::CString;
use std::iter::FusedIterator;
use std::path::Path;
use std::ptr::{self, NonNull};
use std::sync::Arc;

use weft_sys as sys;

use crate::ack::Ack;
use crate::error::{Code, Error, check, expect_ok};
use crate::kv::{KvKeep, KvStore};
use crate::raw;
use crate::types::{Actor, AppendRequest, Digest, Op, OpId, Seal, VerifyReport};

/// Options for opening a [`Log`], whatever its store, mirroring
/// `weft_log_options`. Every setting left alone keeps the library's default.
/// The SQLite store's own settings are in [`SqliteOptions`].
///
/// ```no_run
/// # fn main() -> Result<(), weft::Error> {
/// let log = weft::Options::new().max_payload_bytes(1 << 20).open_sqlite("agent.db")?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    actor: Option<Actor>,
    auto_seal_ops: Option<u64>,
    max_ops: Option<u32>,
    max_payload_bytes: Option<u32>,
    max_deps_per_op: Option<u32>,
    max_actors: Option<u32>,
    max_message_bytes: Option<u64>,
}

impl Options {
    /// The library's defaults.
    pub fn new() -> Options {
        Options::default()
    }

    /// Append as `actor` (default: the one stored with the log, or a new
    /// random one). On a store copied or restored from another replica,
    /// appending under an explicit `actor` that was minted past what the
    /// store holds fails with `Conflict` (see [`Log::actor`]).
    pub fn actor(mut self, actor: Actor) -> Options {
        self.actor = Some(actor);
        self
    }

    /// Seal the log's own ops every `n` (default: the store's choice).
    pub fn auto_seal_ops(mut self, n: u64) -> Options {
        self.auto_seal_ops = Some(n);
        self
    }

    /// At most this many ops per batch or chunk (default 1,048,576; at least 1).
    pub fn max_ops(mut self, n: u32) -> Options {
        self.max_ops = Some(n);
        self
    }

    /// At most this many payload bytes per op (default 16 MiB).
    pub fn max_payload_bytes(mut self, n: u32) -> Options {
        self.max_payload_bytes = Some(n);
        self
    }

    /// At most this many explicit dependencies per op (default 1024).
    pub fn max_deps_per_op(mut self, n: u32) -> Options {
        self.max_deps_per_op = Some(n);
        self
    }

    /// At most this many actors per message (default 65,536; at least 1).
    pub fn max_actors(mut self, n: u32) -> Options {
        self.max_actors = Some(n);
        self
    }

    /// At most this many bytes per message (default 256 MiB; at least 64).
    pub fn max_message_bytes(mut self, n: u64) -> Options {
        self.max_message_bytes = Some(n);
        self
    }

    /// Opens a new, empty in-memory log with these options.
    pub fn open_memory(&self) -> Result<Log, Error> {
        Log::open_memory_with(self)
    }

    /// Opens the SQLite log at `path` with these options and the SQLite
    /// store's defaults (see [`Log::open_sqlite`]).
    pub fn open_sqlite(&self, path: impl AsRef<Path>) -> Result<Log, Error> {
        Log::open_sqlite_with(path, self, &SqliteOptions::default())
    }

    /// Opens the SQLite log at `path` with these options and the SQLite
    /// store's `sqlite` options (see [`Log::open_sqlite_with`]).
    pub fn open_sqlite_with(
        &self,
        path: impl AsRef<Path>,
        sqlite: &SqliteOptions,
    ) -> Result<Log, Error> {
        Log::open_sqlite_with(path, self, sqlite)
    }

    /// Opens the log kept in database `db` of the Rust storage adapter
    /// `adapter`, with these options (see [`Log::open_kv`]).
    pub fn open_kv<S: KvStore>(&self, adapter: Arc<S>, db: Arc<S::Database>) -> Result<Log, Error> {
        Log::open_kv_with(adapter, db, self)
    }

    /// The C options.
    fn to_raw(&self) -> sys::weft_log_options {
        let mut raw = raw::library_defaults(sys::weft_log_options_init);
        if let Some(actor) = self.actor {
            raw.has_actor = 1;
            raw.actor = actor.into();
        }
        if let Some(n) = self.auto_seal_ops {
            raw.auto_seal_ops = n;
        }
        if let Some(n) = self.max_ops {
            raw.max_ops = n;
        }
        if let Some(n) = self.max_payload_bytes {
            raw.max_payload_bytes = n;
        }
        if let Some(n) = self.max_deps_per_op {
            raw.max_deps_per_op = n;
        }
        if let Some(n) = self.max_actors {
            raw.max_actors = n;
        }
        if let Some(n) = self.max_message_bytes {
            raw.max_message_bytes = n;
        }
        raw
    }
}

/// Options of the SQLite store, mirroring `weft_sqlite_options`: which log
/// of the file, how the file is opened and written. Every setting left
/// alone keeps the library's default. Settings that apply to every store
/// (the writer id, limits) are in [`Options`].
///
/// ```no_run
/// # fn main() -> Result<(), weft::Error> {
/// use weft::{Options, SqliteOptions};
///
/// let log = SqliteOptions::new().synchronous_full(true).log_name("session-42").open("agent.db")?;
///
/// // Both kinds of options; and an existing log only, opened without writing.
/// let sqlite = SqliteOptions::new().create(false).busy_timeout_ms(100);
/// let other = Options::new().max_ops(4096).open_sqlite_with("agent.db", &sqlite)?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SqliteOptions {
    synchronous_full: Option<bool>,
    busy_timeout_ms: Option<u32>,
    create: Option<bool>,
    special_names: Option<bool>,
    log_name: Option<String>,
}

impl SqliteOptions {
    /// The library's defaults.
    pub fn new() -> SqliteOptions {
        SqliteOptions::default()
    }

    /// `synchronous=FULL`: a successful write survives power loss, not only
    /// a crash of the process (default off).
    pub fn synchronous_full(mut self, on: bool) -> SqliteOptions {
        self.synchronous_full = Some(on);
        self
    }

    /// How long to wait for another writer's lock before `Busy` (default
    /// 5000 ms).
    pub fn busy_timeout_ms(mut self, ms: u32) -> SqliteOptions {
        self.busy_timeout_ms = Some(ms);
        self
    }

    /// Create the file and the log if missing (default true). With false,
    /// opening never writes, and a missing or empty file, or a missing log,
    /// is `NotFound`.
    pub fn create(mut self, create: bool) -> SqliteOptions {
        self.create = Some(create);
        self
    }

    /// Let the path be SQLite's `":memory:"` or a `"file:"` URI (default
    /// false: such paths are `InvalidArgument`, so that a file name can
    /// never be read as one).
    pub fn special_names(mut self, on: bool) -> SqliteOptions {
        self.special_names = Some(on);
        self
    }

    /// The log within the file (default `"main"`): one file may hold several.
    pub fn log_name(mut self, name: impl Into<String>) -> SqliteOptions {
        self.log_name = Some(name.into());
        self
    }

    /// Opens the SQLite log at `path` with these options and the default
    /// [`Options`] (see [`Log::open_sqlite_with`]).
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Log, Error> {
        Log::open_sqlite_with(path, &Options::default(), self)
    }

    /// The C options, and the log name they point into (keep it alive).
    fn to_raw(&self) -> Result<(sys::weft_sqlite_options, Option<CString>), Error> {
        let mut raw = raw::library_defaults(sys::weft_sqlite_options_init);
        if let Some(on) = self.synchronous_full {
            raw.synchronous_full = on.into();
        }
        if let Some(ms) = self.busy_timeout_ms {
            raw.busy_timeout_ms = ms;
        }
        if let Some(create) = self.create {
            raw.create = create.into();
        }
        if let Some(on) = self.special_names {
            raw.special_names = on.into();
        }
        let name = self.log_name.as_deref().map(|n| raw::c_string("log name", n)).transpose()?;
        if let Some(name) = &name {
            raw.log_name = name.as_ptr();
        }
        Ok((raw, name))
    }
}

/// A durable, replicated, append-only op log (`weft_log`): the engine over
/// an in-memory or SQLite store, or a storage adapter written in Rust.
///
/// Internally synchronized: every method takes `&self` and may be called
/// from any thread (calls are serialised by the log), so a `Log` is `Send`
/// and `Sync`; share it with an `Arc`. Dropping it releases this handle;
/// the log closes once its iterators are dropped too.
#[derive(Debug)]
pub struct Log {
    raw: NonNull<sys::weft_log>,
    /// What the C log points into (a Rust adapter and its database); the
    /// log's iterators hold it too.
    keep: Keep,
}

/// Rust values a C log points into, dropped after the last handle of it.
pub(crate) type Keep = Option<Arc<dyn Any + Send + Sync>>;

// SAFETY: weft.h labels weft_log "internally synchronized": every function
// taking it may be called from any thread, and it may be freed from any.
unsafe impl Send for Log {}
// SAFETY: as above; shared references only reach those same functions.
unsafe impl Sync for Log {}

impl Drop for Log {
    fn drop(&mut self) {
        // SAFETY: we own the handle; iterators hold their own reference.
        // `keep` is dropped only after this.
        unsafe { sys::weft_log_free(self.raw.as_ptr()) }
    }
}

impl Log {
    /// Opens a new, empty in-memory log with the default options.
    pub fn open_memory() -> Result<Log, Error> {
        Log::open_memory_with(&Options::default())
    }

    /// Opens a new, empty in-memory log.
    pub fn open_memory_with(options: &Options) -> Result<Log, Error> {
        crate::check_version()?;
        let opts = options.to_raw();
        let mut out = ptr::null_mut();
        // SAFETY: valid out pointer and options.
        check(unsafe { sys::weft_log_open_memory(&mut out, &opts) })?;
        Ok(Log::from_raw(out, None))
    }

    /// Opens (creating it if missing) the log `"main"` of the SQLite database
    /// file at `path`, with the default options.
    ///
    /// A file copied (`cp`) or restored from another replica appends under
    /// a fresh writer id: a `<path>-weft` fence file beside the database
    /// tells the copy from the original (docs/storage.md, "Copies and
    /// restores").
    ///
    /// Errors: `InvalidArgument` (an empty path, a path that is not UTF-8 or
    /// holds a NUL byte, `":memory:"` or a `"file:"` URI without
    /// [`SqliteOptions::special_names`], a database of another
    /// application), `NotFound` (without [`SqliteOptions::create`]: a
    /// missing or empty file), `Corrupt`, `UnsupportedVersion`, `Conflict`
    /// (an explicit [`Options::actor`] minted past what a copied file
    /// holds), `IoError`, `Busy`.
    pub fn open_sqlite(path: impl AsRef<Path>) -> Result<Log, Error> {
        Log::open_sqlite_with(path, &Options::default(), &SqliteOptions::default())
    }

    /// Opens the log [`SqliteOptions::log_name`] of the SQLite database file
    /// at `path`, with the log's `options` and the SQLite store's `sqlite`
    /// options (`weft_log_open_sqlite`). Errors: as [`Log::open_sqlite`].
    pub fn open_sqlite_with(
        path: impl AsRef<Path>,
        options: &Options,
        sqlite: &SqliteOptions,
    ) -> Result<Log, Error> {
        crate::check_version()?;
        let path = path.as_ref();
        let c_path = path.to_str().and_then(|p| CString::new(p).ok()).ok_or_else(|| {
            Error::new(
                Code::InvalidArgument,
                format!("path {} is not UTF-8 without NUL bytes", path.display()),
            )
        })?;
        let opts = options.to_raw();
        let (sqlite_opts, _name) = sqlite.to_raw()?;
        let mut out = ptr::null_mut();
        // SAFETY: valid out pointer, NUL-terminated path, both options (the
        // log name outlives the call).
        check(unsafe {
            sys::weft_log_open_sqlite(&mut out, c_path.as_ptr(), &opts, &sqlite_opts)
        })?;
        Ok(Log::from_raw(out, None))
    }

    /// Opens (creating it if the database is empty) the log kept in
    /// database `db` of the Rust storage adapter `adapter`
    /// (`weft_log_open_kv`), with the default options. The log holds one
    /// connection ([`KvStore::connect`]), dropped with the log and its
    /// iterators, which keep `adapter` and `db` alive until then.
    ///
    /// Dropping every log of a database and opening another is a reopen:
    /// it finds every committed op, the writer id and the epoch.
    ///
    /// Errors: the error code of a failing adapter call, with its message
    /// (`"kv adapter: connect: <message>"`), `Internal` if it panicked,
    /// `Corrupt` (stored records that do not parse), `InvalidArgument`,
    /// `UnsupportedVersion`.
    pub fn open_kv<S: KvStore>(adapter: Arc<S>, db: Arc<S::Database>) -> Result<Log, Error> {
        Log::open_kv_with(adapter, db, &Options::default())
    }

    /// Like [`Log::open_kv`], with options.
    pub fn open_kv_with<S: KvStore>(
        adapter: Arc<S>,
        db: Arc<S::Database>,
        options: &Options,
    ) -> Result<Log, Error> {
        crate::check_version()?;
        let opts = options.to_raw();
        let keep = KvKeep::new(adapter, db);
        let (table, db) = keep.raw();
        let mut out = ptr::null_mut();
        // SAFETY: a complete table (copied by weft) and a database pointer,
        // both pointing into `keep`, which the log and its iterators hold
        // until the C log is freed; valid out pointer and options.
        check(unsafe { sys::weft_log_open_kv(&mut out, &table, db, &opts) })?;
        Ok(Log::from_raw(out, Some(keep)))
    }

    fn from_raw(raw: *mut sys::weft_log, keep: Keep) -> Log {
        Log { raw: NonNull::new(raw).expect("weft returned WEFT_OK and a NULL log"), keep }
    }

    pub(crate) fn ptr(&self) -> *mut sys::weft_log {
        self.raw.as_ptr()
    }

    /// What the C log points into, for a child handle to hold.
    pub(crate) fn keep(&self) -> Keep {
        self.keep.clone()
    }

    /// The writer id this log appends as. It can change: a log whose store
    /// is a copy or a restore of another replica's (found at open, or when
    /// a peer or a merged log holds more of the writer than this log does)
    /// appends under a fresh one from then on.
    pub fn actor(&self) -> Actor {
        let mut out = sys::weft_actor::default();
        // SAFETY: valid handle and out pointer.
        expect_ok(unsafe { sys::weft_log_actor(&mut out, self.ptr()) }, "weft_log_actor");
        out.into()
    }

    /// The number of ops applied: the last op's cursor.
    pub fn cursor(&self) -> u64 {
        let mut out = 0;
        // SAFETY: valid handle and out pointer.
        expect_ok(unsafe { sys::weft_log_cursor(&mut out, self.ptr()) }, "weft_log_cursor");
        out
    }

    /// The capability epoch.
    pub fn epoch(&self) -> u32 {
        let mut out = 0;
        // SAFETY: valid handle and out pointer.
        expect_ok(unsafe { sys::weft_log_epoch(&mut out, self.ptr()) }, "weft_log_epoch");
        out
    }

    /// Raises the capability epoch, durably: batches of older epochs are then
    /// refused as `StaleEpoch`, of newer ones as `PermissionDenied`.
    /// Errors: `InvalidArgument` if `epoch` is below the current one, or a
    /// store error.
    pub fn set_epoch(&self, epoch: u32) -> Result<(), Error> {
        // SAFETY: valid handle.
        check(unsafe { sys::weft_log_set_epoch(self.ptr(), epoch) })
    }

    /// Appends one op with `payload` and `kind`, on the log's heads, stamped
    /// with the wall clock, in its own transaction.
    /// Errors: `InvalidArgument` (a payload over the limit), `Conflict` (an
    /// explicit [`Options::actor`] this store was copied or restored
    /// under), or a store error.
    pub fn append(&self, payload: &[u8], kind: u32) -> Result<OpId, Error> {
        let mut out = sys::weft_op_id::default();
        // SAFETY: valid out pointer, handle and input slice.
        check(unsafe {
            sys::weft_log_append(&mut out, self.ptr(), payload.as_ptr(), payload.len(), kind)
        })?;
        Ok(out.into())
    }

    /// Appends one op with every field explicit (dependencies, timestamp).
    /// Errors: `InvalidArgument`, `MissingDependency` (an explicit dependency
    /// is not in the log), `Conflict` (as [`Log::append`]), or a store error.
    pub fn append_with(&self, request: &AppendRequest<'_>) -> Result<OpId, Error> {
        let ids = self.append_many(std::slice::from_ref(request))?;
        Ok(ids[0])
    }

    /// Appends several ops in one transaction: all or none.
    pub fn append_many(&self, requests: &[AppendRequest<'_>]) -> Result<Vec<OpId>, Error> {
        // The C requests point into these, which outlive the call.
        let deps: Vec<Vec<sys::weft_op_id>> =
            requests.iter().map(|r| raw::raw_ids(r.deps.unwrap_or(&[]))).collect();
        let raw_requests: Vec<sys::weft_append_request> = requests
            .iter()
            .zip(&deps)
            .map(|(r, deps)| {
                let mut raw = raw::library_defaults(sys::weft_append_request_init);
                raw.kind = r.kind;
                raw.payload = r.payload.as_ptr();
                raw.payload_len = r.payload.len();
                if let Some(ts) = r.timestamp_ms {
                    raw.has_timestamp = 1;
                    raw.timestamp_ms = ts;
                }
                if r.deps.is_some() {
                    raw.has_deps = 1;
                    raw.deps = deps.as_ptr();
                    raw.deps_len = deps.len();
                }
                raw
            })
            .collect();
        let mut out = vec![sys::weft_op_id::default(); requests.len()];
        // SAFETY: room for `count` ids, and `count` requests.
        check(unsafe {
            sys::weft_log_append_many(
                out.as_mut_ptr(),
                self.ptr(),
                raw_requests.as_ptr(),
                raw_requests.len(),
            )
        })?;
        Ok(out.into_iter().map(OpId::from).collect())
    }

    /// Applies an encoded batch (the wire format) with the five apply rules,
    /// in one transaction.
    ///
    /// Ops refused one by one (`Conflict`, `MissingDependency`,
    /// `CursorMismatch`, ...) are listed in [`Ack::rejected`] with their
    /// code, beside the applied ops and the duplicates: applying the same
    /// batch again answers "all duplicates". A batch refused as a whole
    /// (its epoch is stale: `StaleEpoch`; or was never issued:
    /// `PermissionDenied`) applies nothing and is returned as an `Err` with
    /// that code; use [`Log::apply_with_refusal`] to get its ack instead.
    ///
    /// Errors: `Malformed` or `UnsupportedVersion` (bytes that are not a
    /// valid batch; nothing applied), `StaleEpoch`, `PermissionDenied`, or a
    /// store error (nothing applied).
    pub fn apply(&self, batch: &[u8]) -> Result<Ack, Error> {
        let ack = self.apply_with_refusal(batch)?;
        match ack.status() {
            Code::Ok => Ok(ack),
            code => Err(Error::new(
                code,
                format!(
                    "batch {} (seq {}) refused as a whole; nothing applied",
                    ack.batch_id(),
                    ack.seq()
                ),
            )),
        }
    }

    /// Like [`Log::apply`], but a batch refused as a whole is an `Ok` ack
    /// whose [`Ack::status`] is `StaleEpoch` or `PermissionDenied`: for a
    /// server that encodes every ack back to its peer.
    pub fn apply_with_refusal(&self, batch: &[u8]) -> Result<Ack, Error> {
        let mut out = ptr::null_mut();
        // SAFETY: valid out pointer, handle and input slice.
        check(unsafe { sys::weft_log_apply(&mut out, self.ptr(), batch.as_ptr(), batch.len()) })?;
        Ack::from_raw(out)
    }

    /// Reads the log in cursor order from cursor `from` (1 is the first op),
    /// at most `max` ops (`u64::MAX`: to the end). The iterator owns a
    /// reference to the log: it may outlive this `Log`.
    pub fn read(&self, from: u64, max: u64) -> Result<OpIter, Error> {
        let mut out = ptr::null_mut();
        // SAFETY: valid out pointer and handle.
        check(unsafe { sys::weft_log_read(&mut out, self.ptr(), from, max) })?;
        Ok(OpIter {
            raw: NonNull::new(out).expect("weft returned WEFT_OK and a NULL iterator"),
            done: false,
            _keep: self.keep.clone(),
        })
    }

    /// Op `id`, or `None` if it is not in the log.
    /// Errors: a store error (`Corrupt`, ...).
    pub fn get(&self, id: &OpId) -> Result<Option<Op>, Error> {
        let raw_id = sys::weft_op_id::from(*id);
        let mut out = ptr::null_mut();
        // SAFETY: valid out pointer, handle and id.
        match check(unsafe { sys::weft_log_get(&mut out, self.ptr(), &raw_id) }) {
            Ok(()) => {}
            Err(e) if e.code == Code::NotFound => return Ok(None),
            Err(e) => return Err(e),
        }
        let mut view = sys::weft_op_view::default();
        // SAFETY: `out` is ours: its view is valid until weft_op_free, and
        // is copied before.
        unsafe {
            let status = sys::weft_op_get_view(&mut view, out);
            let op = (status == sys::WEFT_OK).then(|| raw::op_from_view(&view));
            let result = check(status);
            sys::weft_op_free(out);
            result?;
            Ok(op)
        }
    }

    /// The log's heads (ops nothing else depends on), sorted.
    pub fn heads(&self) -> Result<Vec<OpId>, Error> {
        // SAFETY: valid handle; `read_ids` passes a buffer of `cap` ids.
        raw::read_ids(|out, cap, len| unsafe { sys::weft_log_heads(out, cap, len, self.ptr()) })
    }

    /// The ids of every op in canonical order (lamport, actor, counter):
    /// equal on two logs that hold the same ops.
    pub fn canonical_order(&self) -> Result<Vec<OpId>, Error> {
        // SAFETY: valid handle; `read_ids` passes a buffer of `cap` ids.
        raw::read_ids(|out, cap, len| unsafe {
            sys::weft_log_canonical_order(out, cap, len, self.ptr())
        })
    }

    /// The log's version vector, encoded, for a peer's [`Log::diff`].
    pub fn version_vector(&self) -> Result<Vec<u8>, Error> {
        let mut out = sys::weft_buf::default();
        // SAFETY: valid handle and out pointer.
        check(unsafe { sys::weft_log_version_vector(&mut out, self.ptr()) })?;
        Ok(raw::take_buf(out))
    }

    /// The ops this log has past a peer's encoded version vector `vv` (empty:
    /// an empty vector), as encoded batches in dependency order, for the
    /// peer's [`Log::apply`]. Batches hold at most 4096 ops.
    /// Errors: `Malformed` (vv), or a store error.
    pub fn diff(&self, vv: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        self.diff_with(vv, 0, 0)
    }

    /// Like [`Log::diff`], with at most `max_ops_per_batch` ops per batch
    /// (0: the default, 4096), stamped with `epoch`: the capability epoch
    /// the receiver holds (its [`Log::epoch`]), or it refuses them as
    /// `StaleEpoch`.
    pub fn diff_with(
        &self,
        vv: &[u8],
        max_ops_per_batch: u32,
        epoch: u32,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let mut out = ptr::null_mut();
        // SAFETY: valid out pointer, handle and input slice.
        check(unsafe {
            sys::weft_log_diff(
                &mut out,
                self.ptr(),
                vv.as_ptr(),
                vv.len(),
                max_ops_per_batch,
                epoch,
            )
        })?;
        let mut batches = Vec::new();
        let mut result = Ok(());
        // SAFETY: `out` is ours; each byte string is borrowed until
        // weft_bufs_free and copied before.
        unsafe {
            for i in 0..sys::weft_bufs_count(out) {
                let (mut data, mut len) = (ptr::null(), 0);
                result = check(sys::weft_bufs_at(&mut data, &mut len, out, i));
                if result.is_err() {
                    break;
                }
                batches.push(raw::slice(data, len).to_vec());
            }
            sys::weft_bufs_free(out);
        }
        result.map(|()| batches)
    }

    /// Merges `other` into this log, in process: applies other's diff since
    /// this log's version vector. Returns the number of ops applied. If
    /// `other` holds more of this log's writer than this log does, this log
    /// is a copy or a restore: it appends under a fresh writer from then on
    /// (see [`Log::actor`]).
    /// Errors: the first failing apply's (a batch refused as a whole
    /// included), or a store error.
    pub fn merge(&self, other: &Log) -> Result<u64, Error> {
        let mut applied = 0;
        // SAFETY: an out pointer and two valid handles (possibly the same;
        // `other` is only read).
        check(unsafe { sys::weft_log_merge(&mut applied, self.ptr(), other.ptr()) })?;
        Ok(applied)
    }

    /// 32 bytes equal exactly when two logs hold the same ops.
    pub fn digest(&self) -> Result<Digest, Error> {
        let mut out = sys::weft_hash::default();
        // SAFETY: valid handle and out pointer.
        check(unsafe { sys::weft_log_digest(&mut out, self.ptr()) })?;
        Ok(out.bytes)
    }

    /// Seals the next chunk of `actor`'s ops, ending at counter `last`; if
    /// `expected_digest` is given the chunk's digest must match. Sealing the
    /// same range again answers the existing seal.
    /// Errors: `InvalidArgument` (`last` inside a sealed chunk), `NotFound`
    /// (no such actor or counter), `ChecksumMismatch`, or a store error.
    pub fn seal(
        &self,
        actor: &Actor,
        last: u64,
        expected_digest: Option<&Digest>,
    ) -> Result<Seal, Error> {
        let raw_actor = sys::weft_actor::from(*actor);
        let expected = expected_digest.map(|d| sys::weft_hash { bytes: *d });
        let mut out = sys::weft_seal::default();
        // SAFETY: valid out pointer, handle and pointers (the expected
        // digest or NULL).
        check(unsafe {
            sys::weft_log_seal(&mut out, self.ptr(), &raw_actor, last, opt_ptr(&expected))
        })?;
        Ok(out.into())
    }

    /// The bytes of sealed chunk `index` of `actor`.
    /// Errors: `NotFound`, or a store error.
    pub fn chunk_get(&self, actor: &Actor, index: u64) -> Result<Vec<u8>, Error> {
        let raw_actor = sys::weft_actor::from(*actor);
        let mut out = sys::weft_buf::default();
        // SAFETY: valid handle and pointers.
        check(unsafe { sys::weft_log_chunk_get(&mut out, self.ptr(), &raw_actor, index) })?;
        Ok(raw::take_buf(out))
    }

    /// Stores a sealed chunk from a peer and applies its new ops, in one
    /// transaction; the same bytes again are fine. If `expected_digest` is
    /// given it must match.
    /// Errors: `Malformed`, `UnsupportedVersion`, `ChecksumMismatch`
    /// (digest, or broken chain), `NotContiguous` (chunk k before k-1),
    /// `ImmutableViolation` (other bytes for a sealed chunk), `Conflict`,
    /// `MissingDependency`, or a store error.
    pub fn chunk_put(&self, bytes: &[u8], expected_digest: Option<&Digest>) -> Result<Seal, Error> {
        let expected = expected_digest.map(|d| sys::weft_hash { bytes: *d });
        let mut out = sys::weft_seal::default();
        // SAFETY: valid out pointer, handle, input slice and pointer (the
        // expected digest or NULL).
        check(unsafe {
            sys::weft_log_chunk_put(
                &mut out,
                self.ptr(),
                bytes.as_ptr(),
                bytes.len(),
                opt_ptr(&expected),
            )
        })?;
        Ok(out.into())
    }

    /// Verifies the whole log, reading only: every op against its hash, the
    /// cursor and each writer's stored state against the ops, cursor order
    /// against every dependency, every chunk against its digest and chain.
    /// Errors: `Corrupt` naming the first bad op, writer or chunk, or a
    /// store error.
    pub fn verify(&self) -> Result<VerifyReport, Error> {
        let mut report = VerifyReport::default();
        // SAFETY: valid out pointers and handle.
        check(unsafe { sys::weft_log_verify(&mut report.ops, &mut report.chunks, self.ptr()) })?;
        Ok(report)
    }
}

/// A pointer to the value, or NULL.
pub(crate) fn opt_ptr<T>(value: &Option<T>) -> *const T {
    value.as_ref().map_or(ptr::null(), ptr::from_ref)
}

/// An iterator over a log's ops in cursor order (`weft_iter`), from
/// [`Log::read`]. It keeps its log open.
///
/// Each item is an owned copy of one op, or the error of the page read
/// that failed (`Corrupt` naming a damaged op or chunk, `IoError`, ...);
/// after an error or the end it yields nothing more.
///
/// One thread at a time: `Send` (it may move to another thread) but not
/// `Sync`.
///
/// ```compile_fail,E0277
/// fn shared<T: Sync>() {}
/// shared::<weft::OpIter>();
/// ```
#[derive(Debug)]
pub struct OpIter {
    raw: NonNull<sys::weft_iter>,
    done: bool,
    /// The log's [`Keep`]: the C iterator keeps the C log open.
    _keep: Keep,
}

// SAFETY: weft.h labels weft_iter "one thread at a time": it may be used
// from any thread, one at a time, which `&mut self` and !Sync guarantee.
unsafe impl Send for OpIter {}

impl Drop for OpIter {
    fn drop(&mut self) {
        // SAFETY: we own the handle. `_keep` is dropped only after this.
        unsafe { sys::weft_iter_free(self.raw.as_ptr()) }
    }
}

impl Iterator for OpIter {
    type Item = Result<Op, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut view = sys::weft_op_view::default();
        let mut has_op = 0;
        // SAFETY: valid handle and out pointers; the view stays valid until
        // the next weft_iter_next, and is copied before.
        let status = unsafe { sys::weft_iter_next(&mut view, &mut has_op, self.raw.as_ptr()) };
        if let Err(e) = check(status) {
            self.done = true;
            return Some(Err(e));
        }
        if has_op == 0 {
            self.done = true;
            return None;
        }
        // SAFETY: as above.
        Some(Ok(unsafe { raw::op_from_view(&view) }))
    }
}

impl FusedIterator for OpIter {}
