//! Parsing a package: header (magic, versions), section table, header and section CRCs,
//! section bounds and overlaps, then the layer table against the image (`layers.rs`).

use super::{
    header_crc, LayerEntry, Package, PackageError, SectionId, HEADER_BYTES, LAYER_ENTRY_BYTES,
    PACKAGE_FORMAT_VERSION, PACKAGE_MAGIC, SECTION_ALIGN, SECTION_ENTRY_BYTES,
};
use crate::image::{IMAGE_FORMAT_VERSION, IMAGE_FORMAT_VERSION_1, WORD_BYTES};
use bytes::Buf;

impl Package {
    /// Parses and validates a package (see the module documentation for what is checked).
    pub fn from_bytes(bytes: &[u8]) -> Result<Package, PackageError> {
        let len = bytes.len() as u64;
        if bytes.len() < HEADER_BYTES {
            return Err(PackageError::Truncated {
                what: "header",
                needed: HEADER_BYTES as u64,
                available: len,
            });
        }
        let magic: [u8; 8] = bytes[0..8].try_into().unwrap();
        if magic != PACKAGE_MAGIC {
            return Err(PackageError::BadMagic { found: magic });
        }
        // After the magic: format version, image format version, section count,
        // reserved, load address, header CRC.
        let mut header = &bytes[8..HEADER_BYTES];
        let version = header.get_u16_le();
        let image_version = header.get_u16_le();
        let count = header.get_u16_le() as usize;
        header.advance(2);
        let load_addr = header.get_u32_le();
        let stored = header.get_u32_le();
        if version != PACKAGE_FORMAT_VERSION {
            return Err(PackageError::UnsupportedVersion {
                field: "format_version",
                found: version,
                supported: PACKAGE_FORMAT_VERSION,
            });
        }
        if image_version != IMAGE_FORMAT_VERSION && image_version != IMAGE_FORMAT_VERSION_1 {
            return Err(PackageError::UnsupportedVersion {
                field: "image_format_version",
                found: image_version,
                supported: IMAGE_FORMAT_VERSION,
            });
        }
        let table_end = HEADER_BYTES + count * SECTION_ENTRY_BYTES;
        if bytes.len() < table_end {
            return Err(PackageError::Truncated {
                what: "section table",
                needed: table_end as u64,
                available: len,
            });
        }
        let computed = header_crc(&bytes[..table_end]);
        if stored != computed {
            return Err(PackageError::HeaderCrc { stored, computed });
        }
        let mut found: Vec<(SectionId, u64, u64)> = Vec::new();
        for k in 0..count {
            let e = HEADER_BYTES + k * SECTION_ENTRY_BYTES;
            // Id, reserved, CRC, offset, length.
            let mut entry = &bytes[e..e + SECTION_ENTRY_BYTES];
            let raw_id = entry.get_u16_le();
            let id =
                SectionId::from_u16(raw_id).ok_or(PackageError::UnknownSection { id: raw_id })?;
            if found.iter().any(|(s, _, _)| *s == id) {
                return Err(PackageError::DuplicateSection { section: id.name() });
            }
            entry.advance(2);
            let (crc, offset, length) =
                (entry.get_u32_le(), entry.get_u64_le(), entry.get_u64_le());
            if offset % SECTION_ALIGN as u64 != 0 {
                return Err(PackageError::SectionMisaligned {
                    section: id.name(),
                    offset,
                });
            }
            if offset < table_end as u64
                || !matches!(offset.checked_add(length), Some(end) if end <= len)
            {
                return Err(PackageError::SectionOutOfBounds {
                    section: id.name(),
                    offset,
                    length,
                    file_length: len,
                });
            }
            let data = &bytes[offset as usize..(offset + length) as usize];
            let computed = crc32fast::hash(data);
            if computed != crc {
                return Err(PackageError::SectionCrc {
                    section: id.name(),
                    stored: crc,
                    computed,
                });
            }
            for (other, o_off, o_len) in &found {
                if offset < o_off + o_len && *o_off < offset + length {
                    return Err(PackageError::SectionsOverlap {
                        first: other.name(),
                        second: id.name(),
                    });
                }
            }
            found.push((id, offset, length));
        }
        let section = |id: SectionId| -> Result<&[u8], PackageError> {
            let (_, off, len) = found
                .iter()
                .find(|(s, _, _)| *s == id)
                .ok_or(PackageError::MissingSection { section: id.name() })?;
            Ok(&bytes[*off as usize..(*off + *len) as usize])
        };
        let model = std::str::from_utf8(section(SectionId::Model)?)
            .map_err(|_| PackageError::ModelNotUtf8)?
            .to_string();
        let layer_bytes = section(SectionId::Layers)?;
        if layer_bytes.len() % LAYER_ENTRY_BYTES != 0 {
            return Err(PackageError::SectionLength {
                section: "layers",
                length: layer_bytes.len() as u64,
                multiple_of: LAYER_ENTRY_BYTES as u64,
            });
        }
        let layers = layer_bytes
            .chunks(LAYER_ENTRY_BYTES)
            .enumerate()
            .map(|(i, b)| LayerEntry::from_bytes(i, b))
            .collect::<Result<Vec<_>, _>>()?;
        let image = section(SectionId::Image)?;
        if image.len() % WORD_BYTES != 0 {
            return Err(PackageError::SectionLength {
                section: "image",
                length: image.len() as u64,
                multiple_of: WORD_BYTES as u64,
            });
        }
        let package = Package {
            load_addr,
            model,
            layers,
            image: image.to_vec(),
        };
        package.validate_layers()?;
        Ok(package)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::small_package;
    use super::*;

    #[test]
    fn every_flipped_byte_is_detected() {
        let bytes = small_package().to_bytes();
        for k in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[k] ^= 0x40;
            // Padding bytes between sections are not covered by any CRC.
            let padding = Package::from_bytes(&bad).is_ok();
            if padding {
                assert!(bytes[k] == 0, "byte {k} changed silently");
            }
        }
    }

    #[test]
    fn truncation_and_versions_are_reported() {
        let bytes = small_package().to_bytes();
        assert!(matches!(
            Package::from_bytes(&bytes[..10]),
            Err(PackageError::Truncated { .. })
        ));
        assert!(matches!(
            Package::from_bytes(&bytes[..bytes.len() - 1]),
            Err(PackageError::SectionOutOfBounds {
                section: "image",
                ..
            })
        ));
        let mut v2 = bytes.clone();
        v2[8] = 2;
        assert!(matches!(
            Package::from_bytes(&v2),
            Err(PackageError::UnsupportedVersion {
                field: "format_version",
                found: 2,
                ..
            })
        ));
    }
}
