//! A storage adapter written in Rust (an in-memory ordered key-value
//! database: a BTreeMap, and a snapshot taken at begin) through the C ABI's
//! key-value callback table: the conformance kit, a real log across
//! reopens, adapter errors and panics surfacing as errors with their
//! messages (`weft_error_set`).

mod common;

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use common::actor;
use weft::conformance::{self, Outcome, ScenarioResult};
use weft::{
    Code, Error, KvConnection, KvStore, Log, Options, Session, SessionOptions, VerifyReport,
};

type Rows = BTreeMap<Vec<u8>, Vec<u8>>;

/// The adapter: makes `MemoryDb`s. Its settings apply to each.
#[derive(Default)]
struct MemoryKv {
    /// The defect of a broken adapter: rollback keeps the writes.
    keeps_writes_on_rollback: bool,
    concurrent: bool,
    /// Every database made, to check afterwards that weft released them.
    made: Mutex<Vec<Arc<MemoryDb>>>,
    /// If set, `create` panics (an adapter bug).
    panic_in_create: bool,
}

/// A database: committed rows, and which connection holds the write
/// transaction. Writes go to `rows` at once; the writer's snapshot undoes
/// them at rollback, and readers outside a transaction wait for the writer
/// so they see committed data only.
#[derive(Default)]
struct MemoryDb {
    state: Mutex<State>,
    writer_done: Condvar,
    keeps_writes_on_rollback: bool,
    connections: AtomicUsize,
    next_id: AtomicU64,
    /// Faults to inject: every put fails with this error, or panics.
    fault: Mutex<Fault>,
}

#[derive(Default)]
struct State {
    rows: Rows,
    writer: Option<u64>,
}

#[derive(Clone, Default)]
enum Fault {
    #[default]
    None,
    PutFails(Error),
    PutPanics,
    ConnectPanics,
}

struct MemoryConn {
    db: Arc<MemoryDb>,
    id: u64,
    /// The rows at begin, while a transaction is open.
    saved: Option<Rows>,
}

