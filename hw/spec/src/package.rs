//! The `.crew` package container: what the compiler writes and every loader (host driver,
//! simulated board, firmware tools) reads. One definition so the format has one home.
//!
//! # File layout (all integers little-endian)
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic [`PACKAGE_MAGIC`] |
//! | 8 | 2 | package format version [`PACKAGE_FORMAT_VERSION`] |
//! | 10 | 2 | DRAM image format version ([`crate::image::IMAGE_FORMAT_VERSION`]) |
//! | 12 | 2 | section count n |
//! | 14 | 2 | reserved, 0 |
//! | 16 | 4 | load address: DRAM word address where the image's word 0 goes |
//! | 20 | 4 | CRC32 of bytes 0..20 and of the section table |
//! | 24 | 24 n | section table |
//!
//! Section table entry (24 bytes): id u16 ([`SectionId`]), reserved u16 (0), CRC32 u32 of
//! the section bytes, offset u64 (from the start of the file), length u64 (bytes).
//! Sections follow the table, each starting on a 16-byte boundary (zero padding between);
//! they must not overlap and must lie inside the file. Every id appears exactly once.
//!
//! # Sections
//! - [`SectionId::Model`]: UTF-8 JSON model description, owned by the host driver (names,
//!   scales, embeddings, vocabularies, decoding). Loaders that only run layers may skip it.
//! - [`SectionId::Layers`]: the layer table, [`LAYER_ENTRY_BYTES`] per layer ([`LayerEntry`]).
//! - [`SectionId::Image`]: the DRAM image bytes exactly as the board holds them (length a
//!   multiple of 16), to be written at the load address. All addresses inside it (layer
//!   descriptors, records, epilogue rows) are absolute DRAM word addresses. Run-time
//!   vectors (inputs, outputs, state) go at or above `load_addr + image words`.
//!
//! [`Package::from_bytes`] checks everything a loader needs before it touches a board:
//! magic, versions, CRCs, lengths, the layer table against the descriptors it names, and
//! every column record header of every pass.

use bytes::{Buf, BufMut};

use crate::image::{
    self, ImageError, LayerDescriptor, LayerKind, FLAG_WIDE_ENTRIES, IMAGE_FORMAT_VERSION,
    LAYER_DESC_WORDS, WORD_BYTES,
};

/// First 8 bytes of a package ("CREWPKG" and a DOS end-of-file byte, as PNG does).
pub const PACKAGE_MAGIC: [u8; 8] = *b"CREWPKG\x1a";
/// Version of this container layout.
pub const PACKAGE_FORMAT_VERSION: u16 = 1;
/// Bytes of the fixed header before the section table.
pub const HEADER_BYTES: usize = 24;
/// Bytes of one section table entry.
pub const SECTION_ENTRY_BYTES: usize = 24;
/// Bytes of one layer table entry.
pub const LAYER_ENTRY_BYTES: usize = 16;
/// Sections start on multiples of this.
pub const SECTION_ALIGN: usize = 16;

/// Section ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
pub enum SectionId {
    Model = 1,
    Layers = 2,
    Image = 3,
}

impl SectionId {
    pub const ALL: [SectionId; 3] = [SectionId::Model, SectionId::Layers, SectionId::Image];

    pub fn from_u16(v: u16) -> Option<SectionId> {
        Self::ALL.iter().copied().find(|s| *s as u16 == v)
    }

    pub fn name(self) -> &'static str {
        match self {
            SectionId::Model => "model",
            SectionId::Layers => "layers",
            SectionId::Image => "image",
        }
    }
}

/// One layer table entry (16 bytes):
/// | bytes | field |
/// |---|---|
/// | 0..4 | desc_addr: absolute word address of the layer descriptor |
/// | 4 | kind ([`LayerKind`]) |
/// | 5 | flags (as the descriptor header) |
/// | 6..8 | n_in |
/// | 8..10 | n_hidden (N_out for FC) |
/// | 10..16 | reserved, 0 |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerEntry {
    pub desc_addr: u32,
    pub kind: LayerKind,
    pub wide_entries: bool,
    pub n_in: u16,
    pub n_hidden: u16,
}

