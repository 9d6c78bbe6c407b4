//! The DRAM image format: what the compiler writes and the engine reads.
//!
//! # Words
//! DRAM is addressed in 128-bit words ("word address" = index of a 16-byte word). A word is
//! little-endian: byte `k` of the word is bits `[8k+7 : 8k]`. An image held on the host is a
//! byte vector whose length is a multiple of 16; word `w` is bytes `16w .. 16w+16`.
//! The MIG user interface addresses 16-bit DRAM columns: MIG `app_addr = word << 3`
//! ([`MIG_ADDR_SHIFT`]).
//!
//! # Layer descriptor (at a word address D, [`LAYER_DESC_WORDS`] words)
//! Word D (header):
//! | bits | field |
//! |---|---|
//! | 7:0 | kind: 0 = FC, 1 = GRU, 2 = LSTM ([`LayerKind`]) |
//! | 15:8 | flags: bit 0 = table entries are 16-bit (else 8-bit); bit 1 = dense layout ([`FLAG_DENSE`], format version 2 addition); bit 2 = token input, folded ([`FLAG_TOKEN_INPUT`], format revision 3) |
//! | 31:16 | n_in: input (x) size; for a token-input layer, V, the number of tokens |
//! | 47:32 | n_hidden: H for GRU/LSTM (pass outputs are gates*H); N_out for FC |
//! | 63:48 | n_passes: 1 for FC, 2 for GRU/LSTM |
//! | 95:64 | reserved, 0 |
//! | 127:96 | magic [`LAYER_MAGIC`] |
//!
//! Words D+1, D+2: pass descriptors (pass 0 = the x pass `W_ih` / `W`; pass 1 = the h pass
//! `W_hh`; unused pass words are 0). Word D+3 is reserved (0).
//!
//! # Pass descriptor (one word)
//! | bits | field |
//! |---|---|
//! | 31:0 | records_addr: word address of column record 0 |
//! | 63:32 | epilogue_addr: word address of the per-output epilogue rows |
//! | 79:64 | n_in: columns of this pass (x size for pass 0, H for pass 1) |
//! | 95:80 | n_out: rows (gates * H, or N_out for FC) |
//! | 127:96 | records_words: total words of all column records (for bounds checks) |
//!
//! # Epilogue rows (one word per output row o, at epilogue_addr + o)
//! | bits | field |
//! |---|---|
//! | 31:0 | bias, int32 in accumulator scale: the accumulator of row o starts at this value |
//! | 63:32 | multiplier M, int32, 0 <= M < 2^31 (unused for FC) |
//! | 69:64 | shift s, 1..=63 (unused for FC) |
//! | 127:70 | reserved, 0 |
//! Rows are in PyTorch gate order: GRU r, z, n; LSTM i, f, g, o; H rows per gate.
//!
//! # Column records (pass records, contiguous from records_addr, column i = 0..n_in)
//! Each record starts on a word boundary and has two parts:
//! 1. Table part: byte 0 = u_i - 1 (u_i = number of unique values, 1..=256), byte 1 = b_i
//!    (index width, 0..=8, with u_i <= 2^b_i), then the u_i table entries U_i[0..u_i], each
//!    int8 (1 byte) or int16 (2 bytes, little-endian) per the layer flag, then zero padding
//!    to a word boundary. Length: [`table_part_words`].
//! 2. Index part: the n_out indices I[o, i] for o = 0..n_out, b_i bits each, as one
//!    little-endian bit stream: index o occupies stream bits `[o*b_i, o*b_i + b_i)`, its
//!    least significant bit at the lower stream bit; stream bit k is bit `k % 128` of word
//!    `k / 128` of the part. Indices may straddle words. Zero padding to a word boundary.
//!    b_i = 0 gives an empty part. Length: [`index_part_words`].
//!
//! # Dense column records (layer flag bit 1, [`FLAG_DENSE`]; added in format revision 2, [`DENSE_IMAGE_FORMAT_VERSION`])
//! For the dense int8 baseline engine (`crew_hw::engine::dense`), a pass's records are the
//! plain int8 weight matrix stored column-major (input-major, like CREW records): column i
//! occupies [`dense_column_words`]`(n_out)` words from `records_addr + i *
//! dense_column_words(n_out)`; byte k of word w of the column is W[16w + k, i] as int8;
//! bytes past n_out are 0. No header, no table. `records_words = n_in *
//! dense_column_words(n_out)`. Descriptor, pass descriptors, epilogue rows and run-time
//! vectors are unchanged. CREW engines reject such layers (the flag is not theirs); the
//! dense engine rejects layers without it. Version-1 images never set the flag.
//!
//! # Token-input layers (layer flag bit 2, [`FLAG_TOKEN_INPUT`]; format revision 3, [`IMAGE_FORMAT_VERSION`])
//! A layer fed by an embedding sees only V distinct inputs x_v, so its x pass `W x + b`
//! takes only V distinct int32 values per row. The compiler stores them and the engine
//! loads them instead of streaming the x pass's records: computation reuse taken to its
//! limit, with the same int32 sums (so bit-exact with the unfolded layer).
//! - Header n_in = V (1..=65535; the x buffer's limit does not apply).
//! - Pass 0 has n_in = 0 columns and no records (`records_words = 0`). Its epilogue rows are
//!   V blocks of n_out rows: token v's block starts at `epilogue_addr + v * n_out`, and its
//!   row o holds `bias = b[o] + sum_i W[o, i] * x_v[i]` (the accumulator the x pass would
//!   end with) with the pass's usual multiplier and shift. Pass 1 is unchanged.
//! - Input vector of a step: one word, bits 15:0 = the token v (little-endian, bytes 0-1;
//!   [`token_input`]), the rest 0. A token >= V stops the run with `BadToken`.
//! - The engine reads the token, then the token's block as the x pass's epilogue rows; the
//!   accumulators the rows add to are 0 (the x pass has no columns).
//!
//! # Run-time vectors (addresses given per run over the register map)
//! - Inputs: step t's x at `in_addr + t * vector_words_i8(n_in)`, int8, byte j = x[j],
//!   zero padding to a word boundary.
//! - State (GRU/LSTM): h (int8, `vector_words_i8(H)` words) at state_addr, then for LSTM
//!   c (int32 little-endian, 4 per word, `vector_words_i32(H)` words). Read at run start,
//!   written back after the last step.
//! - Outputs: GRU/LSTM: h_t (int8) at `out_addr + t * vector_words_i8(H)`. FC: the int32
//!   accumulators (bias included, no requantization) at `out_addr + t * vector_words_i32(N_out)`.

