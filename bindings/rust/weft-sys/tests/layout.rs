//! Checks the Rust declarations against weft.h as a C compiler sees it:
//! every struct's size, alignment and field offsets and sizes, every
//! constant, and that every struct, function and constant of the header is
//! declared here. `build.rs` writes the C side to `$OUT_DIR/layout.txt`.

use std::collections::BTreeMap;
use std::mem::{align_of, offset_of, size_of};

use weft_sys::*;

const LAYOUT: &str = include_str!(concat!(env!("OUT_DIR"), "/layout.txt"));
const RUST_SOURCE: &str = include_str!("../src/lib.rs");

/// What the C compiler reported.
#[derive(Default)]
struct CSide {
    /// struct or type name -> (size, align)
    types: BTreeMap<String, (usize, usize)>,
    /// "struct.field" -> (offset, size)
    fields: BTreeMap<String, (usize, usize)>,
    consts: BTreeMap<String, i64>,
    header_structs: Vec<String>,
    header_opaques: Vec<String>,
    header_types: Vec<String>,
    header_fns: Vec<String>,
    header_consts: Vec<String>,
}

fn c_side() -> CSide {
    let mut c = CSide::default();
    for line in LAYOUT.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let num = |i: usize| words[i].parse::<usize>().unwrap();
        match words.as_slice() {
            ["error", ..] => panic!("the layout program could not run: {line}"),
            ["struct" | "type", name, _, _] => {
                c.types.insert(name.to_string(), (num(2), num(3)));
            }
            ["field", name, _, _] => {
                c.fields.insert(name.to_string(), (num(2), num(3)));
            }
            ["const", name, value] => {
                c.consts.insert(name.to_string(), value.parse().unwrap());
            }
            ["header", _] => {}
            ["header_struct", name] => c.header_structs.push(name.to_string()),
            ["header_opaque", name] => c.header_opaques.push(name.to_string()),
            ["header_type", name] => c.header_types.push(name.to_string()),
            ["header_fn", name] => c.header_fns.push(name.to_string()),
            ["header_const", name] => c.header_consts.push(name.to_string()),
            _ => panic!("unexpected line in layout.txt: {line}"),
        }
    }
    assert!(!c.types.is_empty(), "layout.txt is empty");
    c
}

/// The size of a field, from a projection (no value of `T` needed).
fn field_size<T, F>(_: fn(&T) -> &F) -> usize {
    size_of::<F>()
}

/// (struct name, size, align, [(field, offset, size)]) of a Rust declaration.
type RustStruct = (&'static str, usize, usize, Vec<(&'static str, usize, usize)>);

macro_rules! rust_struct {
    ($t:ident { $($f:ident),* $(,)? }) => {
        (
            stringify!($t),
            size_of::<$t>(),
            align_of::<$t>(),
            vec![$((stringify!($f), offset_of!($t, $f), field_size(|s: &$t| &s.$f))),*],
        )
    };
}

fn rust_structs() -> Vec<RustStruct> {
    vec![
        rust_struct!(weft_error { code, reserved, message, message_len }),
        rust_struct!(weft_buf { data, len }),
        rust_struct!(weft_actor { bytes }),
        rust_struct!(weft_op_id { actor, counter }),
        rust_struct!(weft_hash { bytes }),
        rust_struct!(weft_seal { actor, index, first, last, prev_digest, digest }),
        rust_struct!(weft_op_view {
            id,
            lamport,
            cursor,
            timestamp_ms,
            kind,
            reserved,
            deps,
            deps_len,
            payload,
            payload_len,
            hash,
        }),
        rust_struct!(weft_log_options {
            struct_size,
            has_actor,
            actor,
            synchronous_full,
            busy_timeout_ms,
            create,
            reserved,
            log_name,
            auto_seal_ops,
            max_ops,
            max_payload_bytes,
            max_deps_per_op,
            max_actors,
            max_message_bytes,
        }),
        rust_struct!(weft_append_request {
            struct_size,
            kind,
            payload,
            payload_len,
            has_timestamp,
            has_deps,
            timestamp_ms,
            deps,
            deps_len,
        }),
        rust_struct!(weft_ack_info {
            batch_id,
            seq,
            status,
            reserved,
            cursor,
            applied,
            duplicates,
            rejected,
        }),
        rust_struct!(weft_op_fields {
            struct_size,
            kind,
            id,
            lamport,
            timestamp_ms,
            deps,
            deps_len,
            payload,
            payload_len,
        }),
        rust_struct!(weft_batch_info {
            batch_id,
            seq,
            has_expected_cursor,
            epoch,
            expected_cursor,
            op_count,
        }),
        rust_struct!(weft_chunk_info { seal, op_count }),
        rust_struct!(weft_kv_store {
            struct_size,
            concurrent,
            user_data,
            create,
            destroy,
            connect,
            disconnect,
            begin,
            commit,
            rollback,
            put,
            get,
            scan,
        }),
        rust_struct!(weft_conformance_result { scenario, outcome, reserved, diagnostic }),
        rust_struct!(weft_peer_state { acked_cursor, attempts, reserved, next_attempt_ms }),
        rust_struct!(weft_grant { epoch, scope }),
        rust_struct!(weft_session_options {
            struct_size,
            push,
            accept,
            max_batch_ops,
            max_batch_bytes,
            max_chunks_bytes,
            window,
            ship_chunks,
            peer,
            log_id,
            token,
            token_len,
            retry_base_ms,
            retry_max_ms,
            retry_max_attempts,
            reserved,
            retry_seed,
        }),
        rust_struct!(weft_session_info {
            state,
            error_code,
            messages_sent,
            bytes_sent,
            messages_received,
            bytes_received,
            batches_sent,
            chunks_sent,
            ops_sent,
            resends,
            stale_acks,
            applied,
            duplicates,
            rejected,
            peer_applied,
            peer_duplicates,
            peer_rejected,
            ops_to_send,
            ops_acked,
            acked_cursor,
        }),
        rust_struct!(weft_redeem_info { epoch, scope, cursor, ops, actors, digest }),
    ]
}

