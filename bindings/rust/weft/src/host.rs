//! A host of many logs: serves sessions under capability tokens, issues,
//! redeems and revokes them (docs/capabilities.md).

use std::ffi::CString;
use std::path::Path;
use std::ptr::{self, NonNull};

use weft_sys as sys;

use crate::error::{Code, Error, check};
use crate::raw;
use crate::session::{Session, SessionOptions};
use crate::token::{Scope, Secret};
use crate::types::Digest;

/// What [`Host::redeem`] found: the token's grant and the log it opens
/// (`weft_redeem_info`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct RedeemInfo {
    /// The token's epoch.
    pub epoch: u32,
    /// The token's scope.
    pub scope: Scope,
    /// The log's cursor now.
    pub cursor: u64,
    /// Ops the log holds.
    pub ops: u64,
    /// Writers the log knows.
    pub actors: u64,
    /// The log's digest now.
    pub digest: Digest,
}

/// A host of many logs (`weft_host`): serves sessions whose Hello names a
/// log and carries a token ([`Host::accept`]), and issues, redeems and
/// revokes tokens. Each log's secret is derived from the host's 32-byte
/// master key and the log id, so the host keeps one secret. Logs are
/// opened (created) on first use.
///
/// Internally synchronized: `Send + Sync`, every method takes `&self`;
/// share it with an `Arc`. Its sessions keep it alive.
#[derive(Debug)]
pub struct Host {
    raw: NonNull<sys::weft_host>,
}

// SAFETY: weft.h labels weft_host "internally synchronized": every function
// taking it may be called from any thread, and it may be freed from any.
unsafe impl Send for Host {}
// SAFETY: as above; shared references only reach those same functions.
unsafe impl Sync for Host {}

impl Drop for Host {
    fn drop(&mut self) {
        // SAFETY: we own the handle; its sessions hold their own reference.
        unsafe { sys::weft_host_free(self.raw.as_ptr()) }
    }
}

impl Host {
    /// A host whose logs live in memory, created on first use.
    pub fn open_memory(master_key: &Secret) -> Result<Host, Error> {
        Host::new(master_key, None)
    }

    /// A host whose logs live in SQLite files `<directory>/<log_id>.db`,
    /// created on first use (log ids of letters, digits, `.`, `_` and `-`,
    /// not starting with `.`, 1 to 128 bytes).
    ///
    /// Errors: `InvalidArgument` (a directory that does not exist, a path
    /// that is not UTF-8 or holds a NUL byte).
    pub fn open_directory(master_key: &Secret, directory: impl AsRef<Path>) -> Result<Host, Error> {
        let directory = directory.as_ref();
        let c_dir = directory.to_str().and_then(|d| CString::new(d).ok()).ok_or_else(|| {
            Error::new(
                Code::InvalidArgument,
                format!("directory {} is not UTF-8 without NUL bytes", directory.display()),
            )
        })?;
        Host::new(master_key, Some(&c_dir))
    }

    fn new(master_key: &Secret, directory: Option<&CString>) -> Result<Host, Error> {
        crate::check_version()?;
        let mut out = ptr::null_mut();
        let dir = directory.map_or(ptr::null(), |d| d.as_ptr());
        // SAFETY: 32 readable bytes (copied), a NUL-terminated directory or
        // NULL, and an out pointer.
        check(unsafe { sys::weft_host_new(&mut out, master_key.as_ptr(), dir) })?;
        Ok(Host { raw: NonNull::new(out).expect("weft returned WEFT_OK and a NULL host") })
    }

    /// A token for `log_id` at its current epoch with `scope`.
    ///
    /// Errors: `InvalidArgument` (a bad log id, an unknown scope), or a
    /// store error opening the log.
    pub fn issue(&self, log_id: &str, scope: Scope) -> Result<Vec<u8>, Error> {
        let id = raw::c_string("log id", log_id)?;
        let mut out = sys::weft_buf::default();
        // SAFETY: valid handle, NUL-terminated id and out pointer.
        check(unsafe {
            sys::weft_host_issue(&mut out, self.raw.as_ptr(), id.as_ptr(), scope.raw())
        })?;
        Ok(raw::take_buf(out))
    }

    /// Verifies `token` for `log_id` (any scope) and describes the log.
    ///
    /// Errors: `Malformed`, `PermissionDenied`, `StaleEpoch` (revoked), as
    /// [`verify_token`](crate::verify_token); `InvalidArgument`; or a store
    /// error.
    pub fn redeem(&self, log_id: &str, token: &[u8]) -> Result<RedeemInfo, Error> {
        let id = raw::c_string("log id", log_id)?;
        let mut out = sys::weft_redeem_info::default();
        // SAFETY: valid handle, NUL-terminated id, input slice and out pointer.
        check(unsafe {
            sys::weft_host_redeem(
                &mut out,
                self.raw.as_ptr(),
                id.as_ptr(),
                token.as_ptr(),
                token.len(),
            )
        })?;
        Ok(RedeemInfo {
            epoch: out.epoch,
            scope: Scope::from_raw(out.scope),
            cursor: out.cursor,
            ops: out.ops,
            actors: out.actors,
            digest: out.digest.bytes,
        })
    }

    /// Revokes every token of `log_id`: bumps its epoch, durably, and
    /// returns the new one. Batches in flight under the old epoch are then
    /// refused whole (`StaleEpoch`).
    ///
    /// Errors: `InvalidArgument`, `ResourceExhausted` (every epoch used), or
    /// a store error (then the epoch did not move).
    pub fn revoke(&self, log_id: &str) -> Result<u32, Error> {
        let id = raw::c_string("log id", log_id)?;
        let mut epoch = 0;
        // SAFETY: valid handle, NUL-terminated id and out pointer.
        check(unsafe { sys::weft_host_revoke(&mut epoch, self.raw.as_ptr(), id.as_ptr()) })?;
        Ok(epoch)
    }

    /// A responding session with the default options: the peer's Hello
    /// names the log and carries a token; a read token lets the peer pull,
    /// append and admin let it push too. A refused token fails the session
    /// (and the peer learns why in an Error message). The session keeps
    /// the host alive.
    pub fn accept(&self) -> Result<Session, Error> {
        self.accept_with(&SessionOptions::default())
    }

    /// Like [`Host::accept`]; of `options`, `push`, `accept`, `peer`,
    /// `log_id` and `token` are ignored (the token decides).
    pub fn accept_with(&self, options: &SessionOptions) -> Result<Session, Error> {
        let mut out = ptr::null_mut();
        // SAFETY: valid handle, options (their strings live for the call) and
        // out pointer.
        check(options.with_raw(|opts| unsafe {
            sys::weft_host_accept(&mut out, self.raw.as_ptr(), opts)
        })?)?;
        Ok(Session::from_raw(out, None))
    }
}
