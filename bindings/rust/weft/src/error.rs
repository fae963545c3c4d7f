//! Status codes and errors.

use std::fmt;

use weft_sys as sys;

use crate::raw;

/// A canonical weft status code (`weft_status_code`, docs/errors.md).
///
/// The numeric values are published in the C ABI and never change; a value
/// this binding does not know (from a newer library) is [`Code::Unknown`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// Success (the status of an ack that was not refused).
    Ok,
    /// Misuse of the API: bad id, epoch going down, ...
    InvalidArgument,
    /// Bytes or ops that break the format or the rules (the message names the field).
    Malformed,
    /// A newer format or schema (the message names both versions).
    UnsupportedVersion,
    /// An expected digest differs; a chunk does not chain.
    ChecksumMismatch,
    /// Other bytes for a sealed chunk.
    ImmutableViolation,
    /// A chunk before its predecessor.
    NotContiguous,
    /// A dependency or an earlier counter is not here yet (retryable).
    MissingDependency,
    /// Same op id, other content (equivocation).
    Conflict,
    /// A compare-and-append lost: refresh and rebuild.
    CursorMismatch,
    /// The capability was revoked: refresh it.
    StaleEpoch,
    /// Scope too narrow; an epoch never issued.
    PermissionDenied,
    /// No such op, actor or chunk.
    NotFound,
    /// The operation was cancelled.
    Cancelled,
    /// The operation timed out (retryable).
    Timeout,
    /// Another writer holds the lock (retryable).
    Busy,
    /// The store failed; reopen before retrying (retryable).
    IoError,
    /// Stored bytes fail their hash or digest.
    Corrupt,
    /// Out of memory or disk (retryable).
    ResourceExhausted,
    /// A bug in weft: please report it.
    Internal,
    /// A status this binding does not know.
    Unknown(i32),
}

/// Every known code with its C value and name, in value order.
const CODES: [(Code, i32, &str); 20] = [
    (Code::Ok, sys::WEFT_OK, "OK"),
    (Code::InvalidArgument, sys::WEFT_INVALID_ARGUMENT, "INVALID_ARGUMENT"),
    (Code::Malformed, sys::WEFT_MALFORMED, "MALFORMED"),
    (Code::UnsupportedVersion, sys::WEFT_UNSUPPORTED_VERSION, "UNSUPPORTED_VERSION"),
    (Code::ChecksumMismatch, sys::WEFT_CHECKSUM_MISMATCH, "CHECKSUM_MISMATCH"),
    (Code::ImmutableViolation, sys::WEFT_IMMUTABLE_VIOLATION, "IMMUTABLE_VIOLATION"),
    (Code::NotContiguous, sys::WEFT_NOT_CONTIGUOUS, "NOT_CONTIGUOUS"),
    (Code::MissingDependency, sys::WEFT_MISSING_DEPENDENCY, "MISSING_DEPENDENCY"),
    (Code::Conflict, sys::WEFT_CONFLICT, "CONFLICT"),
    (Code::CursorMismatch, sys::WEFT_CURSOR_MISMATCH, "CURSOR_MISMATCH"),
    (Code::StaleEpoch, sys::WEFT_STALE_EPOCH, "STALE_EPOCH"),
    (Code::PermissionDenied, sys::WEFT_PERMISSION_DENIED, "PERMISSION_DENIED"),
    (Code::NotFound, sys::WEFT_NOT_FOUND, "NOT_FOUND"),
    (Code::Cancelled, sys::WEFT_CANCELLED, "CANCELLED"),
    (Code::Timeout, sys::WEFT_TIMEOUT, "TIMEOUT"),
    (Code::Busy, sys::WEFT_BUSY, "BUSY"),
    (Code::IoError, sys::WEFT_IO_ERROR, "IO_ERROR"),
    (Code::Corrupt, sys::WEFT_CORRUPT, "CORRUPT"),
    (Code::ResourceExhausted, sys::WEFT_RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED"),
    (Code::Internal, sys::WEFT_INTERNAL, "INTERNAL"),
];

impl Code {
    /// The code of a C status value.
    pub fn from_raw(status: i32) -> Code {
        CODES
            .iter()
            .find(|(_, raw, _)| *raw == status)
            .map_or(Code::Unknown(status), |(code, _, _)| *code)
    }

    /// The C status value.
    pub fn raw(self) -> i32 {
        match self {
            Code::Unknown(raw) => raw,
            known => {
                CODES.iter().find(|(code, _, _)| *code == known).map_or(-1, |(_, raw, _)| *raw)
            }
        }
    }

    /// The canonical name: `"OK"`, `"MALFORMED"`, ... as `weft_status_name`
    /// gives it (`"UNKNOWN"` for an unknown code).
    pub fn name(self) -> &'static str {
        CODES.iter().find(|(code, _, _)| *code == self).map_or("UNKNOWN", |(_, _, name)| name)
    }

    /// Whether a request that failed with this code may succeed later
    /// unchanged (BUSY, TIMEOUT, IO_ERROR, RESOURCE_EXHAUSTED,
    /// MISSING_DEPENDENCY), as the library answers (`weft_status_retryable`).
    pub fn is_retryable(self) -> bool {
        // SAFETY: a pure function of an integer.
        unsafe { sys::weft_status_retryable(self.raw()) != 0 }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Code::Unknown(raw) => write!(f, "UNKNOWN({raw})"),
            known => f.write_str(known.name()),
        }
    }
}