use bytes::{Buf, BufMut};

/// Bytes per DRAM word.
pub const WORD_BYTES: usize = 16;
/// MIG `app_addr = word_address << MIG_ADDR_SHIFT` (x16 DDR3, BL8: 8 columns per word).
pub const MIG_ADDR_SHIFT: u32 = 3;
/// Words of DRAM on the XEM7010 (512 MiB).
pub const DRAM_WORDS: u64 = 512 * 1024 * 1024 / WORD_BYTES as u64;
/// Version of this image format, stored in packages and bitstream manifests: revision 3
/// added token-input layers ([`FLAG_TOKEN_INPUT`]). A revision-1 image (no token-input
/// layers) is a valid revision-3 image, so packages of either are read.
pub const IMAGE_FORMAT_VERSION: u16 = 3;
/// The first image format, which packages written before token-input layers carry.
pub const IMAGE_FORMAT_VERSION_1: u16 = 1;
/// Format revision that added the dense layout ([`FLAG_DENSE`]). CREW images (the only
/// ones packages hold) are unchanged and keep [`IMAGE_FORMAT_VERSION`]; dense images are
/// built in memory by the benchmark and tests.
pub const DENSE_IMAGE_FORMAT_VERSION: u16 = 2;
/// Magic in bits 127:96 of a layer descriptor header ("CREW" in ASCII, big-endian reading).
pub const LAYER_MAGIC: u32 = 0x4352_4557;
/// Words per layer descriptor.
pub const LAYER_DESC_WORDS: usize = 4;
/// Header flag: table entries are int16.
pub const FLAG_WIDE_ENTRIES: u8 = 1 << 0;
/// Header flag: column records are dense int8 columns (see "Dense column records").
pub const FLAG_DENSE: u8 = 1 << 1;
/// Header flag: the layer's input is a token; its x pass is folded (see "Token-input
/// layers").
pub const FLAG_TOKEN_INPUT: u8 = 1 << 2;
/// Bytes of a token-input layer's input vector (the token, little-endian).
pub const TOKEN_INPUT_BYTES: usize = 2;

