//! Where things go in DRAM, written once for the compiler, the dense image, the driver,
//! the benchmark and the engine tests:
//!
//! - [`ImageBuilder`]: an image from its load address up, per layer its descriptor
//!   ([`LAYER_DESC_WORDS`] words), then for each pass its column records followed by its
//!   epilogue rows.
//! - [`RunLayout`]: the run-time vectors of one run, `[inputs | state | outputs]`, so one
//!   transfer carries inputs and state in and one brings state and outputs back.

use bytes::{Buf, BufMut};

use crate::image::{
    vector_words_i32, vector_words_i8, LayerDescriptor, LayerKind, PassDescriptor, DRAM_WORDS,
    LAYER_DESC_WORDS, WORD_BYTES,
};

/// The descriptor fields of a layer that are not about where its passes lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerHeader {
    pub kind: LayerKind,
    pub wide_entries: bool,
    /// Records are dense int8 columns (`image::FLAG_DENSE`).
    pub dense: bool,
    /// Token input, x pass folded (`image::FLAG_TOKEN_INPUT`).
    pub token_input: bool,
    pub n_in: u16,
    pub n_hidden: u16,
}

/// One pass, encoded: its column records (CREW or dense) and its epilogue rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassWords {
    pub n_in: u16,
    pub n_out: u16,
    pub records: Vec<u128>,
    pub epilogue: Vec<u128>,
}

/// The image would end past DRAM (or past the 32-bit word addresses of descriptors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoesNotFit {
    /// Word address one past the image.
    pub end: u64,
}

impl std::fmt::Display for DoesNotFit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the image would end at word {}, past the {DRAM_WORDS} words of DRAM",
            self.end
        )
    }
}

impl std::error::Error for DoesNotFit {}

/// Lays out an image from `base` (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageBuilder {
    base: u32,
    words: Vec<u128>,
}

impl ImageBuilder {
    pub fn new(base: u32) -> ImageBuilder {
        ImageBuilder {
            base,
            words: Vec::new(),
        }
    }

    /// Word address of the next word placed.
    fn next_addr(&self) -> u64 {
        self.base as u64 + self.words.len() as u64
    }

    fn addr(&self) -> Result<u32, DoesNotFit> {
        let end = self.next_addr();
        if end >= DRAM_WORDS {
            return Err(DoesNotFit { end });
        }
        Ok(end as u32)
    }

    /// Places one layer: its descriptor, then per pass its records and epilogue rows.
    /// Returns the descriptor's word address.
    pub fn push_layer(
        &mut self,
        header: LayerHeader,
        passes: &[PassWords],
    ) -> Result<u32, DoesNotFit> {
        let desc_addr = self.addr()?;
        let desc_at = self.words.len();
        self.words.resize(desc_at + LAYER_DESC_WORDS, 0);
        let mut descs = Vec::with_capacity(passes.len());
        for p in passes {
            let records_addr = self.addr()?;
            self.words.extend(&p.records);
            let epilogue_addr = self.addr()?;
            self.words.extend(&p.epilogue);
            descs.push(PassDescriptor {
                records_addr,
                epilogue_addr,
                n_in: p.n_in,
                n_out: p.n_out,
                records_words: epilogue_addr - records_addr,
            });
        }
        if self.next_addr() > DRAM_WORDS {
            return Err(DoesNotFit {
                end: self.next_addr(),
            });
        }
        let desc = LayerDescriptor {
            kind: header.kind,
            wide_entries: header.wide_entries,
            dense: header.dense,
            token_input: header.token_input,
            n_in: header.n_in,
            n_hidden: header.n_hidden,
            passes: descs,
        };
        self.words[desc_at..desc_at + LAYER_DESC_WORDS].copy_from_slice(&desc.to_words());
        Ok(desc_addr)
    }

