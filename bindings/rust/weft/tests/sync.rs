//! Sync sessions, hosts, capability tokens and outbox state through the safe
//! API: messages are pumped between sessions in Rust, as a transport would.

mod common;

use std::thread;

use common::actor;
use weft::{
    Code, Host, Log, Options, PeerState, Scope, Session, SessionOptions, SessionState, issue_token,
    new_secret, verify_token,
};

fn memory_log(byte: u8) -> Log {
    Options::new().actor(actor(byte)).open_memory().unwrap()
}

fn append_n(log: &Log, n: usize, prefix: &str) {
    for i in 0..n {
        log.append(format!("{prefix}-{i}").as_bytes(), 0).unwrap();
    }
}

/// Moves messages both ways until neither side has one. `keep_back` sees
/// the responder's n-th message (from 0) and says whether it arrives.
/// Returns how many messages arrived.
fn pump_filtered(
    a: &mut Session,
    b: &mut Session,
    mut keep_back: impl FnMut(usize) -> bool,
) -> usize {
    let (mut moved, mut back) = (0, 0);
    loop {
        let mut any = false;
        while let Some(m) = a.next_message() {
            any = true;
            moved += 1;
            let _ = b.receive(&m); // a failure shows in b's state
        }
        while let Some(m) = b.next_message() {
            any = true;
            back += 1;
            if keep_back(back - 1) {
                moved += 1;
                let _ = a.receive(&m);
            }
        }
        if !any {
            return moved;
        }
        assert!(moved < 100_000, "the sessions never go quiet");
    }
}

fn pump(a: &mut Session, b: &mut Session) -> usize {
    pump_filtered(a, b, |_| true)
}

#[test]
fn two_logs_sync_both_ways_through_sessions() {
    let a = memory_log(1);
    let b = memory_log(2);
    append_n(&a, 20, "a");
    append_n(&b, 7, "b");
    assert_ne!(a.digest().unwrap(), b.digest().unwrap());

    let opts = SessionOptions::new().peer("b").max_batch_ops(3);
    let mut sa = Session::connect_with(&a, &opts).unwrap();
    let mut sb = Session::accept(&b).unwrap();
    assert_eq!(sa.state(), SessionState::Handshake);
    assert!(pump(&mut sa, &mut sb) > 0);

    assert!(sa.is_done() && sb.is_done());
    assert_eq!(a.digest().unwrap(), b.digest().unwrap());
    assert_eq!(a.canonical_order().unwrap(), b.canonical_order().unwrap());
    assert_eq!((a.cursor(), b.cursor()), (27, 27));

    let ia = sa.info();
    assert_eq!(ia.state, SessionState::Done);
    assert_eq!(ia.error, None);
    assert_eq!((ia.batches_sent, ia.ops_sent, ia.peer_applied), (7, 20, 20));
    assert_eq!((ia.ops_to_send, ia.ops_acked, ia.acked_cursor), (20, 20, 20));
    assert_eq!(ia.applied, 7, "b's ops, applied at a");
    let ib = sb.info();
    assert_eq!((ib.applied, ib.duplicates, ib.rejected), (20, 0, 0));
    assert_eq!(ib.messages_received, ia.messages_sent);
    assert_eq!(ib.bytes_received, ia.bytes_sent);

    // The durable outbox state the session kept under the peer's name.
    let p = a.peer("b").unwrap();
    assert_eq!((p.acked_cursor, p.attempts), (20, 0));

    // A second session has nothing to send.
    let mut sa = Session::connect_with(&a, &opts).unwrap();
    let mut sb = Session::accept(&b).unwrap();
    pump(&mut sa, &mut sb);
    assert!(sa.is_done() && sb.is_done());
    assert_eq!((sa.info().ops_sent, sb.info().ops_sent), (0, 0));
}

