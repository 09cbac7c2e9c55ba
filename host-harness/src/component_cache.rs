//! A cache of compiled components, so that the host restarts without compiling the plugin
//! again (Cranelift takes about half a second for this component; loading the compiled code
//! takes under a millisecond).
//!
//! An entry is keyed by the component's SHA-256 and by the engine's compatibility hash
//! (wasmtime's version, the target and every setting that changes compiled code), so a new
//! build of either never loads code compiled for another. The files are native code the host
//! runs: the directory is created private to the user, a directory others can write to is not
//! used, and entries are written whole (a temporary file renamed into place).

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components are kept.
#[derive(Debug, Clone)]
pub struct ComponentCache {
    dir: PathBuf,
}

/// How a component was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from the cache: no compilation.
    Hit,
    /// Compiled, and stored for the next start.
    Stored,
    /// Compiled; the cache could not be used (the reason).
    Bypassed(String),
}

impl ComponentCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `$OMNI_HOST_CACHE_DIR`, else `$XDG_CACHE_HOME/omni-host`, else `~/.cache/omni-host`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("OMNI_HOST_CACHE_DIR") {
            return Some(dir.into());
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))?;
        Some(base.join("omni-host"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The component compiled for `engine`: from the cache when an entry for exactly this
    /// component and engine exists, otherwise compiled (and stored when the cache is usable).
    pub fn load(&self, engine: &Engine, component: &[u8]) -> anyhow::Result<(Component, CacheOutcome)> {
        let path = self.dir.join(format!("{}.cwasm", key(engine, component)));
        let usable = self.prepare_dir();
        if usable.is_ok() && path.is_file() {
            // SAFETY: the entry was written by `Engine::precompile_component` for this very
            // component and an engine with the same compatibility hash (its name says so),
            // into a directory only this user can write to (checked by `prepare_dir`).
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(compiled) => return Ok((compiled, CacheOutcome::Hit)),
                // A truncated or foreign file: compile again and replace it.
                Err(e) => tracing::warn!(path = %path.display(), "ignoring an unusable cache entry: {e:#}"),
            }
        }
        let compiled_bytes =
            engine.precompile_component(component).map_err(|e| anyhow::anyhow!("compiling the component: {e:#}"))?;
        // SAFETY: the bytes were just produced by `precompile_component` on this engine.
        let compiled = unsafe { Component::deserialize(engine, &compiled_bytes) }
            .map_err(|e| anyhow::anyhow!("loading the compiled component: {e:#}"))?;
        let outcome = match usable.and_then(|()| store(&path, &compiled_bytes)) {
            Ok(()) => CacheOutcome::Stored,
            Err(why) => CacheOutcome::Bypassed(format!("{why:#}")),
        };
        Ok((compiled, outcome))
    }

    /// Creates the directory private to the user, or checks that an existing one is.
    fn prepare_dir(&self) -> anyhow::Result<()> {
        if !self.dir.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(&self.dir).with_context(|| format!("creating {}", self.dir.display()))?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(&self.dir).with_context(|| format!("reading {}", self.dir.display()))?;
            // SAFETY: `geteuid` has no preconditions.
            let me = unsafe { libc::geteuid() };
            if meta.uid() != me || meta.mode() & 0o022 != 0 {
                anyhow::bail!("{} is not private to this user (it must not be writable by others)", self.dir.display());
            }
        }
        Ok(())
    }
}

/// `<sha256 of the component>-<engine compatibility hash>`.
fn key(engine: &Engine, component: &[u8]) -> String {
    // Deterministic across runs of the same host build, which is all a key needs.
    let mut hasher = std::hash::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{}-{:016x}", hex::encode(Sha256::digest(component)), hasher.finish())
}

/// Writes an entry whole: a temporary file in the same directory, renamed into place.
fn store(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file = std::fs::File::create(&temporary).with_context(|| format!("creating {}", temporary.display()))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("renaming into {}", path.display()))
}
