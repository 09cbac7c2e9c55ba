//! Builds WebAssembly components from a `build.rs`, so that a plain `cargo test` at the
//! workspace root compiles the plugin (and the test components) from source.
//!
//! The nested `cargo build` targets `wasm32-unknown-unknown` and links with the toolchain's own
//! `wasm-component-ld`, which turns the module into a component whose only imports are the WIT
//! package's interfaces (no WASI). It uses its own target directory (sharing the outer one
//! deadlocks on cargo's lock) and an environment scrubbed of the outer build's flags, which would
//! otherwise leak coverage, clippy or profile settings into the wasm build.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The target every component is built for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The cargo profile for components (see the workspace `Cargo.toml`).
pub const PROFILE: &str = "wasm-release";

/// Outer-build variables that must not reach the nested build.
const SCRUBBED_PREFIXES: &[&str] = &["CARGO_TARGET_", "CARGO_BUILD_", "CARGO_PROFILE_", "CARGO_ENCODED_RUSTFLAGS"];
const SCRUBBED: &[&str] = &["RUSTFLAGS", "RUSTDOCFLAGS", "RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER"];

/// Builds the workspace package `package` (whose sources are in `package_dir`) as a component
/// and returns the path of the `.wasm` file. Prints the `rerun-if-changed` lines for it.
///
/// Panics with an explanation on failure: this runs inside a build script.
pub fn build_component(workspace_root: &Path, package: &str, package_dir: &Path) -> PathBuf {
    for path in [
        workspace_root.join("wit"),
        // The vocabulary both sides share is compiled into the component too.
        workspace_root.join("vocabulary"),
        package_dir.to_owned(),
        workspace_root.join("Cargo.toml"),
        workspace_root.join("Cargo.lock"),
    ] {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    build(workspace_root, package)
}

/// Builds the workspace package `package` as a component outside a build script (the omni
/// package's build step runs this through `cargo run -p build-support`); returns the path of
/// the `.wasm` file.
pub fn build(workspace_root: &Path, package: &str) -> PathBuf {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    ensure_wasm_target(&rustc);
    let linker = component_linker(&rustc);
    let target_dir = target_dir(workspace_root).join("wasm-components");

    let mut command = Command::new(&cargo);
    command
        .args(["build", "--package", package, "--target", WASM_TARGET, "--profile", PROFILE])
        .arg("--manifest-path")
        .arg(workspace_root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        // cargo would read the child's stdout as build-script directives.
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy();
        if SCRUBBED.contains(&key.as_ref()) || SCRUBBED_PREFIXES.iter().any(|p| key.starts_with(p)) {
            command.env_remove(key.as_ref());
        }
    }
    let target_env = WASM_TARGET.to_uppercase().replace('-', "_");
    command.env(format!("CARGO_TARGET_{target_env}_LINKER"), &linker);
    // Wasm SIMD (every runtime the component targets has it: wasmtime, V8, JavaScriptCore):
    // 5 % fewer instructions per webhook, counted with callgrind.
    command.env(format!("CARGO_TARGET_{target_env}_RUSTFLAGS"), "-Ctarget-feature=+simd128");

    let output = command.output().unwrap_or_else(|e| panic!("could not run {cargo:?}: {e}"));
    if !output.status.success() {
        panic!(
            "building the `{package}` component failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let wasm = target_dir.join(WASM_TARGET).join(PROFILE).join(format!("{}.wasm", package.replace('-', "_")));
    assert!(wasm.is_file(), "the build of `{package}` produced no {}", wasm.display());
    wasm
}

/// The workspace root, for a build script whose crate is one level below it.
pub fn workspace_root_from_manifest_dir() -> PathBuf {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("run from a build script"));
    manifest_dir
        .ancestors()
        .find(|dir| std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|toml| toml.contains("[workspace]")))
        .expect("a workspace Cargo.toml above the crate")
        .to_owned()
}

/// The outer build's target directory (`CARGO_TARGET_DIR` or `<root>/target`).
fn target_dir(workspace_root: &Path) -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root.join(dir),
        None => workspace_root.join("target"),
    }
}

/// `wasm-component-ld` from the toolchain that runs this build.
fn component_linker(rustc: &std::ffi::OsStr) -> PathBuf {
    let host = env::var("HOST").unwrap_or_else(|_| host_triple(rustc));
    let linker = sysroot(rustc).join("lib/rustlib").join(host).join("bin/wasm-component-ld");
    assert!(
        linker.is_file(),
        "{} not found: the Rust toolchain ships wasm-component-ld since 1.82; is this toolchain older?",
        linker.display()
    );
    linker
}

/// The host triple `rustc -vV` reports (build scripts get it as `HOST`).
fn host_triple(rustc: &std::ffi::OsStr) -> String {
    let output = Command::new(rustc).arg("-vV").output().expect("rustc -vV");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc -vV names its host")
        .trim()
        .to_owned()
}

fn sysroot(rustc: &std::ffi::OsStr) -> PathBuf {
    let output = Command::new(rustc).args(["--print", "sysroot"]).output().expect("rustc --print sysroot");
    PathBuf::from(String::from_utf8(output.stdout).expect("UTF-8 sysroot").trim())
}

/// Installs the wasm target through rustup when it is missing (rust-toolchain.toml asks for it,
/// but rustup only honours that when it installs the toolchain itself).
fn ensure_wasm_target(rustc: &std::ffi::OsStr) {
    let libdir = sysroot(rustc).join("lib/rustlib").join(WASM_TARGET).join("lib");
    if libdir.is_dir() {
        return;
    }
    println!("cargo:warning=installing the {WASM_TARGET} target with rustup");
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", WASM_TARGET]);
    if let Ok(toolchain) = env::var("RUSTUP_TOOLCHAIN") {
        rustup.args(["--toolchain", &toolchain]);
    }
    let status = rustup.stdout(Stdio::null()).status();
    assert!(
        matches!(status, Ok(s) if s.success()) && libdir.is_dir(),
        "the {WASM_TARGET} target is missing and `rustup target add {WASM_TARGET}` failed; install it and rebuild"
    );
}
