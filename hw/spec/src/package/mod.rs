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
//!
//! Files: `write.rs` serializes, `read.rs` parses the header and sections and checks the
//! CRCs, `layers.rs` holds the layer table and checks it against the image, `error.rs`
//! says what is wrong with a file.

mod error;
mod layers;
mod read;
mod write;

pub use error::{LayerProblem, PackageError};
pub use layers::LayerEntry;

use crate::image::{self, LayerDescriptor, WORD_BYTES};

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

    /// Decodes the descriptor of layer `index` from the image (validated at load).
    pub fn descriptor(&self, index: usize) -> Result<LayerDescriptor, PackageError> {
        let entry = &self.layers[index];
        self.check_layer(index, entry)
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
mod fixtures {
    use super::{LayerEntry, Package};
    use crate::image::{
        self, encode_record, EpilogueRow, LayerDescriptor, LayerKind, PassDescriptor,
        LAYER_DESC_WORDS,
    };

    /// A one-layer FC package: 3 inputs, 5 outputs, at load address 100.
    pub fn small_package() -> Package {
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
            token_input: false,
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
                token_input: false,
                n_in: 3,
                n_hidden: 5,
            }],
            image: image::words_to_bytes(&words),
        }
    }
}
