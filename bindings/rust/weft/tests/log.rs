//! Logs through the safe API: appends, reads, sync and convergence, the
//! apply rules' outcomes as typed codes, SQLite, threads.

mod common;

use std::sync::Arc;
use std::thread;

use common::actor;
use weft::{
    Ack, AppendRequest, Batch, BatchBuilder, BatchHeader, Chunk, Code, Log, Op, OpFields, OpId,
    OpIter, Options, SqliteOptions, decode_batch,
};

fn texts(log: &Log) -> Vec<String> {
    log.read(1, u64::MAX)
        .unwrap()
        .map(|op| String::from_utf8(op.unwrap().payload).unwrap())
        .collect()
}

/// Sends every op `from` has and `to` lacks, through bytes; returns the acks.
fn sync_into(to: &Log, from: &Log) -> Vec<Ack> {
    let vv = to.version_vector().unwrap();
    from.diff(&vv).unwrap().iter().map(|batch| to.apply(batch).unwrap()).collect()
}

/// A batch of one op with explicit fields.
fn one_op_batch(header: BatchHeader, op: OpFields<'_>) -> Vec<u8> {
    let mut builder = BatchBuilder::new().unwrap();
    builder.set_header(&header).add_op(&op);
    builder.finish().unwrap()
}

#[test]
fn append_read_get_heads() {
    let log = Options::new().actor(actor(7)).open_memory().unwrap();
    assert_eq!(log.actor(), actor(7));
    assert_eq!(log.cursor(), 0);
    assert_eq!(log.heads().unwrap(), []);

    let a = log.append(b"one", 1).unwrap();
    let b = log.append(b"two", 2).unwrap();
    assert_eq!((a, b), (OpId::new(actor(7), 1), OpId::new(actor(7), 2)));
    assert_eq!(log.cursor(), 2);
    assert_eq!(log.heads().unwrap(), [b]);
    assert_eq!(texts(&log), ["one", "two"]);

    let op = log.get(&b).unwrap().expect("op 2 is in the log");
    assert_eq!((op.id, op.kind, op.cursor, op.lamport), (b, 2, 2, 2));
    assert_eq!(op.payload, b"two");
    assert_eq!(op.deps, [], "the previous counter is implicit");
    assert!(op.timestamp_ms > 1_700_000_000_000, "stamped with the wall clock");
    assert_eq!(log.get(&OpId::new(actor(7), 3)).unwrap(), None);
    assert_eq!(log.get(&OpId::new(actor(8), 1)).unwrap(), None);

    // A window of the log, and an iterator that outlives its log.
    let window: Vec<u64> = log.read(2, 1).unwrap().map(|op| op.unwrap().cursor).collect();
    assert_eq!(window, [2]);
    let mut iter = log.read(1, u64::MAX).unwrap();
    drop(log);
    assert_eq!(iter.next().unwrap().unwrap().payload, b"one");
    assert_eq!(iter.next().unwrap().unwrap().payload, b"two");
    assert!(iter.next().is_none());
    assert!(iter.next().is_none(), "fused");
}

#[test]
fn append_with_explicit_deps_and_timestamp() {
    let log = Options::new().actor(actor(1)).open_memory().unwrap();
    let other = Options::new().actor(actor(2)).open_memory().unwrap();
    let theirs = other.append(b"theirs", 1).unwrap();
    log.merge(&other).unwrap();
    let mine = log.append(b"mine", 1).unwrap();

    let request = AppendRequest {
        kind: 9,
        timestamp_ms: Some(1_767_225_600_000),
        deps: Some(&[theirs]),
        ..AppendRequest::new(b"explicit")
    };
    let id = log.append_with(&request).unwrap();
    let op = log.get(&id).unwrap().unwrap();
    assert_eq!(op.kind, 9);
    assert_eq!(op.timestamp_ms, 1_767_225_600_000);
    assert_eq!(op.deps, [theirs], "depends on the given op only, not on the heads");
    assert_eq!(log.heads().unwrap(), [id], "counter 2 of actor 1 follows {mine} implicitly");

    // Several ops in one transaction: all or none.
    let ids = log
        .append_many(&[
            AppendRequest::new(b"x"),
            AppendRequest { kind: 3, ..AppendRequest::new(b"y") },
        ])
        .unwrap();
    assert_eq!(ids, [OpId::new(actor(1), 3), OpId::new(actor(1), 4)]);
    assert_eq!(log.append_many(&[]).unwrap(), []);

    let missing = OpId::new(actor(3), 1);
    let before = log.cursor();
    let err = log
        .append_many(&[
            AppendRequest::new(b"ok"),
            AppendRequest { deps: Some(&[missing]), ..AppendRequest::new(b"no") },
        ])
        .unwrap_err();
    assert_eq!(err.code, Code::MissingDependency, "{err}");
    assert!(err.is_retryable());
    assert_eq!(log.cursor(), before, "nothing appended");

    let err = log
        .append_with(&AppendRequest {
            deps: Some(&[OpId::new(actor(1), 5)]),
            ..AppendRequest::new(b"self")
        })
        .unwrap_err();
    assert_eq!(err.code, Code::InvalidArgument, "a dependency on itself: {err}");
}

