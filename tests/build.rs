//! Builds the deliberately misbehaving test component.

fn main() {
    let root = build_support::workspace_root_from_manifest_dir();
    let dir = root.join("tests/misbehaving-plugin");
    let wasm = build_support::build_component(&root, "misbehaving-plugin", &dir);
    println!("cargo:rustc-env=MISBEHAVING_PLUGIN_WASM={}", wasm.display());
}
