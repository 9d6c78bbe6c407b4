//! The layer table: one [`LayerEntry`] per layer, and the check of each entry against the
//! descriptor, passes and column record headers it names in the image.

use super::{LayerProblem, Package, PackageError, LAYER_ENTRY_BYTES};
use crate::image::{
    self, LayerDescriptor, LayerKind, FLAG_TOKEN_INPUT, FLAG_WIDE_ENTRIES, LAYER_DESC_WORDS,
    WORD_BYTES,
};
use bytes::{Buf, BufMut};

/// One layer table entry (16 bytes):
/// | bytes | field |
/// |---|---|
/// | 0..4 | desc_addr: absolute word address of the layer descriptor |
/// | 4 | kind ([`LayerKind`]) |
/// | 5 | flags (as the descriptor header: wide entries, token input) |
/// | 6..8 | n_in |
/// | 8..10 | n_hidden (N_out for FC) |
/// | 10..16 | reserved, 0 |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerEntry {
    pub desc_addr: u32,
    pub kind: LayerKind,
    pub wide_entries: bool,
    /// Token input, x pass folded (`image::FLAG_TOKEN_INPUT`); n_in is then V.
    pub token_input: bool,
    pub n_in: u16,
    pub n_hidden: u16,
}

impl LayerEntry {
    pub fn to_bytes(&self) -> [u8; LAYER_ENTRY_BYTES] {
        let mut b = [0u8; LAYER_ENTRY_BYTES];
        let mut w = &mut b[..];
        w.put_u32_le(self.desc_addr);
        w.put_u8(self.kind as u8);
        let mut flags = 0;
        if self.wide_entries {
            flags |= FLAG_WIDE_ENTRIES;
        }
        if self.token_input {
            flags |= FLAG_TOKEN_INPUT;
        }
        w.put_u8(flags);
        w.put_u16_le(self.n_in);
        w.put_u16_le(self.n_hidden);
        b
    }

    pub(super) fn from_bytes(index: usize, b: &[u8]) -> Result<LayerEntry, PackageError> {
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
            token_input: flags & FLAG_TOKEN_INPUT != 0,
            n_in: r.get_u16_le(),
            n_hidden: r.get_u16_le(),
        })
    }

    /// Elements of one step's input vector: n_in, or the token's bytes for a token-input
    /// layer.
    pub fn input_len(&self) -> usize {
        if self.token_input {
            image::TOKEN_INPUT_BYTES
        } else {
            self.n_in as usize
        }
    }

    /// Rows of pass 0 (gates * H, or N_out for FC).
    pub fn pass_rows(&self) -> usize {
        self.kind.gates() * self.n_hidden as usize
    }
}

impl Package {
    pub(super) fn validate_layers(&self) -> Result<(), PackageError> {
        for (index, entry) in self.layers.iter().enumerate() {
            self.check_layer(index, entry)?;
        }
        Ok(())
    }

    /// Decodes and checks one layer's descriptor, passes and record headers.
    pub(super) fn check_layer(
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
        let checks: [(&'static str, u32, u32); 5] = [
            ("kind", entry.kind as u32, desc.kind as u32),
            ("flags", entry.wide_entries as u32, desc.wide_entries as u32),
            (
                "token input",
                entry.token_input as u32,
                desc.token_input as u32,
            ),
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
            // A token-input layer's x pass is folded: no columns, and one block of
            // epilogue rows per token (`image` "Token-input layers").
            let folded = p == 0 && desc.token_input;
            let expected_in = match (p, folded) {
                (_, true) => 0,
                (0, false) => desc.n_in,
                _ => desc.n_hidden,
            };
            let epilogue_rows = if folded {
                pass.n_out as u64 * desc.n_in as u64
            } else {
                pass.n_out as u64
            };
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
            if !inside(pass.epilogue_addr as u64, epilogue_rows) {
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::small_package;
    use super::*;

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