/// The input vector of one step of a token-input layer: the token, little-endian, as the
/// int8 bytes the run-time vectors hold.
pub fn token_input(token: u16) -> Vec<i8> {
    token.to_le_bytes().iter().map(|&b| b as i8).collect()
}
/// Largest index width.
pub const MAX_INDEX_BITS: u8 = 8;
/// Largest number of unique values per column.
pub const MAX_UNIQUE: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum LayerKind {
    Fc = 0,
    Gru = 1,
    Lstm = 2,
}

impl LayerKind {
    pub fn from_u8(v: u8) -> Option<LayerKind> {
        match v {
            0 => Some(LayerKind::Fc),
            1 => Some(LayerKind::Gru),
            2 => Some(LayerKind::Lstm),
            _ => None,
        }
    }
    /// Gates per hidden unit (rows of a pass = gates * H).
    pub fn gates(self) -> usize {
        match self {
            LayerKind::Fc => 1,
            LayerKind::Gru => 3,
            LayerKind::Lstm => 4,
        }
    }
    pub fn passes(self) -> usize {
        match self {
            LayerKind::Fc => 1,
            _ => 2,
        }
    }
}

/// A problem decoding image structures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageError {
    BadMagic { found: u32 },
    BadKind { found: u8 },
    BadPassCount { kind: LayerKind, found: u16 },
    BadRecordHeader { unique: usize, bits: u8 },
}

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageError::BadMagic { found } => write!(
                f,
                "layer descriptor magic {found:#010x}, expected {LAYER_MAGIC:#010x}"
            ),
            ImageError::BadKind { found } => {
                write!(f, "layer kind {found} is not 0 (FC), 1 (GRU) or 2 (LSTM)")
            }
            ImageError::BadPassCount { kind, found } => write!(
                f,
                "{kind:?} layer with {found} passes, expected {}",
                kind.passes()
            ),
            ImageError::BadRecordHeader { unique, bits } => write!(
                f,
                "column record with {unique} unique values and {bits}-bit indices"
            ),
        }
    }
}

impl std::error::Error for ImageError {}

/// One pass (one FC matrix) of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PassDescriptor {
    pub records_addr: u32,
    pub epilogue_addr: u32,
    pub n_in: u16,
    pub n_out: u16,
    pub records_words: u32,
}

impl PassDescriptor {
    pub fn to_word(&self) -> u128 {
        (self.records_addr as u128)
            | (self.epilogue_addr as u128) << 32
            | (self.n_in as u128) << 64
            | (self.n_out as u128) << 80
            | (self.records_words as u128) << 96
    }
    pub fn from_word(w: u128) -> PassDescriptor {
        PassDescriptor {
            records_addr: w as u32,
            epilogue_addr: (w >> 32) as u32,
            n_in: (w >> 64) as u16,
            n_out: (w >> 80) as u16,
            records_words: (w >> 96) as u32,
        }
    }
}

/// A layer descriptor as it sits in DRAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDescriptor {
    pub kind: LayerKind,
    pub wide_entries: bool,
    /// Records are dense int8 columns ([`FLAG_DENSE`]).
    pub dense: bool,
    /// The input is a token, the x pass folded ([`FLAG_TOKEN_INPUT`]).
    pub token_input: bool,
    pub n_in: u16,
    pub n_hidden: u16,
    pub passes: Vec<PassDescriptor>,
}

