//! Storage adapters written in Rust (`weft_kv_store`): the traits, and the
//! `extern "C"` callback table weft calls them through.
//!
//! The table's pointers, for an adapter type `S`:
//!
//! - `user_data`: the adapter `S` (borrowed: kept alive by the [`Log`]
//!   for `weft_log_open_kv`, by the caller's `&S` for a conformance run);
//! - `db`: an `Arc<S::Database>` (kept by the `Log`; for a conformance run,
//!   boxed by `create` and freed by `destroy`);
//! - `conn`: a boxed [`ConnBox`] made by `connect`, freed by `disconnect`.
//!
//! Every callback catches panics before returning to C (a panic becomes
//! `WEFT_INTERNAL`), and describes a failure with `weft_error_set` right
//! before returning its code, so that weft's caller reads the adapter's
//! message in `weft_last_error()`: `"kv adapter: put: disk full"` (weft adds
//! the prefix), or `"kv adapter: put: panicked: <the panic's message>"`.
//!
//! [`Log`]: crate::Log

use std::any::Any;
use std::cell::UnsafeCell;
use std::ffi::{CString, c_void};
use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use weft_sys as sys;

use crate::error::{Code, Error};
use crate::raw;

/// A storage adapter written in Rust: an ordered key-value database with
/// write transactions (`weft_kv_store`). weft keeps a log in one of its
/// databases ([`Log::open_kv`](crate::Log::open_kv); key layout in
/// docs/store-interface.md) and the conformance kit checks it
/// ([`conformance::run`](crate::conformance::run)).
///
/// The adapter itself is shared by every database and connection it made,
/// and called from any thread, hence `Send + Sync`. A failing method
/// returns an [`Error`] whose code weft hands unchanged to its caller
/// (`Busy` makes the caller retry, for instance; `Code::Ok` becomes
/// `Internal`), with its message: the caller's error reads
/// `"kv adapter: put: <message>"`. A panic in any method is caught at the
/// C boundary and becomes `Internal` with the panic's message
/// (`"kv adapter: put: panicked: <message>"`): weft's caller gets an `Err`,
/// never an unwind into C.
///
/// ```
/// use std::ops::ControlFlow;
/// use std::sync::Arc;
/// # use std::collections::BTreeMap;
/// # use std::sync::Mutex;
/// use weft::{Error, KvConnection, KvStore, Log};
///
/// /// A database that commits every put at once: enough for one log
/// /// (a real adapter makes the writes of begin..commit atomic).
/// struct Naive;
/// struct Conn(Arc<Mutex<BTreeMap<Vec<u8>, Vec<u8>>>>);
///
/// impl KvStore for Naive {
///     type Database = Mutex<BTreeMap<Vec<u8>, Vec<u8>>>;
///     type Connection = Conn;
///     fn create(&self) -> Result<Self::Database, Error> {
///         Ok(Mutex::default())
///     }
///     fn connect(&self, db: &Arc<Self::Database>) -> Result<Conn, Error> {
///         Ok(Conn(db.clone()))
///     }
/// }
///
/// impl KvConnection for Conn {
///     fn begin(&mut self) -> Result<(), Error> { Ok(()) }
///     fn commit(&mut self) -> Result<(), Error> { Ok(()) }
///     fn rollback(&mut self) -> Result<(), Error> { Ok(()) }
///     fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), Error> {
///         self.0.lock().unwrap().insert(key.to_vec(), value.to_vec());
///         Ok(())
///     }
///     fn get(&mut self, key: &[u8], found: &mut dyn FnMut(&[u8])) -> Result<(), Error> {
///         if let Some(value) = self.0.lock().unwrap().get(key) {
///             found(value);
///         }
///         Ok(())
///     }
///     fn scan(
///         &mut self,
///         from: &[u8],
///         to: &[u8],
///         limit: u64,
///         row: &mut dyn FnMut(&[u8], &[u8]) -> ControlFlow<()>,
///     ) -> Result<(), Error> {
///         let rows = self.0.lock().unwrap();
///         let range = rows.range(from.to_vec()..).take_while(|(k, _)| k.as_slice() < to);
///         for (key, value) in range.take(usize::try_from(limit).unwrap_or(usize::MAX)) {
///             if row(key, value).is_break() {
///                 break;
///             }
///         }
///         Ok(())
///     }
/// }
///
/// # fn main() -> Result<(), weft::Error> {
/// let db = Arc::new(Naive.create()?);
/// let log = Log::open_kv(Arc::new(Naive), db.clone())?;
/// log.append(b"kept in a BTreeMap", 1)?;
/// assert!(db.lock().unwrap().keys().any(|k| k.starts_with(b"o")), "the op's row");
/// # Ok(()) }
/// ```
pub trait KvStore: Send + Sync + 'static {
    /// One database: what [`KvStore::create`] makes and connections reach.
    /// A log keeps it alive (in an `Arc`) until the log and its iterators
    /// are dropped.
    type Database: Send + Sync + 'static;

    /// A connection to a database.
    type Connection: KvConnection;

    /// Whether two connections of one database may be used from two threads
    /// at once (`weft_kv_store.concurrent`). The conformance kit's
    /// `two_writers` then writes from three threads; otherwise it
    /// interleaves the writers on one thread. Default: false.
    ///
    /// Either way a Rust adapter must stay memory-safe (the trait bounds see
    /// to it): two [`Log`](crate::Log)s opened over one database may be used
    /// from two threads by their owner.
    fn concurrent(&self) -> bool {
        false
    }

    /// A new, empty database (the conformance kit makes one per scenario).
    fn create(&self) -> Result<Self::Database, Error>;

    /// A new connection to `db`. Dropping every connection and connecting
    /// again is a reopen: everything committed must be there.
    fn connect(&self, db: &Arc<Self::Database>) -> Result<Self::Connection, Error>;
}