impl LayerEntry {
    pub fn to_bytes(&self) -> [u8; LAYER_ENTRY_BYTES] {
        let mut b = [0u8; LAYER_ENTRY_BYTES];
        let mut w = &mut b[..];
        w.put_u32_le(self.desc_addr);
        w.put_u8(self.kind as u8);
        w.put_u8(if self.wide_entries {
            FLAG_WIDE_ENTRIES
        } else {
            0
        });
        w.put_u16_le(self.n_in);
        w.put_u16_le(self.n_hidden);
        b
    }

    fn from_bytes(index: usize, b: &[u8]) -> Result<LayerEntry, PackageError> {
        let kind = LayerKind::from_u8(b[4]).ok_or(PackageError::Layer {
            index,
            problem: LayerProblem::BadKind(b[4]),
        })?;
        let mut r = b;
        let desc_addr = r.get_u32_le();
        r.advance(1); // the kind, checked above
        let flags = r.get_u8();
        Ok(LayerEntry {
            desc_addr,
            kind,
            wide_entries: flags & FLAG_WIDE_ENTRIES != 0,
            n_in: r.get_u16_le(),
            n_hidden: r.get_u16_le(),
        })
    }

    /// Rows of pass 0 (gates * H, or N_out for FC).
    pub fn pass_rows(&self) -> usize {
        self.kind.gates() * self.n_hidden as usize
    }
}

/// What is wrong with one layer of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerProblem {
    BadKind(u8),
    /// The descriptor address lies outside the image.
    DescriptorOutsideImage {
        desc_addr: u32,
    },
    /// The descriptor does not decode.
    Descriptor(ImageError),
    /// The descriptor disagrees with the layer table.
    TableMismatch {
        field: &'static str,
        table: u32,
        descriptor: u32,
    },
    /// A pass's fields are inconsistent with the layer (rows, columns).
    PassShape {
        pass: usize,
        field: &'static str,
        expected: u32,
        found: u32,
    },
    /// A pass's records or epilogue rows lie outside the image.
    PassOutsideImage {
        pass: usize,
        what: &'static str,
    },
    /// A column record does not decode.
    Record {
        pass: usize,
        column: usize,
        error: ImageError,
    },
    /// The records do not add up to the pass's `records_words`.
    RecordsLength {
        pass: usize,
        declared: u32,
        found: u64,
    },
}

impl std::fmt::Display for LayerProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LayerProblem::BadKind(k) => write!(f, "kind {k} is not 0 (FC), 1 (GRU) or 2 (LSTM)"),
            LayerProblem::DescriptorOutsideImage { desc_addr } => {
                write!(f, "descriptor address {desc_addr} lies outside the image")
            }
            LayerProblem::Descriptor(e) => write!(f, "descriptor: {e}"),
            LayerProblem::TableMismatch {
                field,
                table,
                descriptor,
            } => write!(
                f,
                "field {field}: layer table says {table}, descriptor says {descriptor}"
            ),
            LayerProblem::PassShape {
                pass,
                field,
                expected,
                found,
            } => write!(
                f,
                "pass {pass} field {field} is {found}, expected {expected}"
            ),
            LayerProblem::PassOutsideImage { pass, what } => {
                write!(f, "pass {pass}: {what} lie outside the image")
            }
            LayerProblem::Record {
                pass,
                column,
                error,
            } => write!(f, "pass {pass} column record {column}: {error}"),
            LayerProblem::RecordsLength {
                pass,
                declared,
                found,
            } => write!(
                f,
                "pass {pass}: records_words is {declared} but the records take {found} words"
            ),
        }
    }
}