#[test]
fn sessions_keep_their_logs_alive_and_move_between_threads() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<Session>();
    send_sync::<Host>();

    let a = memory_log(3);
    let b = memory_log(4);
    append_n(&a, 5, "x");
    let sa = Session::connect(&a).unwrap();
    let sb = Session::accept(&b).unwrap();
    drop(a); // the session keeps its log open
    let (mut sa, mut sb) =
        thread::spawn(move || (sa, sb)).join().expect("sessions move to another thread");
    pump(&mut sa, &mut sb);
    assert!(sa.is_done() && sb.is_done());
    assert_eq!(b.cursor(), 5);
    drop(b);
    drop(sb);
    drop(sa);
}

#[test]
fn a_lost_answer_is_resent_by_tick_and_reported_as_duplicates() {
    let a = memory_log(5);
    let b = memory_log(6);
    append_n(&a, 4, "z");
    let opts = SessionOptions::new().peer("b").retry_base_ms(10).retry_max_ms(10);
    let mut sa = Session::connect_with(&a, &opts).unwrap();
    let mut sb = Session::accept(&b).unwrap();

    // b's Hello arrives; every answer after it (the acks) is lost.
    pump_filtered(&mut sa, &mut sb, |n| n == 0);
    assert_eq!(b.cursor(), 4, "b applied the batch");
    assert_eq!(sa.state(), SessionState::Syncing, "a still waits for the ack");

    // The clock moves on: a resends the same bytes; now answers get through.
    let mut now = 0;
    loop {
        sa.tick(now).unwrap();
        if pump(&mut sa, &mut sb) > 0 {
            break;
        }
        now += 5;
        assert!(now < 10_000, "no resend");
    }
    assert!(sa.is_done() && sb.is_done());
    let (ia, ib) = (sa.info(), sb.info());
    assert!(ia.resends >= 1);
    assert_eq!(ib.duplicates, 4, "b saw the resent ops again");
    assert_eq!(ia.peer_duplicates, 4, "a learned that from b's ack");
    assert_eq!(ia.acked_cursor, 4);
    assert_eq!(a.digest().unwrap(), b.digest().unwrap());
}

#[test]
fn an_unanswered_session_times_out() {
    let a = memory_log(7);
    let b = memory_log(8);
    append_n(&a, 2, "t");
    let opts = SessionOptions::new().retry_base_ms(10).retry_max_ms(10).retry_max_attempts(2);
    let mut sa = Session::connect_with(&a, &opts).unwrap();
    let mut sb = Session::accept(&b).unwrap();
    pump_filtered(&mut sa, &mut sb, |n| n == 0);
    let mut result = Ok(());
    let mut now = 0;
    while result.is_ok() && now < 1000 {
        result = sa.tick(now);
        pump_filtered(&mut sa, &mut sb, |_| false);
        now += 5;
    }
    let err = result.unwrap_err();
    assert_eq!(err.code, Code::Timeout, "{err}");
    let info = sa.info();
    assert_eq!(info.state, SessionState::Failed);
    let why = info.error.expect("a failed session says why");
    assert_eq!(why.code, Code::Timeout);
    assert!(why.message.contains("no answer"), "{why}");
    // A failed session answers everything with its failure.
    assert_eq!(sa.receive(b"junk").unwrap_err().code, Code::Timeout);
    assert_eq!(sa.tick(now).unwrap_err().code, Code::Timeout);
}

