//! What can be wrong with a package file, and with one of its layers.

use super::{PACKAGE_MAGIC, SECTION_ALIGN};
use crate::image::ImageError;

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