/// One connection to a database of a [`KvStore`], used by one thread at a
/// time (not always the same one: hence `Send`); weft drops it when it
/// disconnects.
///
/// Reads see committed data and, inside a transaction, the transaction's
/// own writes.
pub trait KvConnection: Send + 'static {
    /// Starts a write transaction: waits for, or fails with `Busy` on,
    /// another connection's.
    fn begin(&mut self) -> Result<(), Error>;

    /// Makes the transaction's writes visible and durable together.
    fn commit(&mut self) -> Result<(), Error>;

    /// Drops the transaction's writes. weft may call it after a failed
    /// `begin` or `commit`, or outside a transaction: then it does nothing.
    fn rollback(&mut self) -> Result<(), Error>;

    /// Sets `key` to `value`, inside a transaction.
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), Error>;

    /// Calls `found` once with the value of `key` if there is one, not at
    /// all otherwise.
    fn get(&mut self, key: &[u8], found: &mut dyn FnMut(&[u8])) -> Result<(), Error>;

    /// Calls `row` for every key in `[from, to)` in ascending byte order
    /// (`from >= to`: none), at most `limit` times, stopping as soon as
    /// `row` answers [`ControlFlow::Break`] (which is not an error).
    #[allow(clippy::type_complexity)] // spelled out for implementors
    fn scan(
        &mut self,
        from: &[u8],
        to: &[u8],
        limit: u64,
        row: &mut dyn FnMut(&[u8], &[u8]) -> ControlFlow<()>,
    ) -> Result<(), Error>;
}

// ---------------------------------------------------------------- the table

/// A connection handed to C as `void *conn`.
struct ConnBox<C> {
    /// Set while a callback uses the connection: weft promises one call at
    /// a time per connection, and this turns a broken promise into an
    /// error instead of two `&mut` to one value.
    busy: AtomicBool,
    conn: UnsafeCell<C>,
}

/// Clears a `ConnBox::busy` flag, also when the callback panics.
struct Release<'a>(&'a AtomicBool);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The C callback table over adapter `S`, its `user_data` pointing at
/// `adapter`. `with_create`: the conformance kit's create and destroy too
/// (`weft_log_open_kv` must never get them: its database belongs to the
/// log's owner, not to weft).
pub(crate) fn table<S: KvStore>(adapter: &S, with_create: bool) -> sys::weft_kv_store {
    let mut t = raw::library_defaults(sys::weft_kv_store_init);
    t.concurrent = adapter.concurrent().into();
    t.user_data = std::ptr::from_ref(adapter).cast_mut().cast();
    if with_create {
        t.create = Some(create::<S>);
        t.destroy = Some(destroy::<S>);
    }
    t.connect = Some(connect::<S>);
    t.disconnect = Some(disconnect::<S>);
    t.begin = Some(begin::<S>);
    t.commit = Some(commit::<S>);
    t.rollback = Some(rollback::<S>);
    t.put = Some(put::<S>);
    t.get = Some(get::<S>);
    t.scan = Some(scan::<S>);
    t
}

