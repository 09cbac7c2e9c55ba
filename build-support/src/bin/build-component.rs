//! `cargo run -p build-support --bin build-component -- <package>`: builds a workspace package
//! as a component, as `cargo test` does, and prints the path of its `.wasm` file. The omni
//! package's build step uses it when cargo has not built the component yet.

use std::path::Path;

fn main() {
    let Some(package) = std::env::args().nth(1) else {
        eprintln!("usage: build-component <workspace package>");
        std::process::exit(2);
    };
    let workspace_root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("build-support sits in the workspace");
    let wasm = build_support::build(workspace_root, &package);
    println!("{}", wasm.display());
}
