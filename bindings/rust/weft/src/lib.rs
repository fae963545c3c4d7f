//! Safe Rust API of weft: durable, replicated, append-only operation logs.
//!
//! A thin layer over weft's C ABI (`include/weft/weft.h`, and
//! `include/weft/sys/weft_sys.h` for the batch builder, storage adapters and
//! the conformance kit; declared by the `weft-sys` crate): every handle is
//! owned by a Rust value that frees it
//! on drop, every byte string or view weft hands out is copied into owned
//! Rust values, every failure is an [`Error`] with a typed [`Code`].
//!
//! ```
//! # fn main() -> Result<(), weft::Error> {
//! let laptop = weft::Log::open_memory()?;
//! let server = weft::Log::open_memory()?;
//! laptop.append(b"{\"role\":\"user\"}", 1)?;
//! server.append(b"{\"role\":\"assistant\"}", 1)?;
//!
//! // Sync through bytes, both ways: each side sends what the other lacks.
//! for batch in laptop.diff(&server.version_vector()?)? {
//!     server.apply(&batch)?;
//! }
//! for batch in server.diff(&laptop.version_vector()?)? {
//!     laptop.apply(&batch)?;
//! }
//! assert_eq!(laptop.digest()?, server.digest()?);
//! # Ok(()) }
//! ```
//!
//! Sync sessions ([`Session`]) move ops between two logs as byte messages
//! the application carries over any transport, resending what was not
//! answered and keeping each peer's outbox state in the log
//! ([`Log::peer`]). A [`Host`] serves many logs to sessions that present a
//! capability token ([`Scope`], [`issue_token`], [`verify_token`]).
//!
//! Thread-safety follows the header's labels: [`Log`] and [`Host`] are
//! internally synchronized (`Send + Sync`), [`OpIter`], [`BatchBuilder`]
//! and [`Session`] are "one thread at a time" (`Send`, not `Sync`),
//! decoded values ([`Ack`], [`Batch`], [`Chunk`]) are immutable (`Send +
//! Sync`).
//!
//! Storage adapters written in Rust ([`KvStore`], [`KvConnection`]) keep
//! a log in their own database ([`Log::open_kv`]), and the storage
//! conformance kit checks them ([`conformance::run`]).
//!
//! The first call that creates a handle checks that the loaded library
//! matches the header `weft-sys` was written against ([`check_version`]).

mod ack;
pub mod conformance;
mod error;
mod format;
mod host;
mod kv;
mod log;
mod raw;
mod session;
mod token;
mod types;

use std::ffi::CStr;
use std::sync::OnceLock;

use weft_sys as sys;

pub use ack::{Ack, Rejected, decode_ack, encode_ack};
pub use error::{Code, Error};
pub use format::{
    Batch, BatchBuilder, BatchHeader, Chunk, chunk_verify, decode_batch, decode_chunk,
};
pub use host::{Host, RedeemInfo};
pub use kv::{KvConnection, KvStore};
pub use log::{Log, OpIter, Options, SqliteOptions};
pub use session::{PeerState, Session, SessionInfo, SessionOptions, SessionState};
pub use token::{Grant, Scope, Secret, issue_token, new_secret, verify_token};
pub use types::{Actor, AppendRequest, Digest, Op, OpFields, OpId, Seal, VerifyReport};

/// The version of weft.h this binding was written against
/// (`WEFT_VERSION_NUMBER`: `MAJOR * 10000 + MINOR * 100 + PATCH`).
pub const HEADER_VERSION_NUMBER: u32 = sys::WEFT_VERSION_NUMBER;

/// The version of the library loaded at run time, as [`HEADER_VERSION_NUMBER`].
pub fn library_version_number() -> u32 {
    // SAFETY: no arguments; thread-safe.
    unsafe { sys::weft_version_number() }
}

/// The version of the library loaded at run time, as `"MAJOR.MINOR.PATCH"`.
pub fn library_version_string() -> &'static str {
    // SAFETY: a NUL-terminated string in static storage.
    let s = unsafe { CStr::from_ptr(sys::weft_version_string()) };
    s.to_str().unwrap_or("(not UTF-8)")
}

/// Checks, once per process, that the loaded library can serve this
/// binding: the same major version as the header, and a version at least
/// the header's (a minor release only adds symbols). Every call that makes
/// a handle, or decodes, runs it first; a mismatch fails them all with
/// `UnsupportedVersion` naming both versions.
pub fn check_version() -> Result<(), Error> {
    static CHECKED: OnceLock<Result<(), Error>> = OnceLock::new();
    CHECKED.get_or_init(|| compatible(HEADER_VERSION_NUMBER, library_version_number())).clone()
}

fn compatible(header: u32, library: u32) -> Result<(), Error> {
    if header / 10000 == library / 10000 && library >= header {
        return Ok(());
    }
    let show = |v: u32| format!("{}.{}.{}", v / 10000, v / 100 % 100, v % 100);
    Err(Error::new(
        Code::UnsupportedVersion,
        format!(
            "the loaded libweft is {} ({}), but this binding needs {}.x, at least {} \
             (weft.h WEFT_VERSION_NUMBER {}): link the matching library",
            show(library),
            library_version_string(),
            header / 10000,
            show(header),
            header
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_compatibility_rule() {
        assert!(compatible(100, 100).is_ok());
        assert!(compatible(100, 101).is_ok(), "a newer patch");
        assert!(compatible(100, 200).is_ok(), "a newer minor");
        let older = compatible(200, 100).unwrap_err();
        assert_eq!(older.code, Code::UnsupportedVersion);
        assert!(older.message.contains("0.1.0"), "{older}");
        assert!(older.message.contains("at least 0.2.0"), "{older}");
        assert!(compatible(100, 10100).is_err(), "another major");
        assert!(compatible(10100, 100).is_err(), "another major");
    }

    #[test]
    fn the_loaded_library_matches() {
        assert_eq!(check_version(), Ok(()));
        assert_eq!(library_version_number(), HEADER_VERSION_NUMBER);
        let v = HEADER_VERSION_NUMBER;
        assert_eq!(
            library_version_string(),
            format!("{}.{}.{}", v / 10000, v / 100 % 100, v % 100)
        );
    }

    #[test]
    fn codes_agree_with_the_library() {
        for raw in -1..25 {
            let code = Code::from_raw(raw);
            assert_eq!(code.raw(), raw);
            // SAFETY: returns static storage.
            let c_name = unsafe { CStr::from_ptr(sys::weft_status_name(raw)) };
            assert_eq!(code.name(), c_name.to_str().unwrap(), "status {raw}");
            let known = (0..=19).contains(&raw);
            assert_eq!(matches!(code, Code::Unknown(_)), !known, "status {raw}");
        }
        let retryable: Vec<Code> =
            (0..20).map(Code::from_raw).filter(|c| c.is_retryable()).collect();
        assert_eq!(
            retryable,
            [
                Code::MissingDependency,
                Code::Timeout,
                Code::Busy,
                Code::IoError,
                Code::ResourceExhausted
            ]
        );
        assert_eq!(Code::StaleEpoch.to_string(), "STALE_EPOCH");
        assert_eq!(Code::Unknown(42).to_string(), "UNKNOWN(42)");
    }
}
