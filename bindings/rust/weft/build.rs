//! Adds an rpath to the directory `weft-sys` linked libweft from, so this
//! crate's tests and examples run without `LD_LIBRARY_PATH`. (Link
//! arguments of `weft-sys`'s own build script reach only its own targets.)

fn main() {
    println!("cargo::rerun-if-env-changed=DEP_WEFT_LIB_DIR");
    if let Some(dirs) = std::env::var_os("DEP_WEFT_LIB_DIR") {
        for dir in std::env::split_paths(&dirs).filter(|d| !d.as_os_str().is_empty()) {
            println!("cargo::rustc-link-arg=-Wl,-rpath,{}", dir.display());
        }
    }
}
