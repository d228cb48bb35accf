//! Compiled components on disk: the precompiled file format (also written
//! by `featherlight compile`) and the cache keyed by what shaped the code.
//!
//! A file carries the key it was compiled under (engine settings, wasmtime's
//! compatibility hash and the guest image) and a digest of its payload; a
//! file whose key or digest does not match is rejected, never loaded.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"FLTHCWSM";
const VERSION: u32 = 1;
const HEADER: usize = 8 + 4 + 32 + 8 + 8 + 32;

/// A component's original bytes and its compiled artifact.
#[derive(Debug)]
pub(crate) struct Precompiled {
    pub component: Vec<u8>,
    pub artifact: Vec<u8>,
}

/// Why a precompiled file was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CacheError {
    /// Not a featherlight precompiled file.
    #[error("not a featherlight precompiled component (bad header)")]
    NotPrecompiled,
    /// Compiled by another featherlight build or with other settings.
    #[error(
        "compiled by a different featherlight build or engine configuration; \
         recompile it with `featherlight compile`"
    )]
    Stale,
    /// The payload does not match its digest.
    #[error("the file is corrupted (digest mismatch); recompile it")]
    Corrupted,
}

/// The key compiled code depends on.
pub(crate) fn engine_key(settings: &str, image_digest: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(settings.as_bytes());
    hasher.update(image_digest);
    hasher.finalize().into()
}

fn payload_digest(component: &[u8], artifact: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((component.len() as u64).to_le_bytes());
    hasher.update(component);
    hasher.update(artifact);
    hasher.finalize().into()
}

/// Serializes `precompiled` under `key`.
pub(crate) fn encode(key: &[u8; 32], component: &[u8], artifact: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + component.len() + artifact.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(component.len() as u64).to_le_bytes());
    out.extend_from_slice(&(artifact.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload_digest(component, artifact));
    out.extend_from_slice(component);
    out.extend_from_slice(artifact);
    out
}

/// Whether `bytes` looks like a precompiled file (magic only).
pub(crate) fn is_precompiled(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Parses and checks a precompiled file against `key`.
pub(crate) fn decode(bytes: &[u8], key: &[u8; 32]) -> Result<Precompiled, CacheError> {
    let header = bytes.get(..HEADER).ok_or(CacheError::NotPrecompiled)?;
    if &header[..8] != MAGIC {
        return Err(CacheError::NotPrecompiled);
    }
    let u64_at = |at: usize| u64::from_le_bytes(header[at..at + 8].try_into().unwrap_or_default());
    if header[8..12] != VERSION.to_le_bytes() || &header[12..44] != key {
        return Err(CacheError::Stale);
    }
    let component_len = usize::try_from(u64_at(44)).map_err(|_| CacheError::Corrupted)?;
    let artifact_len = usize::try_from(u64_at(52)).map_err(|_| CacheError::Corrupted)?;
    let payload = &bytes[HEADER..];
    if Some(payload.len()) != component_len.checked_add(artifact_len) {
        return Err(CacheError::Corrupted);
    }
    let (component, artifact) = payload.split_at(component_len);
    if header[60..92] != payload_digest(component, artifact) {
        return Err(CacheError::Corrupted);
    }
    Ok(Precompiled { component: component.to_vec(), artifact: artifact.to_vec() })
}

/// Where the compiled form of `component` lives in `dir`.
pub(crate) fn cache_path(dir: &Path, key: &[u8; 32], component: &[u8]) -> PathBuf {
    let mut hasher = Sha256::new();
    hasher.update(key);
    hasher.update(component);
    let name: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{name}.cwasm"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let key = [7; 32];
        let file = encode(&key, b"component", b"artifact");
        let back = decode(&file, &key).unwrap();
        assert_eq!((back.component.as_slice(), back.artifact.as_slice()), (&b"component"[..], &b"artifact"[..]));
        assert_eq!(decode(&file, &[8; 32]).unwrap_err(), CacheError::Stale);
        let mut flipped = file.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(decode(&flipped, &key).unwrap_err(), CacheError::Corrupted);
        assert_eq!(decode(&file[..file.len() - 1], &key).unwrap_err(), CacheError::Corrupted);
        assert_eq!(decode(b"\\0asm", &key).unwrap_err(), CacheError::NotPrecompiled);
    }
}