    /// Places a sequence program (`crate::program`) and its zero state block; fills in
    /// `zero_addr`. Returns the program's word address.
    pub fn push_program(
        &mut self,
        mut program: crate::program::ProgramHeader,
    ) -> Result<u32, DoesNotFit> {
        let addr = self.addr()?;
        program.zero_addr = addr + crate::program::PROGRAM_WORDS as u32;
        self.words.extend(program.to_words());
        self.words
            .resize(self.words.len() + program.state_words as usize, 0);
        if self.next_addr() > DRAM_WORDS {
            return Err(DoesNotFit {
                end: self.next_addr(),
            });
        }
        Ok(addr)
    }

    /// The image's words, from the load address.
    pub fn words(&self) -> &[u128] {
        &self.words
    }

    pub fn into_words(self) -> Vec<u128> {
        self.words
    }
}

/// The DRAM regions of one run of a layer: `steps` input vectors, the state (h, then c for
/// LSTM; nothing for FC), then `steps` output vectors (h_t for GRU/LSTM, int32
/// accumulators for FC), each vector padded to whole words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLayout {
    pub kind: LayerKind,
    pub n_in: usize,
    /// H for GRU/LSTM, N_out for FC.
    pub n_hidden: usize,
    pub steps: usize,
    pub in_addr: u64,
    pub state_addr: u64,
    pub out_addr: u64,
    /// One past the last output word.
    pub end: u64,
}

impl RunLayout {
    /// The layout from word address `base` up.
    pub fn new(kind: LayerKind, n_in: usize, n_hidden: usize, steps: usize, base: u64) -> Self {
        let mut l = RunLayout {
            kind,
            n_in,
            n_hidden,
            steps,
            in_addr: base,
            state_addr: 0,
            out_addr: 0,
            end: 0,
        };
        l.state_addr = base + (steps * l.in_step_words()) as u64;
        l.out_addr = l.state_addr + (l.h_words() + l.c_words()) as u64;
        l.end = l.out_addr + (steps * l.out_step_words()) as u64;
        l
    }

    /// Words of one input vector (int8).
    pub fn in_step_words(&self) -> usize {
        vector_words_i8(self.n_in)
    }

    /// Words of the h state (int8); 0 for FC.
    pub fn h_words(&self) -> usize {
        match self.kind {
            LayerKind::Fc => 0,
            _ => vector_words_i8(self.n_hidden),
        }
    }

    /// Words of the c state (int32, LSTM only), right after h.
    pub fn c_words(&self) -> usize {
        match self.kind {
            LayerKind::Lstm => vector_words_i32(self.n_hidden),
            _ => 0,
        }
    }

    /// Words of one output vector: h_t (int8) or the FC accumulators (int32).
    pub fn out_step_words(&self) -> usize {
        match self.kind {
            LayerKind::Fc => vector_words_i32(self.n_hidden),
            _ => vector_words_i8(self.n_hidden),
        }
    }

    /// Bytes from `in_addr` to `out_addr`: what one transfer writes.
    pub fn in_bytes(&self) -> usize {
        (self.out_addr - self.in_addr) as usize * WORD_BYTES
    }

    /// Bytes from `state_addr` to `end`: what one transfer reads back.
    pub fn back_bytes(&self) -> usize {
        (self.end - self.state_addr) as usize * WORD_BYTES
    }

    /// `[inputs | state]`, the bytes one write from `in_addr` carries; `h` and `c` are
    /// ignored where the kind has no such state.
    pub fn pack_inputs(&self, inputs: &[Vec<i8>], h: &[i8], c: &[i32]) -> Vec<u8> {
        let mut buf = Vec::with_capacity(self.in_bytes());
        let pad = |buf: &mut Vec<u8>, start: usize, words: usize| {
            buf.put_bytes(0, start + words * WORD_BYTES - buf.len())
        };
        for x in inputs {
            let start = buf.len();
            x.iter().for_each(|&v| buf.put_i8(v));
            pad(&mut buf, start, self.in_step_words());
        }
        if self.h_words() > 0 {
            let start = buf.len();
            h.iter().for_each(|&v| buf.put_i8(v));
            pad(&mut buf, start, self.h_words());
        }
        if self.c_words() > 0 {
            let start = buf.len();
            c.iter().for_each(|&v| buf.put_i32_le(v));
            pad(&mut buf, start, self.c_words());
        }
        buf
    }

