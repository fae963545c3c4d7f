//! Small helpers at the FFI boundary: borrowed C memory in, owned Rust values out.

use std::ffi::CString;

use weft_sys as sys;

use crate::types::{Op, OpId};

/// Borrows `len` elements at `ptr`; a NULL `ptr` is allowed with `len` 0.
///
/// # Safety
/// If `len > 0`, `ptr` must point to `len` initialised elements that stay
/// valid and unchanged for `'a`.
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if len == 0 {
        &[]
    } else {
        assert!(!ptr.is_null(), "weft returned NULL with a length of {len}");
        // SAFETY: non-NULL, and the caller vouches for the rest.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// A versioned input struct (`weft_log_options`, `weft_sqlite_options`,
/// `weft_append_request`, `weft_op_fields`, `weft_session_options`,
/// `weft_kv_store`) holding the loaded library's defaults, with
/// `struct_size` set to the size weft-sys declares. The `_init` functions
/// write exactly the size they are given, so a newer library never writes
/// past our struct; it accepts any size from the struct's first layout up
/// to its own.
pub(crate) fn library_defaults<T: Copy + Default>(
    init: unsafe extern "C" fn(*mut T, usize) -> i32,
) -> T {
    let mut value = T::default();
    // SAFETY: `value` is a valid, writable T of exactly the size passed.
    let status = unsafe { init(&mut value, size_of::<T>()) };
    assert_eq!(status, 0, "weft refused the struct layout of this weft-sys");
    value
}

/// Copies the bytes of a caller-owned `weft_buf` and releases it.
pub(crate) fn take_buf(mut buf: sys::weft_buf) -> Vec<u8> {
    // SAFETY: weft handed `buf` over: `len` bytes at `data`, ours to free.
    unsafe {
        let bytes = slice(buf.data.cast_const(), buf.len).to_vec();
        sys::weft_buf_free(&mut buf);
        bytes
    }
}

/// A C string of `text`, or `InvalidArgument` naming `what` if it holds a
/// NUL byte (which C would read as its end).
pub(crate) fn c_string(what: &str, text: &str) -> Result<CString, crate::Error> {
    CString::new(text).map_err(|_| {
        crate::Error::new(
            crate::Code::InvalidArgument,
            format!("{what} {text:?} contains a NUL byte"),
        )
    })
}

/// Copies a view into an owned op.
///
/// # Safety
/// The view's pointers must be valid, as weft documents at the call that
/// filled it.
pub(crate) unsafe fn op_from_view(view: &sys::weft_op_view) -> Op {
    // SAFETY: forwarded from the caller.
    let (deps, payload) =
        unsafe { (slice(view.deps, view.deps_len), slice(view.payload, view.payload_len)) };
    Op {
        id: view.id.into(),
        lamport: view.lamport,
        cursor: view.cursor,
        timestamp_ms: view.timestamp_ms,
        kind: view.kind,
        deps: deps.iter().copied().map(OpId::from).collect(),
        payload: payload.to_vec(),
        hash: view.hash.bytes,
    }
}

/// The C form of a list of ids.
pub(crate) fn raw_ids(ids: &[OpId]) -> Vec<sys::weft_op_id> {
    ids.iter().copied().map(sys::weft_op_id::from).collect()
}

/// Reads a two-call id list (`weft_log_heads`, `weft_log_canonical_order`):
/// `fill(out, capacity, &mut len)`. Grows and retries while the list grew
/// between calls (another thread may append to the log meanwhile).
pub(crate) fn read_ids(
    mut fill: impl FnMut(*mut sys::weft_op_id, usize, &mut usize) -> i32,
) -> Result<Vec<OpId>, crate::Error> {
    let mut ids: Vec<sys::weft_op_id> = Vec::new();
    loop {
        let mut len = 0;
        crate::error::check(fill(ids.as_mut_ptr(), ids.len(), &mut len))?;
        if len <= ids.len() {
            ids.truncate(len);
            return Ok(ids.into_iter().map(OpId::from).collect());
        }
        ids.resize(len, sys::weft_op_id::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_defaults_keep_our_size_and_the_library_values() {
        let o = library_defaults(sys::weft_log_options_init);
        assert_eq!(o.struct_size as usize, size_of::<sys::weft_log_options>());
        assert_eq!((o.has_actor, o.auto_seal_ops), (0, u64::MAX));
        assert_eq!((o.max_ops, o.max_deps_per_op, o.max_actors), (1 << 20, 1024, 65536));
        assert_eq!((o.max_payload_bytes, o.max_message_bytes), (16 << 20, 256 << 20));
        let q = library_defaults(sys::weft_sqlite_options_init);
        assert_eq!(q.struct_size as usize, size_of::<sys::weft_sqlite_options>());
        assert_eq!((q.synchronous_full, q.busy_timeout_ms, q.create), (0, 5000, 1));
        assert_eq!(q.special_names, 0);
        assert!(q.log_name.is_null());
        let r = library_defaults(sys::weft_append_request_init);
        assert_eq!(r.struct_size as usize, size_of::<sys::weft_append_request>());
        assert_eq!((r.has_deps, r.has_timestamp, r.payload_len), (0, 0, 0));
        let f = library_defaults(sys::weft_op_fields_init);
        assert_eq!(f.struct_size as usize, size_of::<sys::weft_op_fields>());
        let s = library_defaults(sys::weft_session_options_init);
        assert_eq!(s.struct_size as usize, size_of::<sys::weft_session_options>());
        assert_eq!((s.push, s.accept, s.ship_chunks), (1, 1, 1));
        assert_eq!((s.max_batch_ops, s.window), (4096, 8));
        assert_eq!((s.max_batch_bytes, s.max_chunks_bytes), (1 << 20, 8 << 20));
        assert_eq!((s.retry_base_ms, s.retry_max_ms, s.retry_max_attempts), (1000, 60_000, 8));
        assert!(s.peer.is_null() && s.log_id.is_null() && s.token.is_null());
    }
}