#[test]
fn struct_layouts_match_the_header() {
    let c = c_side();
    let rust = rust_structs();
    let mut problems = Vec::new();
    for (name, size, align, fields) in &rust {
        match c.types.get(*name) {
            None => problems.push(format!("{name}: not measured by layout.c")),
            Some(&(c_size, c_align)) => {
                if (c_size, c_align) != (*size, *align) {
                    problems.push(format!(
                        "{name}: C size {c_size} align {c_align}, Rust size {size} align {align}"
                    ));
                }
            }
        }
        for (field, offset, fsize) in fields {
            let key = format!("{name}.{field}");
            match c.fields.get(&key) {
                None => problems.push(format!("{key}: not in C")),
                Some(&c_field) if c_field != (*offset, *fsize) => problems
                    .push(format!("{key}: C offset/size {c_field:?}, Rust ({offset}, {fsize})")),
                Some(_) => {}
            }
        }
    }
    // Every field layout.c measured must be declared in Rust too.
    for key in c.fields.keys() {
        let (name, field) = key.split_once('.').unwrap();
        let declared =
            rust.iter().any(|(n, _, _, fs)| *n == name && fs.iter().any(|(f, _, _)| *f == field));
        if !declared {
            problems.push(format!("{key}: in C, not in Rust"));
        }
    }
    assert!(problems.is_empty(), "layout mismatches:\n{}", problems.join("\n"));
}

#[test]
fn enum_storage_and_constants_match_the_header() {
    let c = c_side();
    let types = [
        ("weft_status_code", size_of::<weft_status_code>(), align_of::<weft_status_code>()),
        (
            "weft_conformance_outcome",
            size_of::<weft_conformance_outcome>(),
            align_of::<weft_conformance_outcome>(),
        ),
        ("weft_kv_row_fn", size_of::<weft_kv_row_fn>(), align_of::<weft_kv_row_fn>()),
        ("weft_scope", size_of::<weft_scope>(), align_of::<weft_scope>()),
        ("weft_session_state", size_of::<weft_session_state>(), align_of::<weft_session_state>()),
    ];
    for (name, size, align) in types {
        assert_eq!(c.types.get(name), Some(&(size, align)), "type {name}");
    }
    let rust: &[(&str, i64)] = &[
        ("WEFT_VERSION_MAJOR", WEFT_VERSION_MAJOR.into()),
        ("WEFT_VERSION_MINOR", WEFT_VERSION_MINOR.into()),
        ("WEFT_VERSION_PATCH", WEFT_VERSION_PATCH.into()),
        ("WEFT_VERSION_NUMBER", WEFT_VERSION_NUMBER.into()),
        ("WEFT_OK", WEFT_OK.into()),
        ("WEFT_INVALID_ARGUMENT", WEFT_INVALID_ARGUMENT.into()),
        ("WEFT_MALFORMED", WEFT_MALFORMED.into()),
        ("WEFT_UNSUPPORTED_VERSION", WEFT_UNSUPPORTED_VERSION.into()),
        ("WEFT_CHECKSUM_MISMATCH", WEFT_CHECKSUM_MISMATCH.into()),
        ("WEFT_IMMUTABLE_VIOLATION", WEFT_IMMUTABLE_VIOLATION.into()),
        ("WEFT_NOT_CONTIGUOUS", WEFT_NOT_CONTIGUOUS.into()),
        ("WEFT_MISSING_DEPENDENCY", WEFT_MISSING_DEPENDENCY.into()),
        ("WEFT_CONFLICT", WEFT_CONFLICT.into()),
        ("WEFT_CURSOR_MISMATCH", WEFT_CURSOR_MISMATCH.into()),
        ("WEFT_STALE_EPOCH", WEFT_STALE_EPOCH.into()),
        ("WEFT_PERMISSION_DENIED", WEFT_PERMISSION_DENIED.into()),
        ("WEFT_NOT_FOUND", WEFT_NOT_FOUND.into()),
        ("WEFT_CANCELLED", WEFT_CANCELLED.into()),
        ("WEFT_TIMEOUT", WEFT_TIMEOUT.into()),
        ("WEFT_BUSY", WEFT_BUSY.into()),
        ("WEFT_IO_ERROR", WEFT_IO_ERROR.into()),
        ("WEFT_CORRUPT", WEFT_CORRUPT.into()),
        ("WEFT_RESOURCE_EXHAUSTED", WEFT_RESOURCE_EXHAUSTED.into()),
        ("WEFT_INTERNAL", WEFT_INTERNAL.into()),
        ("WEFT_CONFORMANCE_PASS", WEFT_CONFORMANCE_PASS.into()),
        ("WEFT_CONFORMANCE_FAIL", WEFT_CONFORMANCE_FAIL.into()),
        ("WEFT_CONFORMANCE_SKIP", WEFT_CONFORMANCE_SKIP.into()),
        ("WEFT_SCOPE_READ", WEFT_SCOPE_READ.into()),
        ("WEFT_SCOPE_APPEND", WEFT_SCOPE_APPEND.into()),
        ("WEFT_SCOPE_ADMIN", WEFT_SCOPE_ADMIN.into()),
        ("WEFT_SESSION_HANDSHAKE", WEFT_SESSION_HANDSHAKE.into()),
        ("WEFT_SESSION_SYNCING", WEFT_SESSION_SYNCING.into()),
        ("WEFT_SESSION_DONE", WEFT_SESSION_DONE.into()),
        ("WEFT_SESSION_FAILED", WEFT_SESSION_FAILED.into()),
    ];
    let rust_map: BTreeMap<&str, i64> = rust.iter().copied().collect();
    for (name, value) in &c.consts {
        assert_eq!(rust_map.get(name.as_str()), Some(value), "constant {name}");
    }
    assert_eq!(rust_map.len(), c.consts.len(), "constants measured by layout.c");
}