/// What keeps a log's adapter and database alive: the pointers of its table
/// point into it.
pub(crate) struct KvKeep<S: KvStore> {
    adapter: Arc<S>,
    db: Arc<S::Database>,
}

impl<S: KvStore> KvKeep<S> {
    pub(crate) fn new(adapter: Arc<S>, db: Arc<S::Database>) -> Arc<KvKeep<S>> {
        Arc::new(KvKeep { adapter, db })
    }

    /// The table and the `db` pointer for `weft_log_open_kv`; valid while
    /// `self` lives (both point into the `Arc`s, which never move).
    pub(crate) fn raw(&self) -> (sys::weft_kv_store, *mut c_void) {
        (table(&*self.adapter, false), std::ptr::from_ref(&self.db).cast_mut().cast())
    }
}

/// Runs a callback's body: `WEFT_OK`, or the code of its error (never 0)
/// or `WEFT_INTERNAL` for a panic, which goes no further, described to weft
/// by [`fail`].
fn guarded(body: impl FnOnce() -> Result<(), Error>) -> i32 {
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => sys::WEFT_OK,
        // `Code::Ok`, or a `Code::Unknown(0)` made by hand: never success.
        Ok(Err(e)) if e.code.raw() == sys::WEFT_OK => {
            fail(sys::WEFT_INTERNAL, &format!("an error with code OK: {}", e.message))
        }
        Ok(Err(e)) if e.message.is_empty() => fail(e.code.raw(), &e.code.to_string()),
        Ok(Err(e)) => fail(e.code.raw(), &e.message),
        Err(payload) => {
            let message = format!("panicked: {}", panic_text(&*payload));
            drop_quietly(payload);
            fail(sys::WEFT_INTERNAL, &message)
        }
    }
}

/// Returns `status` (nonzero) from a callback, describing it with
/// `message` (`weft_error_set`): weft's caller then reads it in
/// `weft_last_error()`, after weft's prefix (`"kv adapter: put: "`). Must be
/// the callback's last weft call, on the thread weft called it on.
fn fail(status: i32, message: &str) -> i32 {
    // C would read a NUL byte as the end of the message: show it instead.
    let message = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    // SAFETY: a NUL-terminated string, copied by weft; thread-local state.
    unsafe { sys::weft_error_set(status, message.as_ptr()) }
}

/// For the callbacks that return nothing (destroy, disconnect): a panic
/// stops there, unreported.
fn quietly(body: impl FnOnce()) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(body)) {
        drop_quietly(payload);
    }
}

/// Drops a panic payload, whose own drop may panic: that one is leaked.
fn drop_quietly(payload: Box<dyn Any + Send>) {
    if let Err(again) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}

fn panic_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(a panic without a message)"
    }
}

fn invalid(message: &str) -> Error {
    Error::new(Code::InvalidArgument, message)
}

/// Borrows the bytes weft passed (`NULL` allowed with length 0).
///
/// # Safety
/// As [`raw::slice`]: valid for the callback's duration.
unsafe fn bytes<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8], Error> {
    if ptr.is_null() && len > 0 {
        return Err(invalid(&format!("weft passed NULL {what} of {len} bytes")));
    }
    // SAFETY: forwarded from the caller.
    Ok(unsafe { raw::slice(ptr, len) })
}

/// Runs `body` on the connection behind `conn`, one call at a time.
///
/// # Safety
/// `conn` must be NULL or a connection made by `connect::<S>` and not yet
/// disconnected.
unsafe fn with_conn<S: KvStore>(
    conn: *mut c_void,
    what: &'static str,
    body: impl FnOnce(&mut S::Connection) -> Result<(), Error>,
) -> i32 {
    guarded(|| {
        if conn.is_null() {
            return Err(invalid("weft passed a NULL connection"));
        }
        // SAFETY: a live ConnBox<S::Connection>, by the caller's promise;
        // shared references only, until the busy flag is ours.
        let b = unsafe { &*conn.cast_const().cast::<ConnBox<S::Connection>>() };
        if b.busy.swap(true, Ordering::Acquire) {
            return Err(Error::new(
                Code::Internal,
                format!("weft called {what} on a connection already in a call"),
            ));
        }
        let _release = Release(&b.busy);
        // SAFETY: the flag makes this the only reference until released.
        body(unsafe { &mut *b.conn.get() })
    })
}

