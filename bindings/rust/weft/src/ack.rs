//! Acks: what an apply committed.

use std::ptr::{self, NonNull};

use weft_sys as sys;

use crate::error::{Code, Error, check};
use crate::raw;
use crate::types::OpId;

/// An op an apply refused, and why.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rejected {
    /// The refused op.
    pub id: OpId,
    /// Why: `Conflict`, `MissingDependency`, `CursorMismatch`, `Malformed`, ...
    pub code: Code,
}

/// What an apply committed (`weft_ack`): from [`Log::apply`](crate::Log::apply)
/// or [`decode_ack`]. Its lists are copied out when it is made.
///
/// Immutable: `Send` and `Sync`.
#[derive(Debug)]
pub struct Ack {
    raw: NonNull<sys::weft_ack>,
    batch_id: u64,
    seq: u64,
    status: Code,
    cursor: u64,
    applied: Vec<OpId>,
    duplicates: Vec<OpId>,
    rejected: Vec<Rejected>,
}

// SAFETY: weft.h labels weft_ack immutable: safe to read from any thread,
// and to free from any thread once no reader is left (we own it).
unsafe impl Send for Ack {}
// SAFETY: as above.
unsafe impl Sync for Ack {}

impl Drop for Ack {
    fn drop(&mut self) {
        // SAFETY: we own the handle.
        unsafe { sys::weft_ack_free(self.raw.as_ptr()) }
    }
}

impl Ack {
    /// Takes ownership of `raw` (freed on error too) and copies its content.
    pub(crate) fn from_raw(raw: *mut sys::weft_ack) -> Result<Ack, Error> {
        let mut ack = Ack {
            raw: NonNull::new(raw).expect("weft returned WEFT_OK and a NULL ack"),
            batch_id: 0,
            seq: 0,
            status: Code::Ok,
            cursor: 0,
            applied: Vec::new(),
            duplicates: Vec::new(),
            rejected: Vec::new(),
        };
        let raw = ack.raw.as_ptr();
        let mut info = sys::weft_ack_info::default();
        // SAFETY: valid handle and out pointers throughout; every index is
        // below its list's count.
        unsafe {
            check(sys::weft_ack_get_info(&mut info, raw))?;
            ack.applied = read_list(sys::weft_ack_applied_count(raw), |i, id| {
                sys::weft_ack_applied_at(id, raw, i)
            })?;
            ack.duplicates = read_list(sys::weft_ack_duplicate_count(raw), |i, id| {
                sys::weft_ack_duplicate_at(id, raw, i)
            })?;
            for i in 0..sys::weft_ack_rejected_count(raw) {
                let (mut id, mut code) = (sys::weft_op_id::default(), 0);
                check(sys::weft_ack_rejected_at(&mut id, &mut code, raw, i))?;
                ack.rejected.push(Rejected { id: id.into(), code: Code::from_raw(code) });
            }
        }
        ack.batch_id = info.batch_id;
        ack.seq = info.seq;
        ack.status = Code::from_raw(info.status);
        ack.cursor = info.cursor;
        Ok(ack)
    }

    /// The id of the batch this acknowledges.
    pub fn batch_id(&self) -> u64 {
        self.batch_id
    }

    /// The sequence number of the batch this acknowledges.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// `Ok`, or the refusal of the whole batch (`StaleEpoch`,
    /// `PermissionDenied`), which applied nothing. Always `Ok` for an ack
    /// from [`Log::apply`](crate::Log::apply).
    pub fn status(&self) -> Code {
        self.status
    }

    /// The log's cursor after the apply.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// The ops applied by this batch, in apply order.
    pub fn applied(&self) -> &[OpId] {
        &self.applied
    }

    /// The ops of the batch the log already held, identical.
    pub fn duplicates(&self) -> &[OpId] {
        &self.duplicates
    }

    /// The ops refused one by one, each with its code.
    pub fn rejected(&self) -> &[Rejected] {
        &self.rejected
    }

    /// The ack's wire encoding (docs/format.md).
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        encode_ack(self)
    }
}

/// Decodes an encoded ack.
/// Errors: `Malformed`, `UnsupportedVersion`.
pub fn decode_ack(bytes: &[u8]) -> Result<Ack, Error> {
    crate::check_version()?;
    let mut out = ptr::null_mut();
    // SAFETY: valid input slice and out pointer.
    check(unsafe { sys::weft_ack_decode(&mut out, bytes.as_ptr(), bytes.len()) })?;
    Ack::from_raw(out)
}

/// The wire encoding of `ack` (docs/format.md).
pub fn encode_ack(ack: &Ack) -> Result<Vec<u8>, Error> {
    let mut out = sys::weft_buf::default();
    // SAFETY: valid handle and out pointer.
    check(unsafe { sys::weft_ack_encode(&mut out, ack.raw.as_ptr()) })?;
    Ok(raw::take_buf(out))
}

/// Reads the `count` ids of an ack's list with its `_at` function,
/// `at(index, out)`.
fn read_list(
    count: usize,
    mut at: impl FnMut(usize, *mut sys::weft_op_id) -> i32,
) -> Result<Vec<OpId>, Error> {
    (0..count)
        .map(|i| {
            let mut id = sys::weft_op_id::default();
            check(at(i, &mut id))?;
            Ok(id.into())
        })
        .collect()
}