/// `pub fn weft_*` and `pub struct weft_*` names declared in src/lib.rs.
fn rust_declared(keyword: &str) -> Vec<String> {
    let mut names: Vec<String> = RUST_SOURCE
        .lines()
        .filter_map(|l| l.trim().strip_prefix(keyword))
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect())
        .filter(|name: &String| name.starts_with("weft_"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_declaration_of_the_header_is_here() {
    let c = c_side();
    let fns = rust_declared("pub fn ");
    let structs = rust_declared("pub struct ");
    // Opaque types are declared one per line inside `opaque! { ... }`.
    let opaques: Vec<String> = RUST_SOURCE
        .lines()
        .filter_map(|l| l.trim().strip_suffix(';'))
        .filter(|n| {
            n.starts_with("weft_") && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .map(str::to_owned)
        .collect();
    let types: Vec<String> = RUST_SOURCE
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub type "))
        .map(|rest| rest.split([' ', '=']).next().unwrap().to_owned())
        .collect();
    let consts: Vec<String> = RUST_SOURCE
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .map(|rest| rest.split(':').next().unwrap().to_owned())
        .collect();
    let missing = |header: &[String], rust: &[String]| -> Vec<String> {
        header.iter().filter(|n| !rust.contains(n)).cloned().collect()
    };
    let mut problems = Vec::new();
    for (kind, header, rust) in [
        ("function", &c.header_fns, &fns),
        ("struct", &c.header_structs, &structs),
        ("opaque type", &c.header_opaques, &opaques),
        ("enum or function pointer type", &c.header_types, &types),
        ("constant", &c.header_consts, &consts),
    ] {
        assert!(!header.is_empty(), "no {kind} found in the header");
        for name in missing(header, rust) {
            problems.push(format!("{kind} {name} is in weft.h but not in weft-sys"));
        }
    }
    for (kind, rust, header) in [
        ("function", &fns, &c.header_fns),
        ("struct", &structs, &c.header_structs),
        ("opaque type", &opaques, &c.header_opaques),
        ("enum or function pointer type", &types, &c.header_types),
        ("constant", &consts, &c.header_consts),
    ] {
        for name in missing(rust, header) {
            problems.push(format!("{kind} {name} is in weft-sys but not in weft.h"));
        }
    }
    // Every struct, type and constant the header defines is measured by layout.c.
    let measured: Vec<String> = c.types.keys().chain(c.consts.keys()).cloned().collect();
    for name in missing(&c.header_structs, &measured)
        .into_iter()
        .chain(missing(&c.header_types, &measured))
        .chain(missing(&c.header_consts, &measured))
    {
        problems.push(format!("{name} is not measured by layout/layout.c"));
    }
    assert!(problems.is_empty(), "weft-sys is out of date:\n{}", problems.join("\n"));
}

#[test]
fn links_and_agrees_on_the_version() {
    // SAFETY: no arguments; returns a number.
    let runtime = unsafe { weft_version_number() };
    assert_eq!(runtime, WEFT_VERSION_NUMBER);
}
