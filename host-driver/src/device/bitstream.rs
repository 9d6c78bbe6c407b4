//! Bitstream manifests (`crew_spec::manifest`, bitstreams/README.md): `crew-xem7010-<hash>.bit`
//! comes with `crew-xem7010-<hash>.json` naming the board model, design id, register map
//! (protocol) version, image format version, engine parameters and the bitstream's sha256.
//! `crew-host flash` checks the manifest before configuring and the identity wires after.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crew_spec::manifest::Manifest;

use crate::error::BitstreamError;

/// The manifest path of a bitstream file.
pub fn manifest_path(bit: &Path) -> PathBuf {
    bit.with_extension("json")
}

/// Reads the bitstream's manifest, checks the file's sha256 and that this host speaks the
/// bitstream's register map and image format.
pub fn read_and_check(bit: &Path) -> Result<(PathBuf, Manifest), BitstreamError> {
    let bytes = std::fs::read(bit).map_err(|error| BitstreamError::Io {
        path: bit.into(),
        error,
    })?;
    let path = manifest_path(bit);
    if !path.is_file() {
        return Err(BitstreamError::NoManifest {
            bit: bit.into(),
            manifest: path,
        });
    }
    let text = std::fs::read_to_string(&path).map_err(|error| BitstreamError::Io {
        path: path.clone(),
        error,
    })?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| BitstreamError::BadManifest {
            path: path.clone(),
            message: e.to_string(),
        })?;
    let found: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let Some(expected) = &manifest.bitstream_sha256 else {
        return Err(BitstreamError::BadManifest {
            path,
            message: "no bitstream_sha256: this is a build folder's manifest, not one of a \
                      built bitstream"
                .into(),
        });
    };
    if !found.eq_ignore_ascii_case(expected) {
        return Err(BitstreamError::Checksum {
            bit: bit.into(),
            expected: expected.clone(),
            found,
        });
    }
    use crew_spec::{image, regmap};
    for (what, found, expected) in [
        ("design id", manifest.design_id, regmap::DESIGN_ID),
        (
            "protocol version",
            manifest.protocol_version,
            regmap::PROTOCOL_VERSION,
        ),
        (
            "image format version",
            manifest.image_format_version,
            image::IMAGE_FORMAT_VERSION,
        ),
    ] {
        if found != expected {
            return Err(BitstreamError::Incompatible {
                bit: bit.into(),
                what,
                found: format!("{found:#x}"),
                expected: format!("{expected:#x}"),
            });
        }
    }
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