impl LayerDescriptor {
    pub fn to_words(&self) -> [u128; LAYER_DESC_WORDS] {
        let mut flags = if self.wide_entries {
            FLAG_WIDE_ENTRIES
        } else {
            0
        };
        if self.dense {
            flags |= FLAG_DENSE;
        }
        if self.token_input {
            flags |= FLAG_TOKEN_INPUT;
        }
        let header = (self.kind as u128)
            | (flags as u128) << 8
            | (self.n_in as u128) << 16
            | (self.n_hidden as u128) << 32
            | (self.passes.len() as u128) << 48
            | (LAYER_MAGIC as u128) << 96;
        let mut words = [0u128; LAYER_DESC_WORDS];
        words[0] = header;
        for (i, p) in self.passes.iter().enumerate().take(2) {
            words[1 + i] = p.to_word();
        }
        words
    }

    pub fn from_words(words: &[u128]) -> Result<LayerDescriptor, ImageError> {
        let header = words[0];
        let magic = (header >> 96) as u32;
        if magic != LAYER_MAGIC {
            return Err(ImageError::BadMagic { found: magic });
        }
        let kind_raw = header as u8;
        let kind = LayerKind::from_u8(kind_raw).ok_or(ImageError::BadKind { found: kind_raw })?;
        let n_passes = (header >> 48) as u16;
        if n_passes as usize != kind.passes() {
            return Err(ImageError::BadPassCount {
                kind,
                found: n_passes,
            });
        }
        Ok(LayerDescriptor {
            kind,
            wide_entries: (header >> 8) as u8 & FLAG_WIDE_ENTRIES != 0,
            dense: (header >> 8) as u8 & FLAG_DENSE != 0,
            token_input: (header >> 8) as u8 & FLAG_TOKEN_INPUT != 0,
            n_in: (header >> 16) as u16,
            n_hidden: (header >> 32) as u16,
            passes: (0..n_passes as usize)
                .map(|i| PassDescriptor::from_word(words[1 + i]))
                .collect(),
        })
    }
}

/// One epilogue row: the accumulator's initial value and the requantization to the gate
/// domain (see [`crate::numerics::requantize`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EpilogueRow {
    pub bias: i32,
    pub multiplier: i32,
    pub shift: u8,
}

impl EpilogueRow {
    pub fn to_word(&self) -> u128 {
        (self.bias as u32 as u128)
            | (self.multiplier as u32 as u128) << 32
            | ((self.shift & 0x3F) as u128) << 64
    }
    pub fn from_word(w: u128) -> EpilogueRow {
        EpilogueRow {
            bias: w as u32 as i32,
            multiplier: (w >> 32) as u32 as i32,
            shift: ((w >> 64) as u8) & 0x3F,
        }
    }
}

/// Index width needed for `unique` table entries: ceil(log2 unique), 0 for one entry.
pub fn index_bits(unique: usize) -> u8 {
    assert!((1..=MAX_UNIQUE).contains(&unique));
    (usize::BITS - (unique - 1).leading_zeros()) as u8
}

/// Words of a record's table part (2 header bytes + entries, padded).
pub fn table_part_words(unique: usize, wide_entries: bool) -> usize {
    let entry_bytes = if wide_entries { 2 } else { 1 };
    (2 + unique * entry_bytes).div_ceil(WORD_BYTES)
}

/// Words of a record's index part.
pub fn index_part_words(n_out: usize, bits: u8) -> usize {
    (n_out * bits as usize).div_ceil(128)
}

/// Words of an int8 vector of `n` elements.
pub fn vector_words_i8(n: usize) -> usize {
    n.div_ceil(WORD_BYTES)
}

/// Words of an int32 vector of `n` elements.
pub fn vector_words_i32(n: usize) -> usize {
    n.div_ceil(WORD_BYTES / 4)
}

