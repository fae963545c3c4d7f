//! Finds and links libweft, and records what a C compiler makes of weft.h
//! for the layout test.
//!
//! - The library: `WEFT_LIB_DIR` (a directory holding `libweft.so`), else
//!   `pkg-config --libs weft`. Linked as a shared library, with an rpath to
//!   its directory so this crate's tests and examples run without
//!   `LD_LIBRARY_PATH`; dependents get the directory as `DEP_WEFT_LIB_DIR`.
//! - The header: `WEFT_INCLUDE_DIR` (the directory holding `weft/weft.h`),
//!   else `pkg-config --cflags weft`, else the compiler's default paths.
//! - The layout: `layout/layout.c` is compiled with `$CC` (default `cc`) and
//!   run; its output, followed by the names of every struct, opaque type,
//!   enum, function pointer type, function and constant the header
//!   declares, goes to `$OUT_DIR/layout.txt`. A
//!   failure there does not fail the build (the crate is usable without a C
//!   compiler): `layout.txt` then holds an `error` line that fails the test.

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

/// Compiles and runs layout.c, then lists what weft.h declares.
fn layout_report(include_dirs: &[PathBuf], out_dir: &Path) -> Result<String, String> {
    let header = find_header(include_dirs)?;
    println!("cargo::rerun-if-changed={}", header.display());

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

    let text =
        fs::read_to_string(&header).map_err(|e| format!("reading {}: {e}", header.display()))?;
    writeln!(report, "header {}", header.display()).unwrap();
    for (kind, name) in header_declarations(&text) {
        writeln!(report, "header_{kind} {name}").unwrap();
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

fn find_header(include_dirs: &[PathBuf]) -> Result<PathBuf, String> {
    let defaults = [PathBuf::from("/usr/local/include"), PathBuf::from("/usr/include")];
    include_dirs
        .iter()
        .chain(defaults.iter())
        .map(|dir| dir.join("weft").join("weft.h"))
        .find(|path| path.exists())
        .ok_or_else(|| {
            "weft/weft.h not found: set WEFT_INCLUDE_DIR to the directory holding weft/weft.h"
                .to_owned()
        })
}

/// ("struct" | "opaque" | "type" | "fn" | "const", name) for every struct
/// definition, opaque type, enum or function pointer type, function and
/// `WEFT_*` constant of the header. A line-based scan suffices: the
/// header's style puts each on a line of its own.
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
            out.push(("const", format!("WEFT_VERSION_{name}")));
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
