//! Sequence programs: a whole greedy sequence-to-sequence decode run by the engine without
//! the host, for a queue of inputs ("words") in one start. Declared here once; the
//! engine's program runner (`crew_hw::engine::common::program`), the compiler (which
//! writes the program into a package's image), the driver (which lays out the queue and
//! reads the trace) and docs/engine.md follow it.
//!
//! # Program (at a word address P, [`PROGRAM_WORDS`] words, in the package image)
//! Word P (header):
//! | bits | field |
//! |---|---|
//! | 7:0 | kind: [`PROGRAM_KIND_SEQ2SEQ`] (3; layer kinds are 0..=2, so a program is never taken for a layer) |
//! | 15:8 | flags, 0 |
//! | 31:16 | src_end: the source end token; the encoder phase ends after the step that reads it |
//! | 47:32 | tgt_end: the target end token; the decode ends when the argmax picks it |
//! | 63:48 | max_steps: decoder steps per input, at least 1 |
//! | 95:64 | reserved, 0 |
//! | 127:96 | magic [`crate::image::LAYER_MAGIC`] |
//!
//! Word P+1:
//! | bits | field |
//! |---|---|
//! | 31:0 | encoder: word address of its layer descriptor (recurrent, token input) |
//! | 63:32 | decoder: word address of its layer descriptor (recurrent, token input, same H) |
//! | 95:64 | projection: word address of its layer descriptor (FC, at most [`MAX_ARGMAX_OUTPUTS`] outputs) |
//! | 111:96 | max_src: source steps per input (end token included), at least 1 |
//! | 127:112 | h_words: words of one h vector, `vector_words_i8(H)` |
//!
//! Word P+2:
//! | bits | field |
//! |---|---|
//! | 31:0 | zero_addr: word address of state_words zero words (the initial state) |
//! | 47:32 | state_words: words of the recurrent state (h, then c for LSTM) |
//! | 63:48 | logit_words: words of the projection's int32 outputs, `vector_words_i32(N)` |
//! | 95:64 | slot_words: words of one input's trace slot, [`ProgramHeader::slot_words`] |
//! | 127:96 | reserved, 0 |
//!
//! Word P+3: the start token as a token-input vector (bits 15:0, the rest 0): the
//! decoder's first input is read from here.
//!
//! # Run lists (plain tensor sequences: every layer of a stack in one start)
//! A run list at P is a header of [`PROGRAM_WORDS`] words, then N entries of
//! [`PROGRAM_WORDS`] words each, entry k at `P + 4 (k + 1)`:
//! - header word 0: kind [`PROGRAM_KIND_RUN_LIST`] (bits 7:0), N (bits 31:16, at least 1),
//!   magic (bits 127:96); words 1 to 3 are 0.
//! - entry word 0: kind [`PROGRAM_KIND_RUN_ENTRY`] (bits 7:0), steps (bits 31:16, at least
//!   1), magic (bits 127:96); word 1: descriptor address (31:0), input address (63:32),
//!   output address (95:64), state address (127:96); words 2 and 3 are 0.
//!
//! Started like a sequence program (TRIG_START_PROGRAM, the descriptor address = P), the
//! engine runs the entries in order, each a plain layer run of its steps with its addresses,
//! without the host; words-done counts the entries finished. An entry's input may be an
//! earlier entry's output, so a stack (for example LSTM, LSTM, Linear) runs over all its
//! steps in one start. The host writes the list with the inputs (`RunList`).
//!
//! # A program run (TRIG_START_PROGRAM)
//! The run-command wires give: descriptor address = P, input address = the source
//! stream, output address = the trace base, steps = the number of inputs n (1..=65535).
//! The source stream is every input's source tokens, one token-input word each
//! (`image::token_input`), each input ending with src_end, inputs back to back.
//! For input k (its trace slot right after input k-1's, the first at the output address):
//! 1. encoder steps, one layer run each, from the zero state, until the step whose token is
//!    src_end (after max_src steps without it: [`crate::regmap::ErrorCode::SourceTooLong`]);
//! 2. decoder steps from the encoder's state: the decoder's step on the previous token
//!    (first: the start token), the projection on its h, the argmax of the projection's
//!    rows requantized with their epilogue multiplier and shift (`numerics::requantize`,
//!    the first index of the largest value), until the argmax is tgt_end or max_steps
//!    steps ran.
//!
//! The words-done wire-out counts finished inputs, the trace-end wire-outs give the word
//! address past the last finished input's slot; an error stops the run with its code, and
//! inputs past words-done were not finished.
//!
//! # Trace slots
//! Slots are packed back to back: input k's slot is as long as what ran
//! ([`ProgramHeader::slot_len`]), at most slot_words (max_src encoder steps, max_steps
//! decoder steps). The host reads the trace up to its end in one transfer and walks it
//! with the source lengths.
//!
//! # Trace slot of input k (what the host reads back)
//! | words | content |
//! |---|---|
//! | state_words | the final state (h, then c) |
//! | s * h_words | the encoder's h after each of its s source steps |
//! | per decoder step: h_words, logit_words, 1 | the decoder's h, the projection's int32 outputs, the chosen token (token-input format) |
//! A slot holds the steps that ran (decoder steps up to the end token or max_steps).

