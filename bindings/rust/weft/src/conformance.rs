//! The storage conformance kit (docs/storage.md) over a storage adapter
//! written in Rust (`weft_conformance_*`).
//!
//! ```no_run
//! # fn check<S: weft::KvStore>(adapter: &S) -> Result<(), weft::Error> {
//! use weft::conformance::{self, Outcome};
//!
//! for result in conformance::run(adapter, None)? {
//!     assert_eq!(result.outcome, Outcome::Pass, "{result}");
//! }
//! # Ok(()) }
//! ```

use std::ffi::{CStr, CString};
use std::fmt;
use std::ptr;

use weft_sys as sys;

use crate::error::{Code, Error, check};
use crate::kv::{self, KvStore};

/// How one scenario ended (`weft_conformance_outcome`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// The adapter behaved as a store must.
    Pass,
    /// It did not; the diagnostic says what failed and where.
    Fail,
    /// The adapter cannot take part in this scenario; the diagnostic says why.
    Skip,
    /// A value this binding does not know (from a newer library).
    Unknown(i32),
}

impl Outcome {
    fn from_raw(raw: i32) -> Outcome {
        match raw {
            sys::WEFT_CONFORMANCE_PASS => Outcome::Pass,
            sys::WEFT_CONFORMANCE_FAIL => Outcome::Fail,
            sys::WEFT_CONFORMANCE_SKIP => Outcome::Skip,
            other => Outcome::Unknown(other),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Pass => f.write_str("pass"),
            Outcome::Fail => f.write_str("fail"),
            Outcome::Skip => f.write_str("skip"),
            Outcome::Unknown(raw) => write!(f, "unknown({raw})"),
        }
    }
}

/// One scenario's result (`weft_conformance_result`, copied).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScenarioResult {
    /// Its name, such as `"atomicity_under_injected_failure"`.
    pub scenario: String,
    /// How it ended.
    pub outcome: Outcome,
    /// What failed and where, or why it was skipped; empty on a pass.
    pub diagnostic: String,
}

impl fmt::Display for ScenarioResult {
    /// `"two_writers: pass"`, or `"scenario: fail: diagnostic"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.scenario, self.outcome)?;
        if !self.diagnostic.is_empty() {
            write!(f, ": {}", self.diagnostic)?;
        }
        Ok(())
    }
}

/// Runs the storage conformance kit against `adapter`
/// (`weft_conformance_run`): each scenario on a fresh, empty database from
/// [`KvStore::create`], dropped at the scenario's end. `only` runs the one
/// scenario of that name; `None` runs them all, in the kit's order
/// (`atomicity_under_injected_failure`, `chunk_immutability`,
/// `range_read_ordering`, `durability_across_reopen`, `two_writers`,
/// `corruption_detected` in weft 0.1).
///
/// A failing scenario is a result, not an error; so is an adapter error or
/// panic inside a scenario (the diagnostic names the callback, its code
/// and its message: `"kv adapter: create: panicked: ..."`).
///
/// Errors: `InvalidArgument` (no scenario of that name, or a name holding
/// a NUL byte or empty), `UnsupportedVersion` (the loaded libweft does not
/// match weft.h).
pub fn run<S: KvStore>(adapter: &S, only: Option<&str>) -> Result<Vec<ScenarioResult>, Error> {
    crate::check_version()?;
    let only = match only {
        None => None,
        // weft runs every scenario for "": as a name, it names none.
        Some("") => {
            return Err(Error::new(Code::InvalidArgument, "an empty conformance scenario name"));
        }
        Some(name) => Some(CString::new(name).map_err(|_| {
            Error::new(
                Code::InvalidArgument,
                format!("conformance scenario name {name:?} contains a NUL byte"),
            )
        })?),
    };
    // The table borrows `adapter`: weft calls it only during this call.
    let table = kv::table(adapter, true);
    let mut out = ptr::null_mut();
    // SAFETY: an out pointer, a complete table whose pointers stay valid
    // for the call, and a NUL-terminated name or NULL.
    check(unsafe {
        sys::weft_conformance_run(
            &mut out,
            &table,
            only.as_ref().map_or(ptr::null(), |n| n.as_ptr()),
        )
    })?;
    let mut results = Vec::new();
    // SAFETY: `out` is ours until weft_conformance_free; every result's
    // strings are copied before.
    unsafe {
        for i in 0..sys::weft_conformance_count(out) {
            let mut r = sys::weft_conformance_result::default();
            // Fails only on a NULL handle or an index out of range.
            if let Err(e) = check(sys::weft_conformance_at(&mut r, out, i)) {
                sys::weft_conformance_free(out);
                panic!("weft: weft_conformance_at failed on valid arguments: {e}");
            }
            results.push(ScenarioResult {
                scenario: text(r.scenario),
                outcome: Outcome::from_raw(r.outcome),
                diagnostic: text(r.diagnostic),
            });
        }
        sys::weft_conformance_free(out);
    }
    Ok(results)
}

/// Copies a C string (NULL: empty).
///
/// # Safety
/// NULL, or a NUL-terminated string valid for the call.
unsafe fn text(s: *const std::ffi::c_char) -> String {
    if s.is_null() {
        String::new()
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
    }
}