#[test]
fn a_host_serves_read_and_append_tokens_and_revokes_them() {
    let host = Host::open_memory(&[0x42; 32]).unwrap();
    let read = host.issue("agent", Scope::Read).unwrap();
    let append = host.issue("agent", Scope::Append).unwrap();
    let info = host.redeem("agent", &append).unwrap();
    assert_eq!((info.scope, info.epoch, info.cursor, info.ops), (Scope::Append, 0, 0, 0));
    assert_eq!(host.redeem("agent", &read).unwrap().scope, Scope::Read);

    // An append token pushes.
    let writer = memory_log(9);
    append_n(&writer, 3, "w");
    let opts = SessionOptions::new().log_id("agent").token(append.clone());
    let mut c = Session::connect_with(&writer, &opts).unwrap();
    let mut h = host.accept().unwrap();
    pump(&mut c, &mut h);
    assert!(c.is_done() && h.is_done());
    let info = host.redeem("agent", &append).unwrap();
    assert_eq!((info.ops, info.cursor, info.actors), (3, 3, 1));
    assert_eq!(info.digest, writer.digest().unwrap());

    // A read token pulls what the host has, and pushes nothing.
    let reader = memory_log(10);
    append_n(&reader, 2, "r");
    let opts = SessionOptions::new().log_id("agent").token(read.clone());
    let mut c = Session::connect_with(&reader, &opts).unwrap();
    let mut h = host.accept().unwrap();
    pump(&mut c, &mut h);
    assert!(c.is_done() && h.is_done());
    assert_eq!(reader.cursor(), 5, "pulled the host's 3 ops");
    assert_eq!(host.redeem("agent", &read).unwrap().ops, 3, "the reader's 2 ops stayed home");
    assert_eq!(c.info().ops_sent, 0);

    // Revoked: the old tokens fail, in redeem and at a session's Hello.
    assert_eq!(host.revoke("agent").unwrap(), 1);
    assert_eq!(host.redeem("agent", &append).unwrap_err().code, Code::StaleEpoch);
    let opts = SessionOptions::new().log_id("agent").token(append);
    let mut c = Session::connect_with(&writer, &opts).unwrap();
    let mut h = host.accept().unwrap();
    drop(host); // sessions keep the host alive
    pump(&mut c, &mut h);
    for s in [&c, &h] {
        let info = s.info();
        assert_eq!(info.state, SessionState::Failed);
        assert_eq!(info.error.unwrap().code, Code::StaleEpoch);
    }
    assert_eq!(c.receive(b"more").unwrap_err().code, Code::StaleEpoch);
}