use crate::image::{LayerKind, LAYER_MAGIC};

/// Words of a program.
pub const PROGRAM_WORDS: usize = 4;
/// The kind byte of a greedy sequence-to-sequence program.
pub const PROGRAM_KIND_SEQ2SEQ: u8 = 3;
/// The kind byte of a run list's header.
pub const PROGRAM_KIND_RUN_LIST: u8 = 4;
/// The kind byte of a run list's entries.
pub const PROGRAM_KIND_RUN_ENTRY: u8 = 5;

/// One entry of a run list: a plain layer run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunEntry {
    pub desc_addr: u32,
    pub in_addr: u32,
    pub out_addr: u32,
    pub state_addr: u32,
    pub steps: u16,
}

/// The words of a run list of `entries` (header first).
pub fn run_list_words(entries: &[RunEntry]) -> Vec<u128> {
    let magic = (LAYER_MAGIC as u128) << 96;
    let mut w = vec![
        PROGRAM_KIND_RUN_LIST as u128 | (entries.len() as u16 as u128) << 16 | magic,
        0,
        0,
        0,
    ];
    for e in entries {
        w.push(PROGRAM_KIND_RUN_ENTRY as u128 | (e.steps as u128) << 16 | magic);
        w.push(
            e.desc_addr as u128
                | (e.in_addr as u128) << 32
                | (e.out_addr as u128) << 64
                | (e.state_addr as u128) << 96,
        );
        w.extend([0, 0]);
    }
    w
}

/// Largest number of projection outputs the argmax handles (its row index is 10 bits).
pub const MAX_ARGMAX_OUTPUTS: usize = 1024;

/// A program's fields (see the module documentation for the words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProgramHeader {
    pub src_end: u16,
    pub tgt_end: u16,
    pub tgt_start: u16,
    pub max_steps: u16,
    pub max_src: u16,
    pub encoder_addr: u32,
    pub decoder_addr: u32,
    pub projection_addr: u32,
    pub zero_addr: u32,
    pub h_words: u16,
    pub state_words: u16,
    pub logit_words: u16,
}

/// One decoder step of a trace: the decoder's h, the projection's int32 outputs, the
/// argmax token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DecoderStep {
    pub h: Vec<i8>,
    pub logits: Vec<i32>,
    pub token: u16,
}

/// What one input's trace slot holds.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct SlotTrace {
    /// The final state: h, and c for LSTM.
    pub state_h: Vec<i8>,
    pub state_c: Vec<i32>,
    /// The encoder's h after each source step.
    pub encoder_h: Vec<Vec<i8>>,
    pub decoder: Vec<DecoderStep>,
}

