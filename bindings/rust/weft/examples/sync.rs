//! Two replicas of one agent session: each appends on its own, then they
//! exchange what the other lacks as bytes, both ways, and end with equal
//! digests. The Rust twin of examples/two_replicas.c.
//!
//!     cargo run --offline --example sync

use std::process::ExitCode;

use weft::{Error, Log};

/// Sends every op `from` has and `to` lacks, as encoded batches (what would
/// cross the network), and applies them.
fn sync_into(to: &Log, from: &Log) -> Result<(), Error> {
    let vv = to.version_vector()?;
    for batch in from.diff(&vv)? {
        let ack = to.apply(&batch)?;
        println!(
            "  batch of {} bytes: {} applied, {} duplicates",
            batch.len(),
            ack.applied().len(),
            ack.duplicates().len()
        );
    }
    Ok(())
}

fn short(digest: &[u8; 32]) -> String {
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn run() -> Result<bool, Error> {
    let laptop = Log::open_memory()?;
    let server = Log::open_memory()?;
    laptop.append(br#"{"role":"user","text":"plan the trip"}"#, 1)?;
    laptop.append(br#"{"tool":"search","query":"trains"}"#, 2)?;
    server.append(br#"{"role":"assistant","text":"on it"}"#, 1)?;

    println!("laptop -> server");
    sync_into(&server, &laptop)?;
    println!("server -> laptop");
    sync_into(&laptop, &server)?;

    let (a, b) = (laptop.digest()?, server.digest()?);
    println!("laptop digest {}...", short(&a));
    println!("server digest {}...", short(&b));
    Ok(a == b && laptop.canonical_order()? == server.canonical_order()?)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => {
            println!("digests are equal: both replicas hold the same ops");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("digests differ");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("sync: {e}");
            ExitCode::FAILURE
        }
    }
}