/// Decodes the two header bytes of a record's first word: (u_i, b_i).
pub fn record_header(first_word: u128) -> Result<(usize, u8), ImageError> {
    let unique = (first_word as u8) as usize + 1;
    let bits = (first_word >> 8) as u8;
    if bits > MAX_INDEX_BITS || unique > (1usize << bits) {
        return Err(ImageError::BadRecordHeader { unique, bits });
    }
    Ok((unique, bits))
}

/// Encodes one column record (table part then index part) as words.
pub fn encode_record(table: &[i16], wide_entries: bool, bits: u8, indices: &[u16]) -> Vec<u128> {
    let unique = table.len();
    assert!((1..=MAX_UNIQUE).contains(&unique) && bits <= MAX_INDEX_BITS);
    assert!(
        unique <= 1 << bits,
        "{unique} entries need more than {bits} bits"
    );
    let mut bytes = vec![(unique - 1) as u8, bits];
    for &e in table {
        if wide_entries {
            bytes.put_i16_le(e);
        } else {
            bytes.put_i8(e as i8);
        }
    }
    bytes.resize(table_part_words(unique, wide_entries) * WORD_BYTES, 0);
    let mut words = bytes_to_words(&bytes);
    let start = words.len();
    words.resize(start + index_part_words(indices.len(), bits), 0);
    for (o, &idx) in indices.iter().enumerate() {
        debug_assert!((idx as usize) < unique);
        let bit = o * bits as usize;
        for k in 0..bits as usize {
            if idx >> k & 1 == 1 {
                let b = bit + k;
                words[start + b / 128] |= 1u128 << (b % 128);
            }
        }
    }
    words
}

/// Decodes a record at the start of `words`: (table, bits, indices, words used).
pub fn decode_record(
    words: &[u128],
    wide_entries: bool,
    n_out: usize,
) -> Result<(Vec<i16>, u8, Vec<u16>, usize), ImageError> {
    let (unique, bits) = record_header(words[0])?;
    let table_words = table_part_words(unique, wide_entries);
    let bytes = words_to_bytes(&words[..table_words]);
    let mut entries = &bytes[2..];
    let table = (0..unique)
        .map(|_| {
            if wide_entries {
                entries.get_i16_le()
            } else {
                entries.get_i8() as i16
            }
        })
        .collect();
    let index_words = &words[table_words..table_words + index_part_words(n_out, bits)];
    let indices = (0..n_out)
        .map(|o| {
            let mut v = 0u16;
            for k in 0..bits as usize {
                let b = o * bits as usize + k;
                v |= ((index_words[b / 128] >> (b % 128)) as u16 & 1) << k;
            }
            v
        })
        .collect();
    Ok((
        table,
        bits,
        indices,
        table_words + index_part_words(n_out, bits),
    ))
}

/// Words of one dense int8 column of `n_out` weights.
pub fn dense_column_words(n_out: usize) -> usize {
    n_out.div_ceil(WORD_BYTES)
}

/// Encodes one dense column (`column[o]` = W[o, i]) as words.
pub fn encode_dense_column(column: &[i8]) -> Vec<u128> {
    let mut bytes: Vec<u8> = column.iter().map(|&w| w as u8).collect();
    bytes.resize(dense_column_words(column.len()) * WORD_BYTES, 0);
    bytes_to_words(&bytes)
}

/// Decodes one dense column of `n_out` weights from the start of `words`.
pub fn decode_dense_column(words: &[u128], n_out: usize) -> Vec<i8> {
    let mut bytes = &words_to_bytes(&words[..dense_column_words(n_out)])[..];
    (0..n_out).map(|_| bytes.get_i8()).collect()
}

/// Converts words to image bytes (little-endian).
pub fn words_to_bytes(words: &[u128]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(words.len() * WORD_BYTES);
    words.iter().for_each(|&w| bytes.put_u128_le(w));
    bytes
}