#[test]
fn two_logs_converge_through_bytes_and_merge() {
    let laptop = Options::new().actor(actor(0xa1)).open_memory().unwrap();
    let server = Options::new().actor(actor(0xb2)).open_memory().unwrap();
    let phone = Options::new().actor(actor(0xc3)).open_memory().unwrap();
    for i in 0..50 {
        laptop.append(format!("laptop {i}").as_bytes(), 1).unwrap();
        if i % 2 == 0 {
            server.append(format!("server {i}").as_bytes(), 2).unwrap();
        }
    }
    phone.append(b"phone", 3).unwrap();
    assert_ne!(laptop.digest().unwrap(), server.digest().unwrap());

    // Through bytes, both ways, in small batches.
    let vv = server.version_vector().unwrap();
    let batches = laptop.diff_with(&vv, 7, 0).unwrap();
    assert_eq!(batches.len(), 8, "50 ops in batches of at most 7");
    let applied: usize = batches.iter().map(|b| server.apply(b).unwrap().applied().len()).sum();
    assert_eq!(applied, 50);
    let acks = sync_into(&laptop, &server);
    assert_eq!(acks.iter().map(|a| a.applied().len()).sum::<usize>(), 25);
    assert!(sync_into(&laptop, &server).is_empty(), "nothing left to send");
    assert_eq!(laptop.diff(&[]).unwrap().len(), 1, "an empty vector: everything");

    // In process.
    assert_eq!(phone.merge(&laptop).unwrap(), 75);
    assert_eq!(laptop.merge(&phone).unwrap(), 1);
    assert_eq!(server.merge(&phone).unwrap(), 1);
    assert_eq!(server.merge(&server).unwrap(), 0);

    let digest = laptop.digest().unwrap();
    let order = laptop.canonical_order().unwrap();
    assert_eq!(order.len(), 76);
    for log in [&server, &phone] {
        assert_eq!(log.digest().unwrap(), digest);
        assert_eq!(log.canonical_order().unwrap(), order);
        assert_eq!(log.heads().unwrap(), laptop.heads().unwrap());
        assert_eq!(log.cursor(), 76);
    }
    // Apply orders differ; the canonical order does not.
    let cursor_order = |log: &Log| -> Vec<OpId> {
        log.read(1, u64::MAX).unwrap().map(|op| op.unwrap().id).collect()
    };
    assert_ne!(cursor_order(&laptop), cursor_order(&phone));
}

#[test]
fn a_lost_ack_retry_answers_duplicates() {
    let sender = Options::new().actor(actor(1)).open_memory().unwrap();
    let receiver = Log::open_memory().unwrap();
    for i in 0..3 {
        sender.append(&[i], 1).unwrap();
    }
    let batch = sender.diff(&receiver.version_vector().unwrap()).unwrap().remove(0);

    let first = receiver.apply(&batch).unwrap();
    assert_eq!(first.applied().len(), 3);
    assert_eq!(first.duplicates(), []);
    assert_eq!(first.cursor(), 3);

    // The ack was lost: the sender retries the same bytes.
    let retry = receiver.apply(&batch).unwrap();
    assert_eq!(retry.applied(), []);
    assert_eq!(retry.duplicates(), first.applied());
    assert_eq!(retry.rejected(), []);
    assert_eq!(retry.status(), Code::Ok);
    assert_eq!(retry.cursor(), 3);
    assert_eq!(receiver.digest().unwrap(), sender.digest().unwrap());

    // The ack survives its own wire round trip.
    let again = weft::decode_ack(&retry.encode().unwrap()).unwrap();
    assert_eq!(again.duplicates(), retry.duplicates());
}

