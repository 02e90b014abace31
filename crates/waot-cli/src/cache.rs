//! The executable cache of `waot run`: `$WAOT_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/waot`, else `~/.cache/waot`.
//!
//! An entry is an executable named by the SHA-256 of everything that
//! determines it (see [`key`]); it is written to a temporary file in the
//! cache directory and renamed into place, so concurrent runs never see a
//! partial file and at worst compile the same module twice.

use std::env;
use std::path::PathBuf;

use anyhow::{bail, Result};
use sha2::{Digest, Sha256};

/// Overrides the cache directory.
pub const CACHE_DIR_ENV: &str = "WAOT_CACHE_DIR";

/// The cache directory (not necessarily existing).
pub fn dir() -> Result<PathBuf> {
    let non_empty = |name: &str| env::var_os(name).filter(|v| !v.is_empty());
    if let Some(d) = non_empty(CACHE_DIR_ENV) {
        return Ok(PathBuf::from(d));
    }
    // XDG: a relative path is invalid and must be ignored.
    if let Some(d) = non_empty("XDG_CACHE_HOME").map(PathBuf::from) {
        if d.is_absolute() {
            return Ok(d.join("waot"));
        }
    }
    match non_empty("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".cache").join("waot")),
        None => bail!("cannot find a cache directory: set {CACHE_DIR_ENV}, XDG_CACHE_HOME or HOME"),
    }
}

/// The hex SHA-256 of `parts`, each length-prefixed so that no two
/// different part lists hash the same bytes.
pub fn key(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_stable_and_separates_parts() {
        assert_eq!(key(&[b"ab", b"c"]), key(&[b"ab", b"c"]));
        assert_ne!(key(&[b"ab", b"c"]), key(&[b"a", b"bc"]));
        assert_eq!(key(&[]).len(), 64);
    }
}
