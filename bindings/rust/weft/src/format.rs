//! The format level: building, decoding and verifying messages without a log.

use std::ptr::{self, NonNull};

use weft_sys as sys;

use crate::error::{Error, check, expect_ok};
use crate::log::opt_ptr;
use crate::raw;
use crate::types::{Op, OpFields, Seal};

/// The transport fields of a batch (not part of any op's hash).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct BatchHeader {
    /// The sender's id for the batch, echoed in its ack.
    pub batch_id: u64,
    /// The sender's sequence number, echoed in its ack.
    pub seq: u64,
    /// `Some(cursor)`: a compare-and-append, applied only if the log's
    /// cursor is `cursor`.
    pub expected_cursor: Option<u64>,
    /// The capability epoch the batch is sent under.
    pub epoch: u32,
}

/// Builds an encoded batch from explicit op fields (`weft_batch_builder`),
/// without judging them: tests and tools can craft any batch, hostile ones
/// included; decoders and [`Log::apply`](crate::Log::apply) judge.
///
/// One thread at a time: `Send` but not `Sync`.
///
/// ```compile_fail,E0277
/// fn shared<T: Sync>() {}
/// shared::<weft::BatchBuilder>();
/// ```
#[derive(Debug)]
pub struct BatchBuilder {
    raw: NonNull<sys::weft_batch_builder>,
}

// SAFETY: weft_sys.h labels weft_batch_builder "one thread at a time".
unsafe impl Send for BatchBuilder {}

impl Drop for BatchBuilder {
    fn drop(&mut self) {
        // SAFETY: we own the handle.
        unsafe { sys::weft_batch_builder_free(self.raw.as_ptr()) }
    }
}

impl BatchBuilder {
    /// A new, empty builder (header all zeros, no ops).
    pub fn new() -> Result<BatchBuilder, Error> {
        crate::check_version()?;
        let mut out = ptr::null_mut();
        // SAFETY: valid out pointer.
        check(unsafe { sys::weft_batch_builder_new(&mut out) })?;
        Ok(BatchBuilder {
            raw: NonNull::new(out).expect("weft returned WEFT_OK and a NULL builder"),
        })
    }

    /// Sets the batch's transport fields.
    pub fn set_header(&mut self, header: &BatchHeader) -> &mut BatchBuilder {
        // SAFETY: valid handle.
        let status = unsafe {
            sys::weft_batch_builder_set_header(
                self.raw.as_ptr(),
                header.batch_id,
                header.seq,
                header.expected_cursor.is_some().into(),
                header.expected_cursor.unwrap_or(0),
                header.epoch,
            )
        };
        expect_ok(status, "weft_batch_builder_set_header");
        self
    }

    /// Adds one op (copied).
    pub fn add_op(&mut self, op: &OpFields<'_>) -> &mut BatchBuilder {
        let deps = raw::raw_ids(op.deps);
        let mut fields = raw::library_defaults(sys::weft_op_fields_init);
        fields.kind = op.kind;
        fields.id = op.id.into();
        fields.lamport = op.lamport;
        fields.timestamp_ms = op.timestamp_ms;
        fields.deps = deps.as_ptr();
        fields.deps_len = deps.len();
        fields.payload = op.payload.as_ptr();
        fields.payload_len = op.payload.len();
        // SAFETY: valid handle; the fields point into live slices.
        let status = unsafe { sys::weft_batch_builder_add_op(self.raw.as_ptr(), &fields) };
        expect_ok(status, "weft_batch_builder_add_op");
        self
    }

    /// Encodes the batch; the builder can go on being used.
    pub fn finish(&self) -> Result<Vec<u8>, Error> {
        let mut out = sys::weft_buf::default();
        // SAFETY: valid handle and out pointer.
        check(unsafe { sys::weft_batch_builder_finish(&mut out, self.raw.as_ptr()) })?;
        Ok(raw::take_buf(out))
    }
}

/// A decoded and verified batch (`weft_batch`).
///
/// Immutable: `Send` and `Sync`.
#[derive(Debug)]
pub struct Batch {
    raw: NonNull<sys::weft_batch>,
    header: BatchHeader,
    len: usize,
}

// SAFETY: weft.h labels weft_batch immutable.
unsafe impl Send for Batch {}
// SAFETY: as above.
unsafe impl Sync for Batch {}

impl Drop for Batch {
    fn drop(&mut self) {
        // SAFETY: we own the handle.
        unsafe { sys::weft_batch_free(self.raw.as_ptr()) }
    }
}

