//! Finds and links libweft, and records what a C compiler makes of weft.h
//! and weft_sys.h for the layout test.
//!
//! - The library: `WEFT_LIB_DIR` (a directory holding `libweft.so`), else
//!   `pkg-config --libs weft`. Linked as a shared library, with an rpath to
//!   its directory so this crate's tests and examples run without
//!   `LD_LIBRARY_PATH`; dependents get the directory as `DEP_WEFT_LIB_DIR`.
//! - The headers: `WEFT_INCLUDE_DIR` (the directory holding `weft/weft.h`
//!   and `weft/sys/weft_sys.h`), else `pkg-config --cflags weft`, else the
//!   compiler's default paths.
//! - The layout: `layout/layout.c` is compiled with `$CC` (default `cc`) and
//!   run; its output, followed by the names of every struct, opaque type,
//!   enum, function pointer type, function, constant and function-like
//!   macro the two headers declare, and the C type of every struct field,
//!   function pointer type and function (parameters in order, with their
//!   names), goes to `$OUT_DIR/layout.txt`. A failure there does not fail
//!   the build (the crate is usable without a C compiler): `layout.txt`
//!   then holds an `error` line that fails the test.

use std::env;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    for var in ["WEFT_LIB_DIR", "WEFT_INCLUDE_DIR", "PKG_CONFIG", "PKG_CONFIG_PATH", "CC"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    println!("cargo::rerun-if-changed=layout/layout.c");

    let lib_dirs = lib_dirs();
    for dir in &lib_dirs {
        println!("cargo::rustc-link-search=native={}", dir.display());
        println!("cargo::rustc-link-arg=-Wl,-rpath,{}", dir.display());
    }
    println!("cargo::rustc-link-lib=dylib=weft");
    println!("cargo::metadata=lib_dir={}", join(&lib_dirs));

    let include_dirs = include_dirs();
    println!("cargo::metadata=include={}", join(&include_dirs));

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let report = match layout_report(&include_dirs, &out_dir) {
        Ok(report) => report,
        Err(why) => format!("error {}\n", why.replace('\n', " | ")),
    };
    fs::write(out_dir.join("layout.txt"), report).expect("writing OUT_DIR/layout.txt");
}

/// The directories to search for libweft (empty: the linker's defaults).
fn lib_dirs() -> Vec<PathBuf> {
    if let Some(dir) = env::var_os("WEFT_LIB_DIR") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("libweft.so").exists(),
            "weft-sys: WEFT_LIB_DIR={} does not contain libweft.so \
             (build it: meson setup build && ninja -C build)",
            dir.display()
        );
        return vec![absolute(&dir)];
    }
    match pkg_config(&["--libs", "weft"]) {
        Ok(flags) => flags.iter().filter_map(|f| f.strip_prefix("-L")).map(PathBuf::from).collect(),
        Err(why) => panic!(
            "weft-sys: cannot find libweft: set WEFT_LIB_DIR to the directory holding \
             libweft.so, or make `pkg-config weft` work (PKG_CONFIG_PATH): {why}"
        ),
    }
}

/// The directories holding `weft/weft.h` (empty: the compiler's defaults).
fn include_dirs() -> Vec<PathBuf> {
    if let Some(dir) = env::var_os("WEFT_INCLUDE_DIR") {
        return vec![absolute(Path::new(&dir))];
    }
    pkg_config(&["--cflags", "weft"])
        .map(|flags| flags.iter().filter_map(|f| f.strip_prefix("-I")).map(PathBuf::from).collect())
        .unwrap_or_default()
}

