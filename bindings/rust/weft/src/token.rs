//! Capability tokens: what a token grants, issuing and verifying it with a
//! log's secret (docs/capabilities.md).

use std::fmt;

use weft_sys as sys;

use crate::error::{Error, check};
use crate::raw;

/// A 32-byte secret: a log's token key, or a host's master key.
pub type Secret = [u8; 32];

/// What a capability token grants (`weft_scope`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// Pull the log's ops.
    Read,
    /// Also push ops.
    Append,
    /// Everything `Append` allows.
    Admin,
    /// A scope this binding does not know (from a newer library); passing
    /// it to weft fails with `InvalidArgument`.
    Unknown(u32),
}

impl Scope {
    /// The scope of a C value.
    pub fn from_raw(raw: u32) -> Scope {
        match raw {
            sys::WEFT_SCOPE_READ => Scope::Read,
            sys::WEFT_SCOPE_APPEND => Scope::Append,
            sys::WEFT_SCOPE_ADMIN => Scope::Admin,
            other => Scope::Unknown(other),
        }
    }

    /// The C value (`WEFT_SCOPE_READ`, ...).
    pub fn raw(self) -> u32 {
        match self {
            Scope::Read => sys::WEFT_SCOPE_READ,
            Scope::Append => sys::WEFT_SCOPE_APPEND,
            Scope::Admin => sys::WEFT_SCOPE_ADMIN,
            Scope::Unknown(raw) => raw,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Read => f.write_str("read"),
            Scope::Append => f.write_str("append"),
            Scope::Admin => f.write_str("admin"),
            Scope::Unknown(raw) => write!(f, "unknown({raw})"),
        }
    }
}

/// What a verified token grants (`weft_grant`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Grant {
    /// The epoch the token was issued at.
    pub epoch: u32,
    /// Its scope.
    pub scope: Scope,
}

/// 32 fresh bytes from the operating system's CSPRNG (`weft_secret_new`):
/// a new log secret or host master key.
pub fn new_secret() -> Result<Secret, Error> {
    crate::check_version()?;
    let mut secret = [0u8; 32];
    // SAFETY: 32 writable bytes.
    check(unsafe { sys::weft_secret_new(secret.as_mut_ptr()) })?;
    Ok(secret)
}

/// A token for log `log_id` (1 to 256 bytes of UTF-8) at `epoch` with
/// `scope`, MACed with the log's `secret` (`weft_token_issue`).
///
/// Errors: `InvalidArgument` (a log id that is empty, too long or holds a
/// NUL byte; an unknown scope).
pub fn issue_token(
    secret: &Secret,
    log_id: &str,
    epoch: u32,
    scope: Scope,
) -> Result<Vec<u8>, Error> {
    crate::check_version()?;
    let id = raw::c_string("log id", log_id)?;
    let mut out = sys::weft_buf::default();
    // SAFETY: an out buffer, 32 readable bytes, a NUL-terminated string.
    check(unsafe {
        sys::weft_token_issue(&mut out, secret.as_ptr(), id.as_ptr(), epoch, scope.raw())
    })?;
    Ok(raw::take_buf(out))
}

/// Verifies `token` against the log's `secret`, its id and its current
/// epoch, and that its scope covers `required` (`weft_token_verify`).
/// The MAC is compared in constant time; the secret never appears in an
/// error message.
///
/// Errors: `Malformed` (not a token, or not canonical), `PermissionDenied`
/// (another log, a MAC that does not verify, an epoch never issued, a
/// narrower scope), `StaleEpoch` (revoked: issued before `current_epoch`),
/// `InvalidArgument` (an unknown `required` scope, a NUL in `log_id`).
pub fn verify_token(
    secret: &Secret,
    log_id: &str,
    current_epoch: u32,
    token: &[u8],
    required: Scope,
) -> Result<Grant, Error> {
    crate::check_version()?;
    let id = raw::c_string("log id", log_id)?;
    let mut out = sys::weft_grant::default();
    // SAFETY: an out pointer, 32 readable bytes, a NUL-terminated string
    // and an input slice.
    check(unsafe {
        sys::weft_token_verify(
            &mut out,
            secret.as_ptr(),
            id.as_ptr(),
            current_epoch,
            token.as_ptr(),
            token.len(),
            required.raw(),
        )
    })?;
    Ok(Grant { epoch: out.epoch, scope: Scope::from_raw(out.scope) })
}