/// Decodes and verifies an encoded batch.
/// Errors: `Malformed` (naming the field), `UnsupportedVersion`.
pub fn decode_batch(bytes: &[u8]) -> Result<Batch, Error> {
    crate::check_version()?;
    let mut out = ptr::null_mut();
    // SAFETY: valid input slice and out pointer.
    check(unsafe { sys::weft_batch_decode(&mut out, bytes.as_ptr(), bytes.len()) })?;
    let mut batch = Batch {
        raw: NonNull::new(out).expect("weft returned WEFT_OK and a NULL batch"),
        header: BatchHeader::default(),
        len: 0,
    };
    let mut info = sys::weft_batch_info::default();
    // SAFETY: valid out pointer and handle.
    check(unsafe { sys::weft_batch_get_info(&mut info, out) })?;
    batch.header = BatchHeader {
        batch_id: info.batch_id,
        seq: info.seq,
        expected_cursor: (info.has_expected_cursor != 0).then_some(info.expected_cursor),
        epoch: info.epoch,
    };
    // SAFETY: valid handle.
    batch.len = unsafe { sys::weft_batch_op_count(out) };
    Ok(batch)
}

impl Batch {
    /// The batch's transport fields.
    pub fn header(&self) -> &BatchHeader {
        &self.header
    }

    /// The number of ops.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the batch holds no op.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A copy of op `index` (its cursor is 0), or `None` past the end.
    pub fn op(&self, index: usize) -> Option<Op> {
        if index >= self.len {
            return None;
        }
        let mut view = sys::weft_op_view::default();
        // SAFETY: valid handle, index in range; the view is valid until
        // weft_batch_free, and copied before.
        unsafe {
            expect_ok(
                sys::weft_batch_op_at(&mut view, self.raw.as_ptr(), index),
                "weft_batch_op_at",
            );
            Some(raw::op_from_view(&view))
        }
    }

    /// Copies of every op, in batch order.
    pub fn ops(&self) -> impl ExactSizeIterator<Item = Op> + '_ {
        (0..self.len).map(|i| self.op(i).expect("index in range"))
    }
}

/// A decoded and verified sealed chunk (`weft_chunk`).
///
/// Immutable: `Send` and `Sync`.
#[derive(Debug)]
pub struct Chunk {
    raw: NonNull<sys::weft_chunk>,
    seal: Seal,
    len: usize,
}

// SAFETY: weft.h labels weft_chunk immutable.
unsafe impl Send for Chunk {}
// SAFETY: as above.
unsafe impl Sync for Chunk {}

impl Drop for Chunk {
    fn drop(&mut self) {
        // SAFETY: we own the handle.
        unsafe { sys::weft_chunk_free(self.raw.as_ptr()) }
    }
}

/// Decodes and verifies chunk bytes, which must be canonical (a chunk has
/// one byte form, hence one digest).
/// Errors: `Malformed`, `UnsupportedVersion`.
pub fn decode_chunk(bytes: &[u8]) -> Result<Chunk, Error> {
    crate::check_version()?;
    let mut out = ptr::null_mut();
    // SAFETY: valid input slice and out pointer.
    check(unsafe { sys::weft_chunk_decode(&mut out, bytes.as_ptr(), bytes.len()) })?;
    let mut chunk = Chunk {
        raw: NonNull::new(out).expect("weft returned WEFT_OK and a NULL chunk"),
        seal: Seal::default(),
        len: 0,
    };
    let mut seal = sys::weft_seal::default();
    // SAFETY: valid out pointer and handle.
    check(unsafe { sys::weft_chunk_get_seal(&mut seal, out) })?;
    chunk.seal = seal.into();
    // SAFETY: valid handle.
    chunk.len = unsafe { sys::weft_chunk_op_count(out) };
    Ok(chunk)
}

impl Chunk {
    /// The chunk's seal record (computed from its bytes).
    pub fn seal(&self) -> &Seal {
        &self.seal
    }

    /// The number of ops.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the chunk holds no op.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A copy of op `index` (its cursor is 0), or `None` past the end.
    pub fn op(&self, index: usize) -> Option<Op> {
        if index >= self.len {
            return None;
        }
        let mut view = sys::weft_op_view::default();
        // SAFETY: valid handle, index in range; the view is valid until
        // weft_chunk_free, and copied before.
        unsafe {
            expect_ok(
                sys::weft_chunk_op_at(&mut view, self.raw.as_ptr(), index),
                "weft_chunk_op_at",
            );
            Some(raw::op_from_view(&view))
        }
    }

    /// Copies of every op, in chunk order.
    pub fn ops(&self) -> impl ExactSizeIterator<Item = Op> + '_ {
        (0..self.len).map(|i| self.op(i).expect("index in range"))
    }
}

/// Checks chunk bytes on their own: canonical, decodable, and, if `expected`
/// is given, matching that seal record (digest, actor, index, range,
/// previous digest). Returns the chunk's seal record.
/// Errors: `Malformed`, `UnsupportedVersion`, `ChecksumMismatch`.
pub fn chunk_verify(bytes: &[u8], expected: Option<&Seal>) -> Result<Seal, Error> {
    crate::check_version()?;
    let expected = expected.map(|s| sys::weft_seal::from(*s));
    let mut out = sys::weft_seal::default();
    // SAFETY: valid input slice and pointers (the expected seal or NULL).
    check(unsafe {
        sys::weft_chunk_verify(&mut out, bytes.as_ptr(), bytes.len(), opt_ptr(&expected))
    })?;
    Ok(out.into())
}
