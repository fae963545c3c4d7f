//! Checks the Rust declarations against weft.h and weft/sys/weft_sys.h as
//! a C compiler sees them: every struct's size, alignment and field offsets
//! and sizes, every constant, that every struct, function, constant and
//! macro of the headers is declared here, and that every function (its
//! parameters in order, with their names, const-ness and return type),
//! function pointer type and struct field has the type the headers give
//! it. `build.rs` writes the C side to `$OUT_DIR/layout.txt`.

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
    header_macros: Vec<String>,
    /// "struct.field", function pointer type or function -> its C type, in
    /// build.rs's canonical form.
    header_field_types: BTreeMap<String, String>,
    header_fnptr_types: BTreeMap<String, String>,
    header_sigs: BTreeMap<String, String>,
    /// WEFT_VERSION_CHECK(major, minor, patch) as the C compiler answers it.
    version_checks: Vec<([u32; 3], bool)>,
}

fn c_side() -> CSide {
    let mut c = CSide::default();
    for line in LAYOUT.lines() {
        // "header_KIND NAME = C TYPE": the type holds spaces.
        if let Some((kind, rest)) = line.split_once(' ') {
            let map = match kind {
                "header_field" => Some(&mut c.header_field_types),
                "header_fnptr" => Some(&mut c.header_fnptr_types),
                "header_sig" => Some(&mut c.header_sigs),
                _ => None,
            };
            if let Some(map) = map {
                let (name, c_type) = rest.split_once(" = ").expect("NAME = TYPE");
                map.insert(name.to_owned(), c_type.to_owned());
                continue;
            }
        }
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
            ["header_macro", name] => c.header_macros.push(name.to_string()),
            ["macro", "WEFT_VERSION_CHECK", a, b, p, answer] => c.version_checks.push((
                [a.parse().unwrap(), b.parse().unwrap(), p.parse().unwrap()],
                *answer == "1",
            )),
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
            auto_seal_ops,
            max_ops,
            max_payload_bytes,
            max_deps_per_op,
            max_actors,
            max_message_bytes,
        }),
        rust_struct!(weft_sqlite_options {
            struct_size,
            synchronous_full,
            busy_timeout_ms,
            create,
            special_names,
            reserved,
            log_name,
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
        rust_struct!(weft_ack_info { batch_id, seq, status, reserved, cursor }),
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
            expected_cursor
        }),
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
    rust_declared_as(keyword, "weft_")
}