#[test]
fn an_equivocating_op_is_rejected_as_conflict() {
    let log = Options::new().actor(actor(5)).open_memory().unwrap();
    let id = log.append(b"original", 1).unwrap();
    let op: Op = log.get(&id).unwrap().unwrap();

    let forged = OpFields { payload: b"forged", ..op.fields() };
    let batch = one_op_batch(BatchHeader { batch_id: 9, seq: 1, ..BatchHeader::default() }, forged);
    let ack = log.apply(&batch).unwrap();
    assert_eq!(ack.status(), Code::Ok);
    assert_eq!(ack.applied(), []);
    assert_eq!(ack.rejected().len(), 1);
    assert_eq!(ack.rejected()[0].id, id);
    assert_eq!(ack.rejected()[0].code, Code::Conflict);
    assert!(!ack.rejected()[0].code.is_retryable());
    assert_eq!(log.get(&id).unwrap().unwrap().payload, b"original");

    // The identical op is a duplicate, not a conflict.
    let same = one_op_batch(BatchHeader::default(), op.fields());
    assert_eq!(log.apply(&same).unwrap().duplicates(), [id]);
}

#[test]
fn other_per_op_refusals_are_typed() {
    let log = Options::new().actor(actor(5)).open_memory().unwrap();
    log.append(b"a", 1).unwrap();

    // A gap in a writer's counters.
    let gap = OpFields { id: OpId::new(actor(6), 2), lamport: 2, ..OpFields::default() };
    let ack = log.apply(&one_op_batch(BatchHeader::default(), gap)).unwrap();
    assert_eq!(ack.rejected()[0].code, Code::MissingDependency);

    // A compare-and-append on a stale cursor applies nothing.
    let fresh = OpFields { id: OpId::new(actor(6), 1), lamport: 1, ..OpFields::default() };
    let header = BatchHeader { expected_cursor: Some(0), ..BatchHeader::default() };
    let ack = log.apply(&one_op_batch(header, fresh)).unwrap();
    assert_eq!(ack.rejected()[0].code, Code::CursorMismatch);
    assert_eq!(log.cursor(), 1);
    let header = BatchHeader { expected_cursor: Some(1), ..BatchHeader::default() };
    assert_eq!(log.apply(&one_op_batch(header, fresh)).unwrap().applied(), [fresh.id]);
}

#[test]
fn a_stale_epoch_refuses_the_whole_batch() {
    let log = Log::open_memory().unwrap();
    let sender = Options::new().actor(actor(1)).open_memory().unwrap();
    let id = sender.append(b"x", 1).unwrap();
    let op = sender.get(&id).unwrap().unwrap();
    let batch_at = |epoch| {
        one_op_batch(
            BatchHeader { batch_id: 4, seq: 2, epoch, ..BatchHeader::default() },
            op.fields(),
        )
    };

    assert_eq!(log.epoch(), 0);
    log.set_epoch(2).unwrap();
    assert_eq!(log.epoch(), 2);
    let err = log.set_epoch(1).unwrap_err();
    assert_eq!(err.code, Code::InvalidArgument, "{err}");

    let err = log.apply(&batch_at(1)).unwrap_err();
    assert_eq!(err.code, Code::StaleEpoch, "{err}");
    assert!(err.message.contains("batch 4"), "{err}");
    assert!(!err.is_retryable());
    let err = log.apply(&batch_at(3)).unwrap_err();
    assert_eq!(err.code, Code::PermissionDenied, "{err}");
    assert_eq!(log.cursor(), 0, "nothing applied");

    // The refusal as an ack, for a server that sends acks back.
    let ack = log.apply_with_refusal(&batch_at(1)).unwrap();
    assert_eq!((ack.status(), ack.batch_id(), ack.seq()), (Code::StaleEpoch, 4, 2));
    assert_eq!((ack.applied().len(), ack.duplicates().len(), ack.rejected().len()), (0, 0, 0));
    let echoed = weft::decode_ack(&ack.encode().unwrap()).unwrap();
    assert_eq!(echoed.status(), Code::StaleEpoch);

    assert_eq!(log.apply(&batch_at(2)).unwrap().applied(), [id]);
}

#[test]
fn bad_bytes_fail_with_messages() {
    let log = Log::open_memory().unwrap();
    let err = log.apply(b"not a batch").unwrap_err();
    assert_eq!(err.code, Code::Malformed);
    assert!(!err.message.is_empty());
    assert!(err.to_string().starts_with("MALFORMED: "), "{err}");
    assert_eq!(log.diff(b"not a version vector").unwrap_err().code, Code::Malformed);
    assert_eq!(log.chunk_put(b"nope", None).unwrap_err().code, Code::Malformed);
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err);
    assert!(boxed.to_string().contains("MALFORMED"));
}