unsafe extern "C" fn create<S: KvStore>(db: *mut *mut c_void, user_data: *mut c_void) -> i32 {
    guarded(|| {
        if db.is_null() || user_data.is_null() {
            return Err(invalid("weft passed a NULL pointer to create"));
        }
        // SAFETY: user_data is the adapter of a running conformance kit.
        let adapter = unsafe { &*user_data.cast_const().cast::<S>() };
        let database = Box::new(Arc::new(adapter.create()?));
        // SAFETY: a valid out pointer; `destroy` frees the box.
        unsafe { *db = Box::into_raw(database).cast() };
        Ok(())
    })
}

unsafe extern "C" fn destroy<S: KvStore>(db: *mut c_void, _user_data: *mut c_void) {
    if db.is_null() {
        return;
    }
    quietly(|| {
        // SAFETY: a database boxed by `create::<S>`, destroyed once.
        drop(unsafe { Box::from_raw(db.cast::<Arc<S::Database>>()) });
    });
}

unsafe extern "C" fn connect<S: KvStore>(
    db: *mut c_void,
    conn: *mut *mut c_void,
    user_data: *mut c_void,
) -> i32 {
    guarded(|| {
        if db.is_null() || conn.is_null() || user_data.is_null() {
            return Err(invalid("weft passed a NULL pointer to connect"));
        }
        // SAFETY: the adapter and an Arc<S::Database>, kept alive by the log
        // or the conformance kit (see the module's comment).
        let (adapter, database) = unsafe {
            (&*user_data.cast_const().cast::<S>(), &*db.cast_const().cast::<Arc<S::Database>>())
        };
        let connection = adapter.connect(database)?;
        let b =
            Box::new(ConnBox { busy: AtomicBool::new(false), conn: UnsafeCell::new(connection) });
        // SAFETY: a valid out pointer; `disconnect` frees the box.
        unsafe { *conn = Box::into_raw(b).cast() };
        Ok(())
    })
}

unsafe extern "C" fn disconnect<S: KvStore>(conn: *mut c_void, _user_data: *mut c_void) {
    if conn.is_null() {
        return;
    }
    quietly(|| {
        // SAFETY: a connection boxed by `connect::<S>`, disconnected once.
        drop(unsafe { Box::from_raw(conn.cast::<ConnBox<S::Connection>>()) });
    });
}

unsafe extern "C" fn begin<S: KvStore>(conn: *mut c_void, _user_data: *mut c_void) -> i32 {
    // SAFETY: weft passes a live connection.
    unsafe { with_conn::<S>(conn, "begin", |c| c.begin()) }
}

unsafe extern "C" fn commit<S: KvStore>(conn: *mut c_void, _user_data: *mut c_void) -> i32 {
    // SAFETY: weft passes a live connection.
    unsafe { with_conn::<S>(conn, "commit", |c| c.commit()) }
}

unsafe extern "C" fn rollback<S: KvStore>(conn: *mut c_void, _user_data: *mut c_void) -> i32 {
    // SAFETY: weft passes a live connection.
    unsafe { with_conn::<S>(conn, "rollback", |c| c.rollback()) }
}

unsafe extern "C" fn put<S: KvStore>(
    conn: *mut c_void,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    _user_data: *mut c_void,
) -> i32 {
    // SAFETY: weft passes a live connection, and bytes valid for the call.
    unsafe {
        with_conn::<S>(conn, "put", |c| {
            c.put(bytes(key, key_len, "key")?, bytes(value, value_len, "value")?)
        })
    }
}

/// Calls weft's row function with one row: `Break` if it asks to stop.
///
/// # Safety
/// `row` and `ctx` as weft passed them to this get or scan.
unsafe fn emit(
    row: unsafe extern "C" fn(*const u8, usize, *const u8, usize, *mut c_void) -> i32,
    ctx: *mut c_void,
    key: &[u8],
    value: &[u8],
) -> ControlFlow<()> {
    // SAFETY: weft's function with its context; the slices outlive the call.
    let stop = unsafe { row(key.as_ptr(), key.len(), value.as_ptr(), value.len(), ctx) };
    if stop == 0 { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }
}

