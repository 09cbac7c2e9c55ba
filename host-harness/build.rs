//! Builds the WhatsApp Cloud plugin component from source (feature `whatsapp`), so the host
//! embeds the exact component that its sources describe.

fn main() {
    if std::env::var_os("CARGO_FEATURE_WHATSAPP").is_none() {
        return;
    }
    let root = build_support::workspace_root_from_manifest_dir();
    let wasm = build_support::build_component(&root, "whatsapp-cloud-plugin", &root.join("plugin"));
    println!("cargo:rustc-env=WHATSAPP_CLOUD_PLUGIN_WASM={}", wasm.display());
}