#[test]
fn seal_chunks_and_verify() {
    let writer = Options::new().actor(actor(4)).open_memory().unwrap();
    for i in 0..5u8 {
        writer.append(&[i; 3], 1).unwrap();
    }
    let first = writer.seal(&actor(4), 3, None).unwrap();
    assert_eq!((first.index, first.first, first.last, first.prev_digest), (0, 1, 3, [0; 32]));
    assert_eq!(writer.seal(&actor(4), 3, None).unwrap(), first, "sealing again answers the seal");
    let second = writer.seal(&actor(4), 5, Some(&{ [0xee; 32] }));
    assert_eq!(second.unwrap_err().code, Code::ChecksumMismatch);
    let second = writer.seal(&actor(4), 5, None).unwrap();
    assert_eq!(second.prev_digest, first.digest, "chunks chain");
    assert_eq!(writer.seal(&actor(9), 1, None).unwrap_err().code, Code::NotFound);
    assert_eq!(writer.verify().unwrap(), weft::VerifyReport { ops: 5, chunks: 2 });

    let bytes0 = writer.chunk_get(&actor(4), 0).unwrap();
    let bytes1 = writer.chunk_get(&actor(4), 1).unwrap();
    assert_eq!(weft::chunk_verify(&bytes0, Some(&first)).unwrap(), first);
    let chunk: Chunk = weft::decode_chunk(&bytes1).unwrap();
    assert_eq!(chunk.seal(), &second);
    assert_eq!(chunk.ops().map(|op| op.payload).collect::<Vec<_>>(), [vec![3; 3], vec![4; 3]]);

    // A peer takes the chunks in order only.
    let reader = Log::open_memory().unwrap();
    assert_eq!(reader.chunk_put(&bytes1, None).unwrap_err().code, Code::NotContiguous);
    assert_eq!(reader.chunk_put(&bytes0, Some(&first.digest)).unwrap(), first);
    assert_eq!(reader.chunk_put(&bytes1, None).unwrap(), second);
    assert_eq!(reader.digest().unwrap(), writer.digest().unwrap());
    assert_eq!(reader.verify().unwrap().chunks, 2);
}