/// A program that does not hold together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramError(pub String);

impl std::fmt::Display for ProgramError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sequence program: {}", self.0)
    }
}

impl std::error::Error for ProgramError {}

impl ProgramHeader {
    /// Words of one decoder step in the trace: h, logits, token.
    pub fn decoder_step_words(&self) -> usize {
        self.h_words as usize + self.logit_words as usize + 1
    }

    /// Words of the trace slot of an input of `n_src` source steps and `n_dec` decoder steps.
    pub fn slot_len(&self, n_src: usize, n_dec: usize) -> usize {
        self.state_words as usize
            + n_src * self.h_words as usize
            + n_dec * self.decoder_step_words()
    }

    /// Words of one input's trace slot at most.
    pub fn slot_words(&self) -> usize {
        self.state_words as usize
            + self.max_src as usize * self.h_words as usize
            + self.max_steps as usize * self.decoder_step_words()
    }

    /// Decodes one input's trace slot (`words`, at least slot_words long) for an input of
    /// `n_src` source steps, H = `hidden` and `n_out` projection outputs: the decoder steps
    /// run until the end token or max_steps.
    pub fn read_slot(
        &self,
        words: &[u128],
        n_src: usize,
        hidden: usize,
        n_out: usize,
    ) -> SlotTrace {
        let hw = self.h_words as usize;
        let lw = self.logit_words as usize;
        let bytes = |w: &[u128]| crate::image::words_to_bytes(w);
        let h = |w: &[u128]| -> Vec<i8> { bytes(w)[..hidden].iter().map(|&b| b as i8).collect() };
        let state_bytes = bytes(&words[..self.state_words as usize]);
        let state_h: Vec<i8> = state_bytes[..hidden].iter().map(|&b| b as i8).collect();
        let state_c: Vec<i32> = if self.state_words as usize > hw {
            state_bytes[hw * 16..]
                .chunks(4)
                .take(hidden)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        } else {
            vec![]
        };
        let mut at = self.state_words as usize;
        let encoder_h = (0..n_src).map(|s| h(&words[at + s * hw..][..hw])).collect();
        at += n_src * hw;
        let mut decoder = vec![];
        for _ in 0..self.max_steps {
            // A short slice (a trace cut short) ends the walk; callers check the length.
            let Some(e) = words.get(at..at + self.decoder_step_words()) else {
                break;
            };
            let logits = bytes(&e[hw..hw + lw])
                .chunks(4)
                .take(n_out)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let token = e[hw + lw] as u16;
            decoder.push(DecoderStep {
                h: h(&e[..hw]),
                logits,
                token,
            });
            at += self.decoder_step_words();
            if token == self.tgt_end {
                break;
            }
        }
        SlotTrace {
            state_h,
            state_c,
            encoder_h,
            decoder,
        }
    }

    pub fn to_words(&self) -> [u128; PROGRAM_WORDS] {
        [
            (PROGRAM_KIND_SEQ2SEQ as u128)
                | (self.src_end as u128) << 16
                | (self.tgt_end as u128) << 32
                | (self.max_steps as u128) << 48
                | (LAYER_MAGIC as u128) << 96,
            (self.encoder_addr as u128)
                | (self.decoder_addr as u128) << 32
                | (self.projection_addr as u128) << 64
                | (self.max_src as u128) << 96
                | (self.h_words as u128) << 112,
            (self.zero_addr as u128)
                | (self.state_words as u128) << 32
                | (self.logit_words as u128) << 48
                | (self.slot_words() as u32 as u128) << 64,
            self.tgt_start as u128,
        ]
    }

