//! Bitstream manifests (bitstreams/README.md): a built `<hash>.bit` comes with
//! `<hash>.manifest.toml` (or `<hash>.toml`) naming the board model, design id, register
//! map (protocol) version and engine parameters. `crew-host flash` checks the manifest
//! against the board before configuring and against the identity wires afterwards.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The manifest fields the host checks (other fields are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Manifest {
    /// FrontPanel board model string, e.g. "XEM7010-A50".
    pub board_model: String,
    pub design_id: u16,
    pub protocol_version: u16,
    #[serde(default)]
    pub engine_kind: Option<u16>,
    #[serde(default)]
    pub design_hash: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BitstreamError {
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{} has no manifest (looked for {})", bit.display(), tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NoManifest { bit: PathBuf, tried: Vec<PathBuf> },
    #[error("manifest {}: {message}", path.display())]
    BadManifest { path: PathBuf, message: String },
    #[error("{} is built for {expected}, the board is a {found}", bit.display())]
    WrongBoard {
        bit: PathBuf,
        expected: String,
        found: String,
    },
}

/// Candidate manifest paths for a bitstream file.
pub fn manifest_paths(bit: &Path) -> Vec<PathBuf> {
    vec![
        bit.with_extension("manifest.toml"),
        bit.with_extension("toml"),
    ]
}

/// Reads the bitstream's manifest and checks the file exists.
pub fn read_manifest(bit: &Path) -> Result<(PathBuf, Manifest), BitstreamError> {
    std::fs::metadata(bit).map_err(|error| BitstreamError::Io {
        path: bit.into(),
        error,
    })?;
    let tried = manifest_paths(bit);
    let path =
        tried
            .iter()
            .find(|p| p.is_file())
            .cloned()
            .ok_or_else(|| BitstreamError::NoManifest {
                bit: bit.into(),
                tried: tried.clone(),
            })?;
    let text = std::fs::read_to_string(&path).map_err(|error| BitstreamError::Io {
        path: path.clone(),
        error,
    })?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| BitstreamError::BadManifest {
        path: path.clone(),
        message: e.to_string(),
    })?;
    Ok((path, manifest))
}

/// Checks the board model FrontPanel reports against the manifest.
pub fn check_board(
    bit: &Path,
    manifest: &Manifest,
    board_model: &str,
) -> Result<(), BitstreamError> {
    if manifest.board_model == board_model {
        Ok(())
    } else {
        Err(BitstreamError::WrongBoard {
            bit: bit.into(),
            expected: manifest.board_model.clone(),
            found: board_model.into(),
        })
    }
}