impl MemoryDb {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock (the panic tests) leaves the rows
        // consistent: take them anyway.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The lock, once no transaction of another connection is open.
    fn lock_unwritten(&self, me: u64) -> Result<MutexGuard<'_, State>, Error> {
        let (state, timeout) = self
            .writer_done
            .wait_timeout_while(self.lock(), Duration::from_secs(10), |s| {
                s.writer.is_some_and(|w| w != me)
            })
            .unwrap_or_else(|e| e.into_inner());
        if timeout.timed_out() {
            return Err(Error::new(Code::Busy, "another connection holds the write transaction"));
        }
        Ok(state)
    }

    fn fault(&self) -> Fault {
        self.fault.lock().unwrap().clone()
    }

    fn set_fault(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    fn open_connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl KvStore for MemoryKv {
    type Database = MemoryDb;
    type Connection = MemoryConn;

    fn concurrent(&self) -> bool {
        self.concurrent
    }

    fn create(&self) -> Result<MemoryDb, Error> {
        assert!(!self.panic_in_create, "create: injected panic");
        Ok(MemoryDb {
            keeps_writes_on_rollback: self.keeps_writes_on_rollback,
            ..MemoryDb::default()
        })
    }

    fn connect(&self, db: &Arc<MemoryDb>) -> Result<MemoryConn, Error> {
        if matches!(db.fault(), Fault::ConnectPanics) {
            panic!("connect: injected panic");
        }
        // The conformance kit's databases are not handed to the test:
        // note them here (for weft_log_open_kv the test has them anyway).
        let mut made = self.made.lock().unwrap();
        if !made.iter().any(|d| Arc::ptr_eq(d, db)) {
            made.push(db.clone());
        }
        db.connections.fetch_add(1, Ordering::SeqCst);
        Ok(MemoryConn {
            db: db.clone(),
            id: db.next_id.fetch_add(1, Ordering::SeqCst),
            saved: None,
        })
    }
}

impl Drop for MemoryConn {
    fn drop(&mut self) {
        let _ = self.rollback();
        self.db.connections.fetch_sub(1, Ordering::SeqCst);
    }
}

impl MemoryConn {
    fn in_txn(&self, what: &str) -> Result<(), Error> {
        match self.saved {
            Some(_) => Ok(()),
            None => Err(Error::new(Code::InvalidArgument, format!("{what} outside a transaction"))),
        }
    }
}

impl KvConnection for MemoryConn {
    fn begin(&mut self) -> Result<(), Error> {
        if self.saved.is_some() {
            return Err(Error::new(Code::InvalidArgument, "nested begin"));
        }
        let mut state = self.db.lock_unwritten(self.id)?;
        state.writer = Some(self.id);
        self.saved = Some(state.rows.clone());
        Ok(())
    }

    fn commit(&mut self) -> Result<(), Error> {
        self.in_txn("commit")?;
        self.saved = None;
        self.db.lock().writer = None;
        self.db.writer_done.notify_all();
        Ok(())
    }

    fn rollback(&mut self) -> Result<(), Error> {
        let Some(saved) = self.saved.take() else { return Ok(()) };
        let mut state = self.db.lock();
        if !self.db.keeps_writes_on_rollback {
            state.rows = saved;
        }
        state.writer = None;
        drop(state);
        self.db.writer_done.notify_all();
        Ok(())
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), Error> {
        self.in_txn("put")?;
        match self.db.fault() {
            Fault::PutFails(e) => return Err(e),
            Fault::PutPanics => panic!("put: injected panic"),
            _ => {}
        }
        self.db.lock().rows.insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    fn get(&mut self, key: &[u8], found: &mut dyn FnMut(&[u8])) -> Result<(), Error> {
        if let Some(value) = self.db.lock_unwritten(self.id)?.rows.get(key) {
            found(value);
        }
        Ok(())
    }

    fn scan(
        &mut self,
        from: &[u8],
        to: &[u8],
        limit: u64,
        row: &mut dyn FnMut(&[u8], &[u8]) -> ControlFlow<()>,
    ) -> Result<(), Error> {
        if from >= to {
            return Ok(()); // BTreeMap::range panics on a reversed range
        }
        let state = self.db.lock_unwritten(self.id)?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        for (key, value) in state.rows.range(from.to_vec()..to.to_vec()).take(limit) {
            if row(key, value).is_break() {
                break;
            }
        }
        Ok(())
    }
}

const SCENARIOS: [&str; 6] = [
    "atomicity_under_injected_failure",
    "chunk_immutability",
    "range_read_ordering",
    "durability_across_reopen",
    "two_writers",
    "corruption_detected",
];

fn assert_all_pass(adapter: &MemoryKv) -> Vec<ScenarioResult> {
    let results = conformance::run(adapter, None).unwrap();
    let names: Vec<&str> = results.iter().map(|r| r.scenario.as_str()).collect();
    assert_eq!(names, SCENARIOS);
    for result in &results {
        assert_eq!(result.outcome, Outcome::Pass, "{result}");
        assert_eq!(result.diagnostic, "", "{result}");
        assert_eq!(result.to_string(), format!("{}: pass", result.scenario));
    }
    let made = adapter.made.lock().unwrap();
    assert!(made.len() >= SCENARIOS.len(), "one fresh database per scenario: {}", made.len());
    for db in made.iter() {
        assert_eq!(db.open_connections(), 0, "every connection released");
        assert_eq!(Arc::strong_count(db), 1, "every database destroyed by weft");
    }
    results
}

#[test]
fn a_rust_adapter_passes_the_conformance_kit() {
    let results = assert_all_pass(&MemoryKv { concurrent: true, ..MemoryKv::default() });
    println!("{results:#?}");
}

#[test]
fn a_rust_adapter_passes_the_conformance_kit_on_one_thread() {
    // two_writers interleaves its writers instead of starting threads.
    assert_all_pass(&MemoryKv::default());
}

#[test]
fn a_rollback_that_keeps_its_writes_fails_atomicity() {
    let adapter = MemoryKv { keeps_writes_on_rollback: true, ..MemoryKv::default() };
    let results = conformance::run(&adapter, Some("atomicity_under_injected_failure")).unwrap();
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(result.scenario, "atomicity_under_injected_failure");
    assert_eq!(result.outcome, Outcome::Fail);
    assert!(!result.diagnostic.is_empty());
    assert!(result.to_string().starts_with("atomicity_under_injected_failure: fail: "), "{result}");
    println!("{result}");
}

#[test]
fn one_scenario_by_name_and_unknown_names() {
    let adapter = MemoryKv::default();
    let results = conformance::run(&adapter, Some("chunk_immutability")).unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(
        (results[0].scenario.as_str(), results[0].outcome),
        ("chunk_immutability", Outcome::Pass)
    );

    for name in ["no_such_scenario", "", "two_writers\0"] {
        let e = conformance::run(&adapter, Some(name)).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument, "{name:?}: {e}");
    }
    let e = conformance::run(&adapter, Some("no_such_scenario")).unwrap_err();
    assert!(e.message.contains("no_such_scenario"), "{e}");
}

#[test]
fn a_log_lives_in_the_rust_adapter_across_reopen() {
    let adapter = Arc::new(MemoryKv::default());
    let db = Arc::new(adapter.create().unwrap());
    let (digest, heads) = {
        let log = Options::new().actor(actor(0x5a)).open_kv(adapter.clone(), db.clone()).unwrap();
        assert_eq!(db.open_connections(), 1);
        log.append(b"kept", 1).unwrap();
        log.append(b"here", 2).unwrap();
        log.set_epoch(3).unwrap();
        log.seal(&actor(0x5a), 2, None).unwrap();
        (log.digest().unwrap(), log.heads().unwrap())
    };
    assert_eq!(db.open_connections(), 0, "the log's connection is released with it");

    // A new connection: everything committed is there.
    let log = Log::open_kv(adapter.clone(), db.clone()).unwrap();
    assert_eq!(db.open_connections(), 1);
    assert_eq!(log.actor(), actor(0x5a), "the writer id is stored");
    assert_eq!((log.cursor(), log.epoch()), (2, 3));
    assert_eq!(log.digest().unwrap(), digest);
    assert_eq!(log.heads().unwrap(), heads);
    assert_eq!(log.verify().unwrap(), VerifyReport { ops: 2, chunks: 1 });
    assert_eq!(log.append(b"more", 1).unwrap().counter, 3, "counters continue");

    // It converges with a log of another store like any other.
    let peer = Options::new().actor(actor(0x11)).open_memory().unwrap();
    peer.append(b"peer", 1).unwrap();
    log.merge(&peer).unwrap();
    peer.merge(&log).unwrap();
    assert_eq!(log.digest().unwrap(), peer.digest().unwrap());

    // An iterator keeps the log, its connection and the database alive
    // after both the log and the test let go of them.
    let iter = log.read(1, u64::MAX).unwrap();
    drop(log);
    let weak = Arc::downgrade(&db);
    drop(db);
    adapter.made.lock().unwrap().clear();
    assert_eq!(weak.upgrade().map(|db| db.open_connections()), Some(1));
    let payloads: Vec<Vec<u8>> = iter.map(|op| op.unwrap().payload).collect();
    assert_eq!(payloads, [&b"kept"[..], b"here", b"more", b"peer"]);
    assert!(weak.upgrade().is_none(), "the database is dropped with the last iterator");
}

#[test]
fn a_session_keeps_a_log_in_the_rust_adapter_alive() {
    let adapter = Arc::new(MemoryKv::default());
    let db = Arc::new(adapter.create().unwrap());
    let log = Options::new().actor(actor(0x5a)).open_kv(adapter.clone(), db.clone()).unwrap();
    log.append(b"kept", 1).unwrap();
    log.append(b"here", 1).unwrap();
    let peer = Options::new().actor(actor(0x11)).open_memory().unwrap();
    peer.append(b"peer", 1).unwrap();

    // The session over the adapter's log outlives the log and the test's
    // references to adapter and database: the adapter runs inside receive.
    let mut ours = Session::connect_with(&log, &SessionOptions::new().peer("memory")).unwrap();
    let mut theirs = Session::accept(&peer).unwrap();
    drop(log);
    let weak = Arc::downgrade(&db);
    drop(db);
    adapter.made.lock().unwrap().clear();
    loop {
        let mut moved = false;
        while let Some(m) = ours.next_message() {
            theirs.receive(&m).unwrap();
            moved = true;
        }
        while let Some(m) = theirs.next_message() {
            ours.receive(&m).unwrap();
            moved = true;
        }
        if !moved {
            break;
        }
    }
    assert!(ours.is_done() && theirs.is_done());
    assert_eq!((ours.info().applied, theirs.info().applied), (1, 2));
    assert_eq!(weak.upgrade().map(|db| db.open_connections()), Some(1));
    drop(ours);
    assert!(weak.upgrade().is_none(), "the database is dropped with the session");
    assert_eq!(peer.cursor(), 3);
}

#[test]
fn two_logs_over_one_database_from_two_threads() {
    let adapter = Arc::new(MemoryKv { concurrent: true, ..MemoryKv::default() });
    let db = Arc::new(adapter.create().unwrap());
    let logs: Vec<Log> = [1, 2]
        .map(|a| Options::new().actor(actor(a)).open_kv(adapter.clone(), db.clone()).unwrap())
        .into();
    std::thread::scope(|s| {
        for log in &logs {
            s.spawn(move || {
                for i in 0..50u32 {
                    log.append(&i.to_le_bytes(), 1).unwrap();
                }
            });
        }
    });
    drop(logs);
    let log = Log::open_kv(adapter, db).unwrap();
    assert_eq!(log.cursor(), 100);
    assert_eq!(log.verify().unwrap().ops, 100);
}

#[test]
fn adapter_errors_surface_with_their_codes_and_messages() {
    let adapter = Arc::new(MemoryKv::default());
    let db = Arc::new(adapter.create().unwrap());
    let log = Options::new().actor(actor(0x5a)).open_kv(adapter, db.clone()).unwrap();
    log.append(b"one", 1).unwrap();

    db.set_fault(Fault::PutFails(Error::new(Code::Busy, "disk is busy")));
    let e = log.append(b"two", 1).unwrap_err();
    assert_eq!(e.code, Code::Busy, "{e}");
    assert!(e.is_retryable());
    assert!(e.message.contains("kv adapter: put: disk is busy"), "{e}");

    // Through weft_error_set, the message crosses C as one line of text.
    db.set_fault(Fault::PutFails(Error::new(Code::IoError, "two\nlines and a \0 byte")));
    let e = log.append(b"two", 1).unwrap_err();
    assert_eq!(e.code, Code::IoError, "{e}");
    assert!(e.message.contains("kv adapter: put: two; lines and a \\0 byte"), "{e}");

    db.set_fault(Fault::PutFails(Error::new(Code::Unknown(1234), "")));
    let e = log.append(b"two", 1).unwrap_err();
    assert_eq!(e.code, Code::Unknown(1234), "unchanged: {e}");
    assert!(e.message.contains("kv adapter: put: UNKNOWN(1234)"), "{e}");
    db.set_fault(Fault::PutFails(Error::new(Code::Ok, "an error that says OK")));
    let e = log.append(b"two", 1).unwrap_err();
    assert_eq!(e.code, Code::Internal, "never OK: {e}");
    assert!(e.message.contains("an error with code OK: an error that says OK"), "{e}");
    db.set_fault(Fault::PutFails(Error::new(Code::Unknown(0), "zero in disguise")));
    assert_eq!(log.append(b"two", 1).unwrap_err().code, Code::Internal, "never 0");
    assert_eq!(log.cursor(), 1, "the failed transactions were rolled back");

    db.set_fault(Fault::None);
    log.append(b"two", 1).unwrap();
    assert_eq!(log.cursor(), 2);
    assert_eq!(log.verify().unwrap().ops, 2);
    // A later, unrelated error carries no stale adapter message.
    log.set_epoch(2).unwrap();
    let e = log.set_epoch(1).unwrap_err();
    assert_eq!(e.code, Code::InvalidArgument, "{e}");
    assert!(!e.message.contains("kv adapter"), "{e}");
}

#[test]
fn a_failing_put_reaches_the_caller_with_its_message_and_code() {
    let adapter = Arc::new(MemoryKv::default());
    let db = Arc::new(adapter.create().unwrap());
    let log = Log::open_kv(adapter, db.clone()).unwrap();
    log.append(b"one", 1).unwrap();

    db.set_fault(Fault::PutFails(Error::new(Code::IoError, "disk full at block 7")));
    let e = log.append(b"two", 1).unwrap_err();
    assert_eq!(e.code, Code::IoError, "the adapter's code: {e}");
    assert!(e.message.contains("disk full at block 7"), "the adapter's message: {e}");
    assert!(e.message.contains("kv adapter: put: "), "what weft was doing: {e}");
    let shown = e.to_string();
    assert!(shown.starts_with("IO_ERROR: ") && shown.contains("disk full at block 7"), "{shown}");
    assert!(e.is_retryable(), "IO_ERROR is retryable");

    // The message was for that failure only.
    db.set_fault(Fault::None);
    log.append(b"two", 1).unwrap();
    let e = log.seal(&actor(9), 1, None).unwrap_err();
    assert_eq!(e.code, Code::NotFound, "{e}");
    assert!(!e.message.contains("disk full"), "{e}");
    assert_eq!(log.cursor(), 2);
}

#[test]
fn a_panicking_adapter_is_an_error_not_an_abort() {
    let adapter = Arc::new(MemoryKv::default());
    let db = Arc::new(adapter.create().unwrap());
    let log = Options::new().actor(actor(0x5a)).open_kv(adapter.clone(), db.clone()).unwrap();
    log.append(b"one", 1).unwrap();

    db.set_fault(Fault::PutPanics);
    let e = log.append(b"two", 1).unwrap_err();
    assert_eq!(e.code, Code::Internal, "{e}");
    assert!(e.message.contains("kv adapter: put: panicked: put: injected panic"), "{e}");
    assert_eq!(log.cursor(), 1);
    db.set_fault(Fault::None);
    log.append(b"two", 1).unwrap();
    drop(log);
    assert_eq!(db.open_connections(), 0);

    db.set_fault(Fault::ConnectPanics);
    let e = Log::open_kv(adapter.clone(), db.clone()).unwrap_err();
    assert_eq!(e.code, Code::Internal, "{e}");
    assert!(e.message.contains("kv adapter: connect: panicked: connect: injected panic"), "{e}");
    db.set_fault(Fault::None);
    assert_eq!(Log::open_kv(adapter, db).unwrap().cursor(), 2, "nothing lost");

    // Inside the conformance kit a panic fails the scenario; the kit goes on.
    let panicking = MemoryKv { panic_in_create: true, ..MemoryKv::default() };
    let results = conformance::run(&panicking, None).unwrap();
    assert_eq!(results.len(), SCENARIOS.len());
    println!("{}", results[0]);
    for result in &results {
        assert_eq!(result.outcome, Outcome::Fail, "{result}");
        assert!(result.diagnostic.contains("INTERNAL"), "{result}");
        assert!(result.diagnostic.contains("create: panicked: create: injected panic"), "{result}");
    }
}