/// A problem reading a package. Names the section or field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageError {
    Truncated {
        what: &'static str,
        needed: u64,
        available: u64,
    },
    BadMagic {
        found: [u8; 8],
    },
    UnsupportedVersion {
        field: &'static str,
        found: u16,
        supported: u16,
    },
    HeaderCrc {
        stored: u32,
        computed: u32,
    },
    UnknownSection {
        id: u16,
    },
    DuplicateSection {
        section: &'static str,
    },
    MissingSection {
        section: &'static str,
    },
    SectionOutOfBounds {
        section: &'static str,
        offset: u64,
        length: u64,
        file_length: u64,
    },
    SectionMisaligned {
        section: &'static str,
        offset: u64,
    },
    SectionsOverlap {
        first: &'static str,
        second: &'static str,
    },
    SectionCrc {
        section: &'static str,
        stored: u32,
        computed: u32,
    },
    SectionLength {
        section: &'static str,
        length: u64,
        multiple_of: u64,
    },
    ModelNotUtf8,
    Layer {
        index: usize,
        problem: LayerProblem,
    },
}

impl std::fmt::Display for PackageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use PackageError::*;
        match self {
            Truncated {
                what,
                needed,
                available,
            } => write!(
                f,
                "truncated: {what} needs {needed} bytes, the file has {available}"
            ),
            BadMagic { found } => write!(
                f,
                "not a CREW package: magic {found:02x?}, expected {PACKAGE_MAGIC:02x?}"
            ),
            UnsupportedVersion {
                field,
                found,
                supported,
            } => write!(
                f,
                "header field {field} is {found}, this build reads version {supported}"
            ),
            HeaderCrc { stored, computed } => write!(
                f,
                "header CRC32 mismatch (stored {stored:#010x}, computed {computed:#010x})"
            ),
            UnknownSection { id } => write!(f, "section table: unknown section id {id}"),
            DuplicateSection { section } => {
                write!(f, "section table: section {section} appears twice")
            }
            MissingSection { section } => write!(f, "section {section} is missing"),
            SectionOutOfBounds {
                section,
                offset,
                length,
                file_length,
            } => write!(
                f,
                "section {section} (offset {offset}, {length} bytes) runs past the end of the \
                 file ({file_length} bytes)"
            ),
            SectionMisaligned { section, offset } => write!(
                f,
                "section {section} starts at offset {offset}, not a multiple of {SECTION_ALIGN}"
            ),
            SectionsOverlap { first, second } => {
                write!(f, "sections {first} and {second} overlap")
            }
            SectionCrc {
                section,
                stored,
                computed,
            } => write!(
                f,
                "section {section}: CRC32 mismatch (stored {stored:#010x}, computed \
                 {computed:#010x})"
            ),
            SectionLength {
                section,
                length,
                multiple_of,
            } => write!(
                f,
                "section {section}: length {length} is not a multiple of {multiple_of}"
            ),
            ModelNotUtf8 => write!(f, "section model: not UTF-8 text"),
            Layer { index, problem } => write!(f, "section layers: layer {index}: {problem}"),
        }
    }
}

impl std::error::Error for PackageError {}

/// A package in memory: the three sections, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// DRAM word address of the image's first word.
    pub load_addr: u32,
    /// JSON model description (host-side metadata).
    pub model: String,
    pub layers: Vec<LayerEntry>,
    /// The DRAM image bytes (length a multiple of [`WORD_BYTES`]).
    pub image: Vec<u8>,
}

impl Package {
    /// Image words (u128, little-endian per [`crate::image`]).
    pub fn image_words(&self) -> Vec<u128> {
        image::bytes_to_words(&self.image)
    }

    /// First word address past the image: run-time vectors go here or above.
    pub fn end_addr(&self) -> u64 {
        self.load_addr as u64 + (self.image.len() / WORD_BYTES) as u64
    }