    /// Decodes and checks a program's words (as the engine does, plus the slot size).
    pub fn from_words(w: &[u128]) -> Result<ProgramHeader, ProgramError> {
        if w.len() < PROGRAM_WORDS {
            return Err(ProgramError(format!(
                "{} words, expected {PROGRAM_WORDS}",
                w.len()
            )));
        }
        if (w[0] >> 96) as u32 != LAYER_MAGIC || w[0] as u8 != PROGRAM_KIND_SEQ2SEQ {
            return Err(ProgramError(format!(
                "magic {:#010x} kind {}, expected {LAYER_MAGIC:#010x} kind \
                 {PROGRAM_KIND_SEQ2SEQ}",
                (w[0] >> 96) as u32,
                w[0] as u8
            )));
        }
        let p = ProgramHeader {
            src_end: (w[0] >> 16) as u16,
            tgt_end: (w[0] >> 32) as u16,
            max_steps: (w[0] >> 48) as u16,
            encoder_addr: w[1] as u32,
            decoder_addr: (w[1] >> 32) as u32,
            projection_addr: (w[1] >> 64) as u32,
            max_src: (w[1] >> 96) as u16,
            h_words: (w[1] >> 112) as u16,
            zero_addr: w[2] as u32,
            state_words: (w[2] >> 32) as u16,
            logit_words: (w[2] >> 48) as u16,
            tgt_start: w[3] as u16,
        };
        if p.max_steps == 0 || p.max_src == 0 {
            return Err(ProgramError(format!(
                "max_steps {} and max_src {} must be at least 1",
                p.max_steps, p.max_src
            )));
        }
        if (w[2] >> 64) as u32 as usize != p.slot_words() {
            return Err(ProgramError(format!(
                "slot_words {} but the fields give {}",
                (w[2] >> 64) as u32,
                p.slot_words()
            )));
        }
        Ok(p)
    }

    /// Checks the program's layers: recurrent token-input encoder and decoder of one H, an
    /// FC projection of at most [`MAX_ARGMAX_OUTPUTS`] outputs.
    pub fn check_layers(
        &self,
        encoder: (LayerKind, bool, usize),
        decoder: (LayerKind, bool, usize),
        projection: (LayerKind, usize),
    ) -> Result<(), ProgramError> {
        for (what, (kind, token, h)) in [("encoder", encoder), ("decoder", decoder)] {
            if kind == LayerKind::Fc || !token {
                return Err(ProgramError(format!(
                    "the {what} must be a recurrent layer with token input (folded)"
                )));
            }
            if crate::image::vector_words_i8(h) != self.h_words as usize {
                return Err(ProgramError(format!(
                    "the {what}'s h takes {} words, the program says {}",
                    crate::image::vector_words_i8(h),
                    self.h_words
                )));
            }
        }
        if projection.0 != LayerKind::Fc || projection.1 > MAX_ARGMAX_OUTPUTS {
            return Err(ProgramError(format!(
                "the projection must be FC with at most {MAX_ARGMAX_OUTPUTS} outputs"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program() -> ProgramHeader {
        ProgramHeader {
            src_end: 2,
            tgt_end: 3,
            tgt_start: 2,
            max_steps: 20,
            max_src: 33,
            encoder_addr: 0x100,
            decoder_addr: 0x104,
            projection_addr: 0x108,
            zero_addr: 0x110,
            h_words: 16,
            state_words: 16,
            logit_words: 19,
        }
    }

    #[test]
    fn words_round_trip_and_bad_fields_are_named() {
        let p = program();
        assert_eq!(ProgramHeader::from_words(&p.to_words()), Ok(p));
        assert_eq!(p.slot_words(), 16 + 33 * 16 + 20 * 36);
        let mut w = p.to_words();
        w[0] &= !0xFF;
        assert!(ProgramHeader::from_words(&w)
            .unwrap_err()
            .to_string()
            .contains("kind 0"));
        let mut w = p.to_words();
        w[2] += 1 << 64;
        assert!(ProgramHeader::from_words(&w)
            .unwrap_err()
            .to_string()
            .contains("slot_words"));
        let zero = ProgramHeader { max_steps: 0, ..p };
        assert!(ProgramHeader::from_words(&zero.to_words()).is_err());
    }
}