#[test]
fn a_directory_host_keeps_logs_in_sqlite_files() {
    let dir = std::env::temp_dir().join(format!("weft-rust-host-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = new_secret().unwrap();
    {
        let host = Host::open_directory(&key, &dir).unwrap();
        let token = host.issue("notes", Scope::Admin).unwrap();
        let writer = memory_log(11);
        append_n(&writer, 2, "n");
        let opts = SessionOptions::new().log_id("notes").token(token);
        let mut c = Session::connect_with(&writer, &opts).unwrap();
        let mut h = host.accept().unwrap();
        pump(&mut c, &mut h);
        assert!(c.is_done());
        assert_eq!(host.issue("../x", Scope::Read).unwrap_err().code, Code::InvalidArgument);
    }
    assert!(dir.join("notes.db").exists());
    let host = Host::open_directory(&key, &dir).unwrap();
    let token = host.issue("notes", Scope::Read).unwrap();
    assert_eq!(host.redeem("notes", &token).unwrap().ops, 2, "kept across hosts");
    drop(host);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tokens_issue_and_verify() {
    let secret = new_secret().unwrap();
    assert_ne!(secret, new_secret().unwrap());
    let token = issue_token(&secret, "log-1", 4, Scope::Read).unwrap();
    assert!(!token.is_empty());
    let grant = verify_token(&secret, "log-1", 4, &token, Scope::Read).unwrap();
    assert_eq!((grant.epoch, grant.scope), (4, Scope::Read));

    let code = |r: Result<weft::Grant, weft::Error>| r.unwrap_err().code;
    assert_eq!(
        code(verify_token(&secret, "log-1", 4, &token, Scope::Append)),
        Code::PermissionDenied
    );
    assert_eq!(code(verify_token(&secret, "log-1", 5, &token, Scope::Read)), Code::StaleEpoch);
    assert_eq!(
        code(verify_token(&secret, "log-2", 4, &token, Scope::Read)),
        Code::PermissionDenied
    );
    assert_eq!(
        code(verify_token(&[7; 32], "log-1", 4, &token, Scope::Read)),
        Code::PermissionDenied
    );
    assert_eq!(code(verify_token(&secret, "log-1", 4, b"x", Scope::Read)), Code::Malformed);
    // Every single-bit edit of the token fails to verify.
    for i in 0..token.len() {
        let mut edited = token.clone();
        edited[i] ^= 1;
        let err = verify_token(&secret, "log-1", 4, &edited, Scope::Read).unwrap_err();
        assert!(
            matches!(err.code, Code::Malformed | Code::PermissionDenied | Code::StaleEpoch),
            "byte {i}: {err}"
        );
    }
    let admin = issue_token(&secret, "log-1", 4, Scope::Admin).unwrap();
    assert_eq!(
        verify_token(&secret, "log-1", 4, &admin, Scope::Append).unwrap().scope,
        Scope::Admin
    );
    assert_eq!(Scope::from_raw(Scope::Append.raw()), Scope::Append);
    assert_eq!(Scope::from_raw(9), Scope::Unknown(9));
}

#[test]
fn peer_state_is_recorded_and_the_acked_cursor_never_moves_back() {
    let log = memory_log(12);
    append_n(&log, 5, "p");
    assert_eq!(log.peer("never").unwrap(), PeerState::default());

    let state = PeerState { acked_cursor: 5, attempts: 0, next_attempt_ms: 0 };
    assert_eq!(log.record_peer("replica-b", &state).unwrap(), state);
    let stale = PeerState { acked_cursor: 2, attempts: 3, next_attempt_ms: 1000 };
    let stored = log.record_peer("replica-b", &stale).unwrap();
    assert_eq!(stored, PeerState { acked_cursor: 5, attempts: 3, next_attempt_ms: 1000 });
    assert_eq!(log.peer("replica-b").unwrap(), stored);

    assert!(stored.retry_wait_ms(900, 100, 10_000, 0) <= 100);
    assert_eq!(stored.retry_wait_ms(5000, 100, 10_000, 0), 0, "due");
    assert_eq!(PeerState::default().retry_wait_ms(0, 1, 1, 0), 0);

    let past = PeerState { acked_cursor: 999, ..stale };
    assert_eq!(log.record_peer("replica-b", &past).unwrap_err().code, Code::InvalidArgument);
    assert_eq!(log.peer("replica-b").unwrap().acked_cursor, 5);
}

#[test]
fn argument_errors() {
    let log = memory_log(13);
    let invalid = |r: Result<(), weft::Error>| {
        let err = r.unwrap_err();
        assert_eq!(err.code, Code::InvalidArgument, "{err}");
        assert!(!err.message.is_empty());
    };
    invalid(log.peer("").map(drop));
    invalid(log.peer(&"p".repeat(257)).map(drop));
    invalid(log.peer("nul\0byte").map(drop));
    invalid(log.record_peer("", &PeerState::default()).map(drop));
    invalid(Session::connect_with(&log, &SessionOptions::new().window(0)).map(drop));
    invalid(Session::accept_with(&log, &SessionOptions::new().max_batch_ops(0)).map(drop));
    invalid(Session::connect_with(&log, &SessionOptions::new().peer("a\0b")).map(drop));
    invalid(Session::connect_with(&log, &SessionOptions::new().log_id("x".repeat(257))).map(drop));
    invalid(Session::connect_with(&log, &SessionOptions::new().token(vec![0; 4097])).map(drop));
    invalid(issue_token(&[1; 32], "", 0, Scope::Read).map(drop));
    invalid(issue_token(&[1; 32], "log", 0, Scope::Unknown(9)).map(drop));
    invalid(verify_token(&[1; 32], "log", 0, b"", Scope::Unknown(0)).map(drop));
    invalid(Host::open_directory(&[1; 32], "/no/such/directory").map(drop));
    let host = Host::open_memory(&[1; 32]).unwrap();
    invalid(host.issue("", Scope::Read).map(drop));
    invalid(host.issue("log", Scope::Unknown(0)).map(drop));
    invalid(host.revoke("").map(drop));
    invalid(host.accept_with(&SessionOptions::new().window(0)).map(drop));
    assert_eq!(host.redeem("log", b"not a token").unwrap_err().code, Code::Malformed);

    // A message that is not one fails the session; it then tells the peer.
    let mut s = Session::accept(&log).unwrap();
    let err = s.receive(b"garbage").unwrap_err();
    assert_eq!(err.code, Code::Malformed, "{err}");
    assert_eq!(s.state(), SessionState::Failed);
    assert!(s.next_message().is_some(), "the Error message for the peer");
    assert!(s.next_message().is_none());
}
