//! Node-API linking: the addon's symbols are resolved by the loading process (Node or Bun).

fn main() {
    napi_build::setup();
}