/// A fresh directory for one SQLite test.
fn test_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("weft-rust-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn sqlite_logs_persist_and_take_options() {
    let dir = test_dir("sqlite");
    let path = dir.join("log.db");

    // Without create, opening never writes: a missing file stays missing.
    let err = SqliteOptions::new().create(false).open(&path).unwrap_err();
    assert_eq!(err.code, Code::NotFound, "{err}");
    assert!(!path.exists(), "opening without create wrote {}", path.display());

    let options = Options::new().actor(actor(3));
    let sqlite = SqliteOptions::new().synchronous_full(true).busy_timeout_ms(1000);
    {
        let log = options.open_sqlite_with(&path, &sqlite).unwrap();
        log.append(b"kept", 1).unwrap();
        log.set_epoch(4).unwrap();
        let second = sqlite.clone().log_name("second");
        let other = Log::open_sqlite_with(&path, &options, &second).unwrap();
        other.append(b"elsewhere", 1).unwrap();
    }
    let log = Log::open_sqlite(&path).unwrap();
    assert_eq!(log.actor(), actor(3), "the actor stored with the log");
    assert_eq!(texts(&log), ["kept"]);
    assert_eq!(log.epoch(), 4, "the epoch is durable");
    let second = SqliteOptions::new().log_name("second").open(&path).unwrap();
    assert_eq!(texts(&second), ["elsewhere"]);
    // An existing log opens without create; a missing one in the file is NotFound.
    let existing = SqliteOptions::new().create(false).open(&path).unwrap();
    assert_eq!(texts(&existing), ["kept"]);
    let err = SqliteOptions::new().create(false).log_name("third").open(&path).unwrap_err();
    assert_eq!(err.code, Code::NotFound, "{err}");

    let err = SqliteOptions::new().log_name("a\0b").open(&path).unwrap_err();
    assert_eq!(err.code, Code::InvalidArgument);
    let not_a_db = dir.join("not-a-db");
    std::fs::write(&not_a_db, vec![0x42; 4096]).unwrap();
    let err = Log::open_sqlite(&not_a_db).unwrap_err();
    assert_eq!(err.code, Code::Corrupt, "{err}");
    assert!(err.message.contains("not-a-db"), "the message names the file: {err}");
    drop((log, second, existing));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sqlite_special_names_only_when_asked() {
    for path in ["", ":memory:", "file:weft-test.db?mode=memory"] {
        let err = Log::open_sqlite(path).unwrap_err();
        assert_eq!(err.code, Code::InvalidArgument, "{path:?}: {err}");
    }
    let log = SqliteOptions::new().special_names(true).open(":memory:").unwrap();
    log.append(b"in memory", 1).unwrap();
    assert_eq!(texts(&log), ["in memory"]);
}

#[test]
fn a_copied_sqlite_file_appends_under_a_new_writer() {
    let dir = test_dir("copy");
    let (path, copy) = (dir.join("log.db"), dir.join("copy.db"));
    let writer = {
        let log = Log::open_sqlite(&path).unwrap();
        log.append(b"original", 1).unwrap();
        log.actor()
    };
    std::fs::copy(&path, &copy).unwrap(); // the file, not its "-weft" fence
    assert!(dir.join("log.db-weft").exists(), "the writer fence beside the database");

    let copied = Log::open_sqlite(&copy).unwrap();
    assert_eq!(texts(&copied), ["original"]);
    assert_ne!(copied.actor(), writer, "a copy appends under a fresh writer");
    let id = copied.append(b"from the copy", 1).unwrap();
    assert_eq!((id.actor, id.counter), (copied.actor(), 1));
    let original = Log::open_sqlite(&path).unwrap();
    assert_eq!(original.actor(), writer, "the original keeps its writer");
    assert_eq!(original.append(b"from the original", 1).unwrap().counter, 2);

    // The two replicas converge: no op id minted twice.
    original.merge(&copied).unwrap();
    copied.merge(&original).unwrap();
    assert_eq!(original.digest().unwrap(), copied.digest().unwrap());
    assert_eq!(original.verify().unwrap().ops, 3);
    drop((copied, original));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn limits_from_options_apply() {
    let log = Options::new().max_payload_bytes(4).open_memory().unwrap();
    log.append(b"1234", 1).unwrap();
    assert_eq!(log.append(b"12345", 1).unwrap_err().code, Code::InvalidArgument);
}

#[test]
fn threads_share_a_log_and_move_iterators() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Log>();
    send_sync::<Ack>();
    send_sync::<Batch>();
    send_sync::<Chunk>();
    send_sync::<weft::Error>();
    send::<OpIter>();
    send::<BatchBuilder>();

    let log = Arc::new(Options::new().actor(actor(1)).open_memory().unwrap());
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let log = Arc::clone(&log);
            thread::spawn(move || {
                for i in 0..100 {
                    log.append(format!("{t}/{i}").as_bytes(), t).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(log.cursor(), 400);

    let iter = log.read(1, u64::MAX).unwrap();
    let counted = thread::spawn(move || iter.count()).join().unwrap();
    assert_eq!(counted, 400);

    // Errors are read on the failing thread, never another's.
    let log2 = Arc::clone(&log);
    let failing = thread::spawn(move || log2.apply(b"garbage").unwrap_err());
    log.append(b"ok", 0).unwrap();
    let err = failing.join().unwrap();
    assert_eq!(err.code, Code::Malformed);
    assert!(!err.message.is_empty());

    let batch = decode_batch(&log.diff(&[]).unwrap()[0]).unwrap();
    let batch = Arc::new(batch);
    let reader = Arc::clone(&batch);
    assert_eq!(thread::spawn(move || reader.len()).join().unwrap(), 401);
    assert_eq!(batch.header().epoch, 0);
}

#[test]
fn a_diff_stamped_with_the_receivers_epoch_applies() {
    let sender = Options::new().actor(actor(1)).open_memory().unwrap();
    sender.append(b"one", 1).unwrap();
    sender.append(b"two", 1).unwrap();
    let receiver = Log::open_memory().unwrap();
    receiver.set_epoch(3).unwrap();
    let vv = receiver.version_vector().unwrap();

    // Stamped with epoch 0, the default: refused as a whole.
    let stale = sender.diff(&vv).unwrap();
    assert_eq!(receiver.apply(&stale[0]).unwrap_err().code, Code::StaleEpoch);
    // Stamped with the receiver's epoch: applied.
    let fresh = sender.diff_with(&vv, 0, receiver.epoch()).unwrap();
    assert_eq!(receiver.apply(&fresh[0]).unwrap().applied().len(), 2);
    assert_eq!(receiver.digest().unwrap(), sender.digest().unwrap());
}