/// Converts image bytes (length a multiple of 16) to words.
pub fn bytes_to_words(bytes: &[u8]) -> Vec<u128> {
    assert!(bytes.len().is_multiple_of(WORD_BYTES));
    let mut bytes = bytes;
    (0..bytes.len() / WORD_BYTES)
        .map(|_| bytes.get_u128_le())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_bits_match_definition() {
        assert_eq!(index_bits(1), 0);
        assert_eq!(index_bits(2), 1);
        assert_eq!(index_bits(3), 2);
        assert_eq!(index_bits(128), 7);
        assert_eq!(index_bits(129), 8);
        assert_eq!(index_bits(256), 8);
    }

    #[test]
    fn token_input_flag_and_vector_round_trip() {
        let d = LayerDescriptor {
            kind: LayerKind::Gru,
            wide_entries: false,
            dense: false,
            token_input: true,
            n_in: 29,
            n_hidden: 8,
            passes: vec![PassDescriptor::default(), PassDescriptor::default()],
        };
        let w = d.to_words();
        assert_eq!((w[0] >> 8) as u8, FLAG_TOKEN_INPUT);
        assert_eq!(LayerDescriptor::from_words(&w).unwrap(), d);
        assert_eq!(token_input(0x1234), vec![0x34, 0x12]);
        assert_eq!(token_input(0xFF80), vec![-128, -1]);
    }

    #[test]
    fn record_round_trips_with_straddling_indices() {
        let table: Vec<i16> = (0..100).map(|k| k as i16 - 50).collect();
        let indices: Vec<u16> = (0..37).map(|o| (o * 7 % 100) as u16).collect();
        let words = encode_record(&table, false, 7, &indices);
        assert_eq!(
            words.len(),
            table_part_words(100, false) + index_part_words(37, 7)
        );
        let (t, b, i, used) = decode_record(&words, false, 37).unwrap();
        assert_eq!((t, b, i, used), (table, 7, indices, words.len()));
        // Index 18 starts at bit 126 and straddles words.
        assert_eq!(18 * 7, 126);
    }

    #[test]
    fn descriptor_round_trips_and_rejects_bad_magic() {
        let d = LayerDescriptor {
            kind: LayerKind::Gru,
            wide_entries: false,
            dense: false,
            token_input: false,
            n_in: 256,
            n_hidden: 256,
            passes: vec![
                PassDescriptor {
                    records_addr: 4,
                    epilogue_addr: 9000,
                    n_in: 256,
                    n_out: 768,
                    records_words: 8000,
                },
                PassDescriptor {
                    records_addr: 8004,
                    epilogue_addr: 9768,
                    n_in: 256,
                    n_out: 768,
                    records_words: 7000,
                },
            ],
        };
        let w = d.to_words();
        assert_eq!(LayerDescriptor::from_words(&w).unwrap(), d);
        let mut bad = w;
        bad[0] ^= 1 << 100;
        assert!(matches!(
            LayerDescriptor::from_words(&bad),
            Err(ImageError::BadMagic { .. })
        ));
    }

    #[test]
    fn dense_flag_and_column_round_trip() {
        let column: Vec<i8> = (0..37).map(|o| (o * 13 % 255) as i8).collect();
        let words = encode_dense_column(&column);
        assert_eq!(words.len(), 3);
        assert_eq!(words[0] as u8 as i8, column[0]);
        assert_eq!((words[2] >> 32) as u8 as i8, column[36]);
        assert_eq!(words[2] >> 40, 0);
        assert_eq!(decode_dense_column(&words, 37), column);
        let d = LayerDescriptor {
            kind: LayerKind::Fc,
            wide_entries: false,
            dense: true,
            token_input: false,
            n_in: 8,
            n_hidden: 37,
            passes: vec![PassDescriptor::default()],
        };
        let w = d.to_words();
        assert_eq!((w[0] >> 8) as u8, FLAG_DENSE);
        assert_eq!(LayerDescriptor::from_words(&w).unwrap(), d);
    }

    #[test]
    fn epilogue_row_round_trips_negative_bias() {
        let r = EpilogueRow {
            bias: -123456,
            multiplier: 0x7FFF_0001,
            shift: 37,
        };
        assert_eq!(EpilogueRow::from_word(r.to_word()), r);
    }
}