    /// Serializes the package. Panics if the image length is not whole words (a compiler bug).
    pub fn to_bytes(&self) -> Vec<u8> {
        assert!(
            self.image.len() % WORD_BYTES == 0,
            "image is not whole words"
        );
        let layers: Vec<u8> = self.layers.iter().flat_map(|l| l.to_bytes()).collect();
        let sections: [(SectionId, &[u8]); 3] = [
            (SectionId::Model, self.model.as_bytes()),
            (SectionId::Layers, &layers),
            (SectionId::Image, &self.image),
        ];
        let table_end = HEADER_BYTES + SECTION_ENTRY_BYTES * sections.len();
        let mut offset = table_end.next_multiple_of(SECTION_ALIGN);
        let mut out = Vec::new();
        out.put_slice(&PACKAGE_MAGIC);
        out.put_u16_le(PACKAGE_FORMAT_VERSION);
        out.put_u16_le(IMAGE_FORMAT_VERSION);
        out.put_u16_le(sections.len() as u16);
        out.put_u16_le(0);
        out.put_u32_le(self.load_addr);
        out.put_u32_le(0); // header CRC, filled in below
        let mut offsets = Vec::new();
        for (id, data) in &sections {
            out.put_u16_le(*id as u16);
            out.put_u16_le(0);
            out.put_u32_le(crc32fast::hash(data));
            out.put_u64_le(offset as u64);
            out.put_u64_le(data.len() as u64);
            offsets.push(offset);
            offset = (offset + data.len()).next_multiple_of(SECTION_ALIGN);
        }
        let crc = header_crc(&out);
        (&mut out[20..24]).put_u32_le(crc);
        for ((_, data), off) in sections.iter().zip(offsets) {
            out.resize(off, 0);
            out.extend_from_slice(data);
        }
        out
    }

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
        if image_version != IMAGE_FORMAT_VERSION {
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

    /// Decodes the descriptor of layer `index` from the image (validated at load).
    pub fn descriptor(&self, index: usize) -> Result<LayerDescriptor, PackageError> {
        let entry = &self.layers[index];
        self.check_layer(index, entry)
    }

    fn validate_layers(&self) -> Result<(), PackageError> {
        for (index, entry) in self.layers.iter().enumerate() {
            self.check_layer(index, entry)?;
        }
        Ok(())
    }

    /// Decodes and checks one layer's descriptor, passes and record headers.
    fn check_layer(
        &self,
        index: usize,
        entry: &LayerEntry,
    ) -> Result<LayerDescriptor, PackageError> {
        // Word k of the image, read in place (no copy of the whole image per call).
        let word = |k: usize| (&self.image[k * WORD_BYTES..]).get_u128_le();
        let fail = |problem| PackageError::Layer { index, problem };
        let image_end = self.end_addr();
        let inside = |addr: u64, n: u64| addr >= self.load_addr as u64 && addr + n <= image_end;
        let local = |addr: u64| (addr - self.load_addr as u64) as usize;
        if !inside(entry.desc_addr as u64, LAYER_DESC_WORDS as u64) {
            return Err(fail(LayerProblem::DescriptorOutsideImage {
                desc_addr: entry.desc_addr,
            }));
        }
        let at = local(entry.desc_addr as u64);
        let desc_words: Vec<u128> = (at..at + LAYER_DESC_WORDS).map(word).collect();
        let desc = LayerDescriptor::from_words(&desc_words)
            .map_err(|e| fail(LayerProblem::Descriptor(e)))?;
        let checks: [(&'static str, u32, u32); 4] = [
            ("kind", entry.kind as u32, desc.kind as u32),
            ("flags", entry.wide_entries as u32, desc.wide_entries as u32),
            ("n_in", entry.n_in as u32, desc.n_in as u32),
            ("n_hidden", entry.n_hidden as u32, desc.n_hidden as u32),
        ];
        for (field, table, descriptor) in checks {
            if table != descriptor {
                return Err(fail(LayerProblem::TableMismatch {
                    field,
                    table,
                    descriptor,
                }));
            }
        }
        for (p, pass) in desc.passes.iter().enumerate() {
            let expected_in = if p == 0 { desc.n_in } else { desc.n_hidden };
            let expected_out = desc.kind.gates() * desc.n_hidden as usize;
            for (field, expected, found) in [
                ("n_in", expected_in as u32, pass.n_in as u32),
                ("n_out", expected_out as u32, pass.n_out as u32),
            ] {
                if expected != found {
                    return Err(fail(LayerProblem::PassShape {
                        pass: p,
                        field,
                        expected,
                        found,
                    }));
                }
            }
            if !inside(pass.epilogue_addr as u64, pass.n_out as u64) {
                return Err(fail(LayerProblem::PassOutsideImage {
                    pass: p,
                    what: "epilogue rows",
                }));
            }
            if !inside(pass.records_addr as u64, pass.records_words as u64) {
                return Err(fail(LayerProblem::PassOutsideImage {
                    pass: p,
                    what: "column records",
                }));
            }
            let start = local(pass.records_addr as u64);
            let records_words = pass.records_words as u64;
            let mut used = 0u64;
            for column in 0..pass.n_in as usize {
                let record_error = |error| {
                    fail(LayerProblem::Record {
                        pass: p,
                        column,
                        error,
                    })
                };
                if used >= records_words {
                    return Err(fail(LayerProblem::RecordsLength {
                        pass: p,
                        declared: pass.records_words,
                        found: used + 1,
                    }));
                }
                let (unique, bits) =
                    image::record_header(word(start + used as usize)).map_err(record_error)?;
                used += (image::table_part_words(unique, desc.wide_entries)
                    + image::index_part_words(pass.n_out as usize, bits))
                    as u64;
            }
            if used != pass.records_words as u64 {
                return Err(fail(LayerProblem::RecordsLength {
                    pass: p,
                    declared: pass.records_words,
                    found: used,
                }));
            }
        }
        Ok(desc)
    }
}

/// CRC32 of the fixed header (with the CRC field taken as 0) and the section table.
fn header_crc(header_and_table: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&header_and_table[..20]);
    h.update(&[0u8; 4]);
    h.update(&header_and_table[HEADER_BYTES..]);
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{encode_record, EpilogueRow, PassDescriptor};

    /// A one-layer FC package: 3 inputs, 5 outputs, at load address 100.
    fn small_package() -> Package {
        let load = 100u32;
        let mut words: Vec<u128> = vec![0; LAYER_DESC_WORDS];
        let records_addr = load + words.len() as u32;
        for i in 0..3 {
            let table: Vec<i16> = (0..=i as i16).collect();
            let indices: Vec<u16> = (0..5).map(|o| (o % (i + 1)) as u16).collect();
            words.extend(encode_record(
                &table,
                false,
                image::index_bits(i + 1),
                &indices,
            ));
        }
        let records_words = words.len() as u32 - LAYER_DESC_WORDS as u32;
        let epilogue_addr = load + words.len() as u32;
        words.extend((0..5).map(|o| {
            EpilogueRow {
                bias: o,
                multiplier: 0,
                shift: 1,
            }
            .to_word()
        }));
        let desc = LayerDescriptor {
            kind: LayerKind::Fc,
            wide_entries: false,
            dense: false,
            n_in: 3,
            n_hidden: 5,
            passes: vec![PassDescriptor {
                records_addr,
                epilogue_addr,
                n_in: 3,
                n_out: 5,
                records_words,
            }],
        };
        words[..LAYER_DESC_WORDS].copy_from_slice(&desc.to_words());
        Package {
            load_addr: load,
            model: "{}".into(),
            layers: vec![LayerEntry {
                desc_addr: load,
                kind: LayerKind::Fc,
                wide_entries: false,
                n_in: 3,
                n_hidden: 5,
            }],
            image: image::words_to_bytes(&words),
        }
    }

    #[test]
    fn package_round_trips() {
        let p = small_package();
        let bytes = p.to_bytes();
        assert_eq!(Package::from_bytes(&bytes).unwrap(), p);
        assert_eq!(p.descriptor(0).unwrap().passes[0].n_out, 5);
    }

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

    #[test]
    fn inconsistent_layer_table_is_reported() {
        let mut p = small_package();
        p.layers[0].n_in = 4;
        let err = Package::from_bytes(&p.to_bytes()).unwrap_err();
        assert!(matches!(
            err,
            PackageError::Layer {
                index: 0,
                problem: LayerProblem::TableMismatch { field: "n_in", .. }
            }
        ));
    }
}