/// Runs pkg-config (`$PKG_CONFIG`, default `pkg-config`) and splits its output.
fn pkg_config(args: &[&str]) -> Result<Vec<String>, String> {
    let program = env::var_os("PKG_CONFIG").unwrap_or_else(|| OsString::from("pkg-config"));
    let out = Command::new(&program)
        .args(args)
        .output()
        .map_err(|e| format!("running {}: {e}", program.to_string_lossy()))?;
    if !out.status.success() {
        return Err(format!(
            "pkg-config {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect())
}

fn absolute(dir: &Path) -> PathBuf {
    fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

fn join(dirs: &[PathBuf]) -> String {
    env::join_paths(dirs)
        .expect("library and include directories contain no ':'")
        .to_string_lossy()
        .into_owned()
}

/// The headers weft-sys mirrors, relative to an include directory.
const HEADERS: [&str; 2] = ["weft/weft.h", "weft/sys/weft_sys.h"];

/// Compiles and runs layout.c, then lists what the headers declare.
fn layout_report(include_dirs: &[PathBuf], out_dir: &Path) -> Result<String, String> {
    let headers = find_headers(include_dirs)?;
    for header in &headers {
        println!("cargo::rerun-if-changed={}", header.display());
    }

    let cc = env::var_os("CC").unwrap_or_else(|| OsString::from("cc"));
    let exe = out_dir.join("weft_layout");
    let mut compile = Command::new(&cc);
    compile.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-o"]).arg(&exe);
    for dir in include_dirs {
        compile.arg(format!("-I{}", dir.display()));
    }
    compile.arg("layout/layout.c");
    run(&mut compile, "compiling layout/layout.c")?;
    let mut report = run(&mut Command::new(&exe), "running the layout program")?;

    for header in &headers {
        let text =
            fs::read_to_string(header).map_err(|e| format!("reading {}: {e}", header.display()))?;
        writeln!(report, "header {}", header.display()).unwrap();
        for (kind, name) in header_declarations(&text) {
            writeln!(report, "header_{kind} {name}").unwrap();
        }
        for (kind, name, c_type) in header_types(&strip_comments(&text))? {
            writeln!(report, "header_{kind} {name} = {c_type}").unwrap();
        }
    }
    Ok(report)
}

fn run(command: &mut Command, what: &str) -> Result<String, String> {
    let out = command.output().map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{what}: {e}"))
}

/// weft.h and weft_sys.h, from the first include directory that holds weft.h.
fn find_headers(include_dirs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let defaults = [PathBuf::from("/usr/local/include"), PathBuf::from("/usr/include")];
    let dir = include_dirs
        .iter()
        .chain(defaults.iter())
        .find(|dir| dir.join(HEADERS[0]).exists())
        .ok_or_else(|| {
            "weft/weft.h not found: set WEFT_INCLUDE_DIR to the directory holding weft/weft.h"
                .to_owned()
        })?;
    HEADERS
        .iter()
        .map(|h| {
            let path = dir.join(h);
            if path.exists() { Ok(path) } else { Err(format!("{} not found", path.display())) }
        })
        .collect()
}

/// ("struct" | "opaque" | "type" | "fn" | "const" | "macro", name) for
/// every struct definition, opaque type, enum or function pointer type,
/// function, `WEFT_*` constant and function-like `WEFT_*` macro of the
/// header. A line-based scan suffices: the header's style puts each on a
/// line of its own.
fn header_declarations(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("typedef struct ") {
            if let Some(name) = rest.strip_suffix('{') {
                out.push(("struct", name.trim().to_owned()));
            } else if let Some(name) = rest.split_whitespace().next() {
                out.push(("opaque", name.to_owned()));
            }
        } else if let Some(rest) = line.strip_prefix("typedef enum ") {
            out.push(("type", rest.trim_end_matches('{').trim().to_owned()));
        } else if let Some(rest) = line.strip_prefix("typedef ") {
            // A function pointer type: `typedef int32_t (*name)(...`.
            if let Some((_, after)) = rest.split_once("(*") {
                out.push(("type", after.split(')').next().unwrap_or_default().to_owned()));
            }
        } else if let Some(rest) = line.strip_prefix("WEFT_API ") {
            if let Some(open) = rest.find('(') {
                out.push(("fn", last_identifier(&rest[..open])));
            }
        } else if let Some(rest) = line.strip_prefix("#define WEFT_VERSION_") {
            let name = rest.split_whitespace().next().unwrap_or_default();
            match name.split_once('(') {
                // WEFT_VERSION_CHECK(major, minor, patch)
                Some((name, _)) => out.push(("macro", format!("WEFT_VERSION_{name}"))),
                None => out.push(("const", format!("WEFT_VERSION_{name}"))),
            }
        } else if line.starts_with("WEFT_") && line.contains('=') {
            out.push(("const", last_identifier(line.split('=').next().unwrap_or_default())));
        }
    }
    out
}

fn last_identifier(text: &str) -> String {
    let text = text.trim_end();
    let start = text.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
    text[start..].to_owned()
}

/// The text without its comments (`/* */` and `//`), each replaced by a space.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                out.push(' ');
                rest = rest[b + 2..].split_once("*/").map_or("", |(_, after)| after);
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                rest = rest[l..].find('\n').map_or("", |n| &rest[l + n..]);
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// ("field", "struct.field", type), ("fnptr", name, type) and ("sig",
/// function, type) for every struct field, function pointer typedef and
/// function of the header (comments stripped), each type in the canonical
/// form of [`c_type`].
fn header_types(text: &str) -> Result<Vec<(&'static str, String, String)>, String> {
    let mut out = Vec::new();
    // Structs: `typedef struct NAME {` FIELDS `} NAME;`
    let mut rest = text;
    while let Some(start) = rest.find("typedef struct ") {
        rest = &rest[start + "typedef struct ".len()..];
        let Some((name, after)) = rest.split_once('{') else { continue };
        let name = name.trim();
        if name.contains(';') || name.contains(char::is_whitespace) {
            continue; // an opaque type: `typedef struct NAME NAME;`
        }
        let (body, after) =
            after.split_once('}').ok_or(format!("struct {name}: no closing brace"))?;
        for field in body.split(';').map(str::trim).filter(|f| !f.is_empty()) {
            let (field_name, c) = c_type(field)?;
            out.push(("field", format!("{name}.{field_name}"), c));
        }
        rest = after;
    }
    // Function pointer types: `typedef RET (*NAME)(PARAMS);`
    for decl in text.split(';').map(str::trim) {
        if let Some(decl) = decl.strip_prefix("typedef ") {
            if decl.contains("(*") {
                let (name, c) = c_type(decl)?;
                out.push(("fnptr", name, c));
            }
        }
    }
    // Functions: `WEFT_API RET NAME(PARAMS);`
    for decl in text.split("WEFT_API ").skip(1) {
        let decl = decl.split(';').next().unwrap_or_default();
        if decl.trim_start().starts_with("__") || !decl.contains('(') {
            continue; // the macro's own definition
        }
        let (name, c) = c_type(decl)?;
        out.push(("sig", name, c));
    }
    Ok(out)
}

/// The name and the canonical type of one C declaration: `T name`,
/// `T name[N]`, `RET (*name)(PARAMS)` or `RET name(PARAMS)`. Canonical
/// types: words and stars separated by single spaces (`const uint8_t * *`),
/// arrays `T [N]`, functions `fn(T a, U b) -> RET` (parameter names kept;
/// array parameters are pointers, as in C), pointers to functions
/// `* fn(..) -> RET`.
fn c_type(decl: &str) -> Result<(String, String), String> {
    let decl = decl.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(open) = decl.find('(') {
        let close = matching_paren(&decl, open).ok_or(format!("unbalanced: {decl}"))?;
        let before = decl[..open].trim();
        let after = decl[close + 1..].trim();
        if after.starts_with('(') {
            // RET (*name)(PARAMS)
            let name = decl[open + 1..close].trim().trim_start_matches('*').trim().to_owned();
            let params_close =
                matching_paren(after, 0).ok_or(format!("unbalanced parameters: {decl}"))?;
            let f = function(before, &after[1..params_close])?;
            return Ok((name, format!("* {f}")));
        }
        // RET name(PARAMS)
        let (name, ret) = split_name(before);
        return Ok((name, function(&ret, &decl[open + 1..close])?));
    }
    if let Some(open) = decl.find('[') {
        let (name, base) = split_name(&decl[..open]);
        let len = decl[open + 1..].trim_end_matches(']').trim();
        return Ok((name, format!("{} [{len}]", words(&base))));
    }
    let (name, base) = split_name(&decl);
    Ok((name, words(&base)))
}

/// `fn(T a, U b) -> RET` from a return type and a parameter list.
fn function(ret: &str, params: &str) -> Result<String, String> {
    let mut list = Vec::new();
    if params.trim() != "void" && !params.trim().is_empty() {
        for param in split_top_level(params) {
            let (name, c) = c_type(&param)?;
            // An array parameter is a pointer.
            let c = match c.rsplit_once(" [") {
                Some((base, _)) => format!("{base} *"),
                None => c,
            };
            list.push(format!("{c} {name}"));
        }
    }
    Ok(format!("fn({}) -> {}", list.join(", "), words(ret)))
}

/// Splits `const char *name` into ("name", "const char *").
fn split_name(text: &str) -> (String, String) {
    let name = last_identifier(text);
    let base = text.trim_end()[..text.trim_end().len() - name.len()].to_owned();
    (name, base)
}

/// Words and stars of a C type, separated by single spaces.
fn words(text: &str) -> String {
    text.replace('*', " * ").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in text.char_indices().skip_while(|(i, _)| *i < open) {
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

/// Splits on the commas outside parentheses.
fn split_top_level(text: &str) -> Vec<String> {
    let (mut out, mut depth, mut item) = (Vec::new(), 0, String::new());
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut item).trim().to_owned());
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    if !item.trim().is_empty() {
        out.push(item.trim().to_owned());
    }
    out
}