    /// The state (h, c) in the bytes read back from `state_addr`.
    pub fn read_state(&self, back: &[u8]) -> (Vec<i8>, Vec<i32>) {
        let h_len = if self.h_words() > 0 { self.n_hidden } else { 0 };
        let c_len = if self.c_words() > 0 { self.n_hidden } else { 0 };
        let mut h_part = &back[..h_len];
        let mut c_part = &back[self.h_words() * WORD_BYTES..][..4 * c_len];
        (
            (0..h_len).map(|_| h_part.get_i8()).collect(),
            (0..c_len).map(|_| c_part.get_i32_le()).collect(),
        )
    }

    fn output<'a>(&self, back: &'a [u8], step: usize) -> &'a [u8] {
        let at = (self.out_addr - self.state_addr) as usize + step * self.out_step_words();
        &back[at * WORD_BYTES..(at + self.out_step_words()) * WORD_BYTES]
    }

    /// h_t of `step` (GRU/LSTM) in the bytes read back from `state_addr`.
    pub fn read_hidden(&self, back: &[u8], step: usize) -> Vec<i8> {
        let mut out = self.output(back, step);
        (0..self.n_hidden).map(|_| out.get_i8()).collect()
    }

    /// The accumulators of `step` (FC) in the bytes read back from `state_addr`.
    pub fn read_accumulators(&self, back: &[u8], step: usize) -> Vec<i32> {
        let mut out = self.output(back, step);
        (0..self.n_hidden).map(|_| out.get_i32_le()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_follow_their_descriptor() {
        let mut b = ImageBuilder::new(0x100);
        let header = LayerHeader {
            kind: LayerKind::Fc,
            wide_entries: false,
            dense: false,
            token_input: false,
            n_in: 2,
            n_hidden: 3,
        };
        let pass = PassWords {
            n_in: 2,
            n_out: 3,
            records: vec![1, 2, 3],
            epilogue: vec![4, 5, 6],
        };
        assert_eq!(b.push_layer(header, std::slice::from_ref(&pass)), Ok(0x100));
        assert_eq!(b.push_layer(header, &[pass]), Ok(0x100 + 10));
        let d = LayerDescriptor::from_words(&b.words()[10..14]).unwrap();
        assert_eq!(d.passes[0].records_addr, 0x100 + 14);
        assert_eq!(d.passes[0].epilogue_addr, 0x100 + 17);
        assert_eq!(d.passes[0].records_words, 3);
        assert_eq!(&b.words()[14..20], &[1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn an_image_past_dram_does_not_fit() {
        let mut b = ImageBuilder::new((DRAM_WORDS - 2) as u32);
        let header = LayerHeader {
            kind: LayerKind::Fc,
            wide_entries: false,
            dense: false,
            token_input: false,
            n_in: 1,
            n_hidden: 1,
        };
        assert!(b.push_layer(header, &[]).is_err());
    }

    #[test]
    fn run_vectors_are_inputs_then_state_then_outputs() {
        let l = RunLayout::new(LayerKind::Lstm, 20, 8, 3, 1000);
        assert_eq!(l.state_addr, 1000 + 3 * 2);
        assert_eq!(l.out_addr, l.state_addr + 1 + 2);
        assert_eq!(l.end, l.out_addr + 3);
        let bytes = l.pack_inputs(&[vec![1; 20], vec![2; 20], vec![3; 20]], &[-1; 8], &[-7; 8]);
        assert_eq!(bytes.len(), l.in_bytes());
        assert_eq!((bytes[32], bytes[64], bytes[95]), (2, 3, 0));
        // Read back: state, then one output word per step.
        let back = [&bytes[96..], &[5u8; 48][..]].concat();
        assert_eq!(l.read_state(&back), (vec![-1; 8], vec![-7; 8]));
        assert_eq!(l.read_hidden(&back, 2), vec![5; 8]);
    }
}