/// The names starting with `prefix` that follow `keyword` at the start of a
/// line of src/lib.rs.
fn rust_declared_as(keyword: &str, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = RUST_SOURCE
        .lines()
        .filter_map(|l| l.trim().strip_prefix(keyword))
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect())
        .filter(|name: &String| name.starts_with(prefix))
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
        .filter(|rest| !rest.starts_with("fn "))
        .map(|rest| rest.split(':').next().unwrap().to_owned())
        .collect();
    // Function-like macros are `pub const fn`s of the same name.
    let macros = rust_declared_as("pub const fn ", "WEFT_");
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
        ("function-like macro", &c.header_macros, &macros),
    ] {
        assert!(!header.is_empty(), "no {kind} found in the headers");
        for name in missing(header, rust) {
            problems.push(format!("{kind} {name} is in the headers but not in weft-sys"));
        }
    }
    for (kind, rust, header) in [
        ("function", &fns, &c.header_fns),
        ("struct", &structs, &c.header_structs),
        ("opaque type", &opaques, &c.header_opaques),
        ("enum or function pointer type", &types, &c.header_types),
        ("constant", &consts, &c.header_consts),
        ("function-like macro", &macros, &c.header_macros),
    ] {
        for name in missing(rust, header) {
            problems.push(format!("{kind} {name} is in weft-sys but not in the headers"));
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

#[test]
fn version_check_answers_as_the_macro() {
    let c = c_side();
    assert!(!c.version_checks.is_empty(), "layout.c asks WEFT_VERSION_CHECK nothing");
    for ([major, minor, patch], answer) in c.version_checks {
        assert_eq!(
            WEFT_VERSION_CHECK(major, minor, patch),
            answer,
            "WEFT_VERSION_CHECK({major}, {minor}, {patch})"
        );
    }
    const { assert!(WEFT_VERSION_CHECK(0, 3, 0) && !WEFT_VERSION_CHECK(0, 3, 1)) };
    assert!(!WEFT_VERSION_CHECK(u32::MAX, u32::MAX, u32::MAX), "no overflow");
}

// ------------------------------------------------------------ types

/// The canonical C form (build.rs's: words and stars separated by spaces,
/// `T [N]`, `fn(T a, U b) -> RET`, `* fn(..)` for a function pointer) of a
/// type as written in src/lib.rs.
fn c_form(rust: &str) -> String {
    let t = rust.trim();
    if let Some(rest) = t.strip_prefix("*mut ") {
        return format!("{} *", c_form(rest));
    }
    if let Some(rest) = t.strip_prefix("*const ") {
        let inner = c_form(rest);
        return if rest.trim_start().starts_with('*') {
            format!("{inner} const *") // a const pointer
        } else {
            format!("const {inner} *")
        };
    }
    // Nullable function pointers are `Option<unsafe extern "C" fn(..)>`.
    if let Some(inner) = t.strip_prefix("Option<").and_then(|r| r.strip_suffix('>')) {
        // rustfmt may leave a trailing comma after a long signature.
        return format!("* {}", c_form(inner.trim().trim_end_matches(',')));
    }
    if let Some(f) = t.strip_prefix("unsafe extern \"C\" fn") {
        return rust_function(f);
    }
    if let Some(array) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let (base, len) = array.split_once(';').expect("[T; N]");
        return format!("{} [{}]", c_form(base), len.trim());
    }
    match t {
        "u8" => "uint8_t",
        "u32" => "uint32_t",
        "i32" => "int32_t",
        "u64" => "uint64_t",
        "i64" => "int64_t",
        "usize" => "size_t",
        "c_char" => "char",
        "c_void" => "void",
        other => other,
    }
    .to_owned()
}

/// `fn(T a, U b) -> RET` from a Rust signature's `(a: T, b: U) -> R`.
fn rust_function(signature: &str) -> String {
    let signature = signature.trim();
    let close = matching_paren(signature).expect("a parameter list");
    let params: Vec<String> = split_top_level(&signature[1..close])
        .iter()
        .map(|p| {
            let (name, ty) = p.split_once(':').expect("name: type");
            format!("{} {}", c_form(ty), name.trim())
        })
        .collect();
    let ret = signature[close + 1..].trim().strip_prefix("->").map_or("void".into(), c_form);
    format!("fn({}) -> {ret}", params.join(", "))
}

fn matching_paren(text: &str) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits on the commas outside (), <> and [] (`->` is no bracket).
fn split_top_level(text: &str) -> Vec<String> {
    let text = text.replace("->", "\u{2192}");
    let (mut out, mut depth, mut item) = (Vec::new(), 0, String::new());
    for ch in text.chars() {
        match ch {
            '(' | '<' | '[' => depth += 1,
            ')' | '>' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        item.push(ch);
    }
    out.push(item);
    out.into_iter()
        .map(|s| s.replace('\u{2192}', "->").trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// src/lib.rs without `//` comments, whitespace collapsed.
fn rust_code() -> String {
    let code: Vec<&str> =
        RUST_SOURCE.lines().map(|l| l.split_once("//").map_or(l, |(code, _)| code)).collect();
    code.join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every `pub fn weft_*(..) -> R;` of the extern blocks: name -> C form.
fn rust_signatures() -> BTreeMap<String, String> {
    let code = rust_code();
    let mut out = BTreeMap::new();
    for decl in code.split("pub fn ").skip(1) {
        let decl = decl.split(';').next().unwrap();
        let Some((name, signature)) = decl.split_once('(') else { continue };
        if name.starts_with("weft_") {
            out.insert(name.to_owned(), rust_function(&format!("({signature}")));
        }
    }
    out
}

/// Every field of every `pub struct weft_*`: "struct.field" -> C form; and
/// every `pub type weft_* = Option<fn..>`: name -> C form.
fn rust_field_and_fnptr_types() -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let code = rust_code();
    let mut fields = BTreeMap::new();
    for decl in code.split("pub struct ").skip(1) {
        let Some((name, body)) = decl.split_once('{') else { continue };
        let name = name.trim();
        if !name.starts_with("weft_") {
            continue;
        }
        // The body ends at the first `}` outside brackets: fields hold none.
        let body = body.split('}').next().unwrap();
        for field in split_top_level(body) {
            let field = field.strip_prefix("pub ").unwrap_or(&field);
            let (field_name, ty) = field.split_once(':').expect("name: type");
            fields.insert(format!("{name}.{}", field_name.trim()), c_form(ty));
        }
    }
    let mut fnptrs = BTreeMap::new();
    for decl in code.split("pub type ").skip(1) {
        let decl = decl.split(';').next().unwrap();
        let (name, ty) = decl.split_once('=').expect("pub type NAME = TYPE");
        if ty.contains("fn(") {
            fnptrs.insert(name.trim().to_owned(), c_form(ty));
        }
    }
    (fields, fnptrs)
}

/// The problems of `rust` against `header`: entries of the header missing
/// from Rust, or of another type.
fn type_problems(
    what: &str,
    header: &BTreeMap<String, String>,
    rust: &BTreeMap<String, String>,
) -> Vec<String> {
    assert!(!header.is_empty(), "no {what} found in the headers");
    header
        .iter()
        .filter_map(|(name, c)| match rust.get(name) {
            None => Some(format!("{what} {name}: in the headers, not in weft-sys")),
            Some(r) if r != c => Some(format!("{what} {name}:\n    C    {c}\n    Rust {r}")),
            Some(_) => None,
        })
        .collect()
}

#[test]
fn function_signatures_match_the_headers() {
    let c = c_side();
    let problems = type_problems("function", &c.header_sigs, &rust_signatures());
    assert!(problems.is_empty(), "signatures differ:\n{}", problems.join("\n"));
}

#[test]
fn field_and_function_pointer_types_match_the_headers() {
    let c = c_side();
    let (fields, fnptrs) = rust_field_and_fnptr_types();
    let mut problems = type_problems("field", &c.header_field_types, &fields);
    problems.extend(type_problems("function pointer type", &c.header_fnptr_types, &fnptrs));
    assert!(problems.is_empty(), "types differ:\n{}", problems.join("\n"));
}

#[test]
fn the_type_checks_catch_a_swap() {
    // The canonical forms are strict enough to tell what a port can get wrong.
    let swapped = "(log: *const weft_log, out: *mut u64) -> i32";
    assert_ne!(
        rust_function(swapped),
        rust_function("(out: *mut u64, log: *const weft_log) -> i32")
    );
    assert_ne!(c_form("*mut weft_log"), c_form("*const weft_log"));
    assert_eq!(c_form("*mut *const u8"), "const uint8_t * *");
    assert_eq!(c_form("*const *mut u8"), "uint8_t * const *");
    assert_eq!(
        c_form(
            "Option<unsafe extern \"C\" fn(db: *mut *mut c_void, user_data: *mut c_void) -> i32>"
        ),
        "* fn(void * * db, void * user_data) -> int32_t"
    );
    assert_eq!(c_form("[u8; 16]"), "uint8_t [16]");
}
