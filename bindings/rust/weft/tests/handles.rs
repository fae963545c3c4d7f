//! Handle lifetimes: 100,000 handles of every kind (logs, iterators,
//! decoded batches and chunks, acks, builders, sessions, hosts) created and
//! dropped in mixed order, iterators and sessions outliving their logs or
//! hosts, failures on the way. On its own
//! it checks nothing leaks into a crash; run_tests.sh runs it under
//! valgrind, which checks that every handle is freed exactly once.
//!
//! `WEFT_HANDLES` overrides the number of handles.

mod common;

use common::actor;
use weft::{
    Ack, Batch, BatchBuilder, Chunk, Code, Host, Log, OpFields, OpId, OpIter, Options, Scope,
    Session, SessionOptions, decode_ack, decode_batch, decode_chunk,
};

#[allow(dead_code)] // held only to be dropped
enum Handle {
    Log(Log),
    Iter(OpIter),
    Batch(Batch),
    Ack(Ack),
    Chunk(Chunk),
    Builder(BatchBuilder),
    Session(Session),
    Host(Host),
}

/// xorshift64*: deterministic, std only.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

struct Fixtures {
    batch: Vec<u8>,
    chunk: Vec<u8>,
    ack: Vec<u8>,
}

fn fixtures() -> Fixtures {
    let log = Options::new().actor(actor(1)).open_memory().unwrap();
    for i in 0..4u8 {
        log.append(&[i; 8], 1).unwrap();
    }
    log.seal(&actor(1), 4, None).unwrap();
    let batch = log.diff(&[]).unwrap().remove(0);
    let ack = Log::open_memory().unwrap().apply(&batch).unwrap().encode().unwrap();
    Fixtures { batch, chunk: log.chunk_get(&actor(1), 0).unwrap(), ack }
}

/// Makes one handle of a kind chosen by `rng`, sometimes using live ones.
fn make(rng: &mut Rng, live: &[Handle], f: &Fixtures) -> Handle {
    let some_log = |rng: &mut Rng| {
        let logs: Vec<&Log> = live
            .iter()
            .filter_map(|h| if let Handle::Log(l) = h { Some(l) } else { None })
            .collect();
        (!logs.is_empty()).then(|| logs[rng.below(logs.len())])
    };
    match rng.below(9) {
        0 => {
            let log = Log::open_memory().unwrap();
            if rng.below(2) == 0 {
                log.append(b"payload", 1).unwrap();
            }
            Handle::Log(log)
        }
        1 => match some_log(rng) {
            Some(log) => {
                let mut iter = log.read(1, u64::MAX).unwrap();
                if rng.below(2) == 0 {
                    let _ = iter.next(); // holds a view's copy, then the page
                }
                Handle::Iter(iter)
            }
            // An iterator whose log is dropped at once: it keeps it open.
            None => Handle::Iter(Log::open_memory().unwrap().read(1, 10).unwrap()),
        },
        2 => Handle::Batch(decode_batch(&f.batch).unwrap()),
        3 => match some_log(rng) {
            Some(log) => Handle::Ack(log.apply(&f.batch).unwrap()),
            None => Handle::Ack(decode_ack(&f.ack).unwrap()),
        },
        4 => Handle::Chunk(decode_chunk(&f.chunk).unwrap()),
        5 => {
            let mut builder = BatchBuilder::new().unwrap();
            builder.add_op(&OpFields {
                id: OpId::new(actor(2), 1),
                lamport: 1,
                payload: b"x",
                ..OpFields::default()
            });
            assert!(!builder.finish().unwrap().is_empty());
            Handle::Builder(builder)
        }
        6 => {
            // A session over a live log (or a log dropped at once), sometimes
            // run to the end against a responder that is dropped first.
            let fresh;
            let log = match some_log(rng) {
                Some(log) => log,
                None => {
                    fresh = Log::open_memory().unwrap();
                    &fresh
                }
            };
            let mut session = Session::connect(log).unwrap();
            if rng.below(2) == 0 {
                let peer = Log::open_memory().unwrap();
                let mut responder = Session::accept(&peer).unwrap();
                drop(peer);
                while let Some(m) = session.next_message() {
                    responder.receive(&m).unwrap();
                    while let Some(m) = responder.next_message() {
                        session.receive(&m).unwrap();
                    }
                }
            }
            Handle::Session(session)
        }
        7 => {
            let host = Host::open_memory(&[7; 32]).unwrap();
            let token = host.issue("log", Scope::Read).unwrap();
            if rng.below(2) == 0 {
                Handle::Host(host)
            } else {
                // A session that outlives its host, and one refused.
                let session = host.accept().unwrap();
                assert_eq!(
                    Session::connect_with(
                        &Log::open_memory().unwrap(),
                        &SessionOptions::new().window(0)
                    )
                    .unwrap_err()
                    .code,
                    Code::InvalidArgument
                );
                assert_eq!(host.redeem("log", &token).unwrap().ops, 0);
                Handle::Session(session)
            }
        }
        _ => {
            // Failures allocate nothing the caller must free.
            assert_eq!(decode_batch(&f.chunk).unwrap_err().code, Code::Malformed);
            assert_eq!(decode_chunk(&f.batch[..10]).unwrap_err().code, Code::Malformed);
            Handle::Ack(decode_ack(&f.ack).unwrap())
        }
    }
}

#[test]
fn a_hundred_thousand_handles_in_mixed_order() {
    let total: usize =
        std::env::var("WEFT_HANDLES").ok().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let f = fixtures();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut live: Vec<Handle> = Vec::new();
    for _ in 0..total {
        let handle = make(&mut rng, &live, &f);
        live.push(handle);
        // Drop random handles (logs before their iterators, and after).
        let keep = rng.below(64);
        while live.len() > keep {
            let i = rng.below(live.len());
            drop(live.swap_remove(i));
        }
    }
    while !live.is_empty() {
        let i = rng.below(live.len());
        drop(live.swap_remove(i));
    }
}