/// A failed weft call: its canonical code and a message naming what was
/// wrong (which op, field, chunk or file).
///
/// Errors of the C library are read from `weft_last_error()` at once, on the
/// thread of the failing call. A few are made by this binding: a batch
/// refused as a whole by [`Log::apply`](crate::Log::apply), a library
/// version mismatch, a path or name that cannot cross the C ABI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The canonical code (never [`Code::Ok`]).
    pub code: Code,
    /// What was wrong; may be empty.
    pub message: String,
}

impl Error {
    /// An error with `code` and `message`: made by the binding, or by a
    /// storage adapter ([`KvConnection`](crate::KvConnection)) for weft to
    /// hand on.
    pub fn new(code: Code, message: impl Into<String>) -> Error {
        Error { code, message: message.into() }
    }

    /// The error of the weft call that just returned `status` (nonzero) on
    /// this thread. Must be called before any other weft call on the thread.
    /// A Rust storage adapter's failure arrives here with its message: the
    /// callback passed it to `weft_error_set` (see the `kv` module).
    pub(crate) fn last(status: i32) -> Error {
        // SAFETY: never NULL; valid until the next weft call on this thread,
        // and the message is copied before any.
        let message = unsafe {
            let e = &*sys::weft_last_error();
            if e.code == status {
                String::from_utf8_lossy(raw::slice(e.message.cast::<u8>(), e.message_len))
                    .into_owned()
            } else {
                format!(
                    "weft_last_error() reports {} for a call that returned {}",
                    Code::from_raw(e.code),
                    Code::from_raw(status)
                )
            }
        };
        Error { code: Code::from_raw(status), message }
    }

    /// Whether the same request may succeed later unchanged (see [`Code::is_retryable`]).
    pub fn is_retryable(&self) -> bool {
        self.code.is_retryable()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// `Ok(())` for `WEFT_OK`, else the thread's last error.
pub(crate) fn check(status: i32) -> Result<(), Error> {
    if status == sys::WEFT_OK { Ok(()) } else { Err(Error::last(status)) }
}

/// For calls the header documents as failing only on NULL or out-of-range
/// arguments, which this binding never passes: a failure is a bug in the
/// binding or the library, and panics with the library's message.
pub(crate) fn expect_ok(status: i32, call: &str) {
    if let Err(e) = check(status) {
        panic!("weft: {call} failed on valid arguments: {e}");
    }
}