unsafe extern "C" fn get<S: KvStore>(
    conn: *mut c_void,
    key: *const u8,
    key_len: usize,
    row: sys::weft_kv_row_fn,
    ctx: *mut c_void,
    _user_data: *mut c_void,
) -> i32 {
    // SAFETY: weft passes a live connection, bytes valid for the call, and
    // its row function with its context.
    unsafe {
        with_conn::<S>(conn, "get", |c| {
            let key = bytes(key, key_len, "key")?;
            let row = row.ok_or_else(|| invalid("weft passed get a NULL row function"))?;
            // weft wants the value once: further calls are dropped.
            let mut called = false;
            c.get(key, &mut |value| {
                if !std::mem::replace(&mut called, true) {
                    // The answer does not matter: there is no further row.
                    let _ = emit(row, ctx, key, value);
                }
            })
        })
    }
}

unsafe extern "C" fn scan<S: KvStore>(
    conn: *mut c_void,
    from: *const u8,
    from_len: usize,
    to: *const u8,
    to_len: usize,
    limit: u64,
    row: sys::weft_kv_row_fn,
    ctx: *mut c_void,
    _user_data: *mut c_void,
) -> i32 {
    // SAFETY: as for `get`.
    unsafe {
        with_conn::<S>(conn, "scan", |c| {
            let from = bytes(from, from_len, "from")?;
            let to = bytes(to, to_len, "to")?;
            let row = row.ok_or_else(|| invalid("weft passed scan a NULL row function"))?;
            // weft never sees a row past `limit` or after it asked to stop,
            // whatever the adapter does.
            let mut left = limit;
            c.scan(from, to, limit, &mut |k, v| {
                if left == 0 {
                    return ControlFlow::Break(());
                }
                left -= 1;
                match emit(row, ctx, k, v) {
                    ControlFlow::Break(()) => {
                        left = 0;
                        ControlFlow::Break(())
                    }
                    go_on => go_on,
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    //! The callback table called as weft calls it, with an adapter that
    //! breaks the rules weft's row functions rely on.

    use std::ptr;

    use super::*;

    /// Rows "k0".."k4", whatever the range; scan ignores `limit` and the
    /// row's answer, get answers twice; the key "panic" panics.
    struct Sloppy;
    struct SloppyConn;

    impl KvStore for Sloppy {
        type Database = ();
        type Connection = SloppyConn;
        fn create(&self) -> Result<(), Error> {
            Ok(())
        }
        fn connect(&self, _: &Arc<()>) -> Result<SloppyConn, Error> {
            Ok(SloppyConn)
        }
    }

    impl KvConnection for SloppyConn {
        fn begin(&mut self) -> Result<(), Error> {
            Ok(())
        }
        fn commit(&mut self) -> Result<(), Error> {
            Err(Error::new(Code::Busy, "held"))
        }
        fn rollback(&mut self) -> Result<(), Error> {
            Ok(())
        }
        fn put(&mut self, _: &[u8], _: &[u8]) -> Result<(), Error> {
            Ok(())
        }
        fn get(&mut self, key: &[u8], found: &mut dyn FnMut(&[u8])) -> Result<(), Error> {
            assert_ne!(key, b"panic", "get: a bug");
            found(b"first");
            found(b"second");
            Ok(())
        }
        fn scan(
            &mut self,
            _: &[u8],
            _: &[u8],
            _: u64,
            row: &mut dyn FnMut(&[u8], &[u8]) -> ControlFlow<()>,
        ) -> Result<(), Error> {
            for i in 0..5 {
                let _ = row(format!("k{i}").as_bytes(), b"v");
            }
            Ok(())
        }
    }

    /// What weft's row function would see: the keys, and when to stop.
    struct Seen {
        rows: Vec<Vec<u8>>,
        stop_after: usize,
        /// Set: the row calls `begin` on this connection (re-entering it).
        reenter: Option<(sys::weft_kv_store, *mut c_void)>,
        reentered: i32,
    }

    unsafe extern "C" fn row(
        key: *const u8,
        key_len: usize,
        _: *const u8,
        _: usize,
        ctx: *mut c_void,
    ) -> i32 {
        // SAFETY: the test passes a Seen as ctx, and valid bytes.
        let seen = unsafe { &mut *ctx.cast::<Seen>() };
        seen.rows.push(unsafe { raw::slice(key, key_len) }.to_vec());
        if let Some((t, conn)) = seen.reenter {
            // SAFETY: a live connection of table `t`.
            seen.reentered = unsafe { t.begin.unwrap()(conn, t.user_data) };
        }
        i32::from(seen.rows.len() >= seen.stop_after)
    }

    fn seen(stop_after: usize) -> Seen {
        Seen { rows: Vec::new(), stop_after, reenter: None, reentered: 0 }
    }

    #[test]
    fn row_functions_are_called_as_weft_asks_whatever_the_adapter_does() {
        let adapter = Sloppy;
        let t = table(&adapter, true);
        let (mut db, mut conn) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: the table's own contract, as weft uses it.
        unsafe {
            assert_eq!(t.create.unwrap()(&mut db, t.user_data), sys::WEFT_OK);
            assert_eq!(t.connect.unwrap()(db, &mut conn, t.user_data), sys::WEFT_OK);
            let scan = t.scan.unwrap();
            let get = t.get.unwrap();
            let ctx = |s: &mut Seen| ptr::from_mut(s).cast::<c_void>();

            // A nonzero row answer stops the scan.
            let mut s = seen(2);
            let rc = scan(
                conn,
                b"a".as_ptr(),
                1,
                b"z".as_ptr(),
                1,
                10,
                Some(row),
                ctx(&mut s),
                t.user_data,
            );
            assert_eq!((rc, s.rows), (sys::WEFT_OK, vec![b"k0".to_vec(), b"k1".to_vec()]));
            // At most `limit` rows.
            let mut s = seen(usize::MAX);
            let rc =
                scan(conn, ptr::null(), 0, ptr::null(), 0, 3, Some(row), ctx(&mut s), t.user_data);
            assert_eq!((rc, s.rows.len()), (sys::WEFT_OK, 3));
            // get answers once.
            let mut s = seen(usize::MAX);
            let rc = get(conn, b"k".as_ptr(), 1, Some(row), ctx(&mut s), t.user_data);
            assert_eq!((rc, s.rows), (sys::WEFT_OK, vec![b"k".to_vec()]));

            // No row function, NULL bytes with a length: refused, not used.
            let rc = scan(
                conn,
                b"a".as_ptr(),
                1,
                b"z".as_ptr(),
                1,
                1,
                None,
                ptr::null_mut(),
                t.user_data,
            );
            assert_eq!(rc, sys::WEFT_INVALID_ARGUMENT);
            let rc = get(conn, ptr::null(), 4, Some(row), ctx(&mut seen(1)), t.user_data);
            assert_eq!(rc, sys::WEFT_INVALID_ARGUMENT);
            assert_eq!(t.begin.unwrap()(ptr::null_mut(), t.user_data), sys::WEFT_INVALID_ARGUMENT);

            // An adapter's error code comes back unchanged (its message goes
            // to weft_error_set: tests/store_adapter.rs reads it back).
            assert_eq!(t.commit.unwrap()(conn, t.user_data), sys::WEFT_BUSY);

            // A panic is WEFT_INTERNAL, and the connection stays usable.
            let rc = get(conn, b"panic".as_ptr(), 5, Some(row), ctx(&mut seen(1)), t.user_data);
            assert_eq!(rc, sys::WEFT_INTERNAL);
            assert_eq!(t.begin.unwrap()(conn, t.user_data), sys::WEFT_OK);

            // A call into a connection already in a call is refused.
            let mut s = seen(1);
            s.reenter = Some((t, conn));
            let rc =
                scan(conn, ptr::null(), 0, ptr::null(), 0, 1, Some(row), ctx(&mut s), t.user_data);
            assert_eq!((rc, s.reentered), (sys::WEFT_OK, sys::WEFT_INTERNAL));

            t.disconnect.unwrap()(conn, t.user_data);
            t.destroy.unwrap()(db, t.user_data);
        }
    }

    #[test]
    fn a_log_table_has_no_create_or_destroy() {
        let keep = KvKeep::new(Arc::new(Sloppy), Arc::new(()));
        let (t, db) = keep.raw();
        assert!(t.create.is_none() && t.destroy.is_none());
        assert!(t.connect.is_some() && t.scan.is_some() && !db.is_null());
        assert_eq!(t.struct_size as usize, size_of::<sys::weft_kv_store>());
        assert_eq!(t.concurrent, 0);
    }
}
