//! DRAM through the block pipes: armed transfers (address and length on wire-ins, a
//! command trigger, the pipe, the done event, the error code), and loading a package:
//! the image for the board's engine (the package's CREW image, or the dense image built
//! from it) streamed to DRAM in chunks, then read back and compared word by word.

use std::borrow::Cow;

use bytes::Buf;

use crew_spec::image::{words_to_bytes, LayerDescriptor, DRAM_WORDS, WORD_BYTES};
use crew_spec::package::LayerEntry;
use crew_spec::regmap;

use super::{Device, LoadProgress, Loaded};
use crate::compiler::dense::dense_image;
use crate::compiler::fit;
use crate::compiler::package::Package;
use crate::error::RunError;
use crate::transport::Transport;

const BLOCK: usize = regmap::PIPE_BLOCK_BYTES;
/// Bytes per armed pipe transfer while loading: the unit of progress reports.
const LOAD_CHUNK_BYTES: usize = 64 * 1024;
const SCRATCH_ALIGN_WORDS: u64 = 256;

impl<T: Transport> Device<T> {
    /// Arms a transfer. `drop_events`: first clear the trigger-outs of earlier commands (an
    /// UpdateTriggerOuts call); callers that just consumed them (a wait that returned)
    /// pass false and save the USB round trip.
    fn arm(
        &mut self,
        trigger: u8,
        addr: u64,
        words: usize,
        drop_events: bool,
    ) -> Result<(), RunError> {
        let end = addr + words as u64;
        if end > DRAM_WORDS {
            return Err(RunError::OutOfDram {
                on: self.on(),
                what: format!("a transfer of {words} words at {addr}"),
                end,
            });
        }
        self.set_u32(
            regmap::WIRE_IN_XFER_ADDR_LO,
            regmap::WIRE_IN_XFER_ADDR_HI,
            addr as u32,
        )?;
        self.set_u32(
            regmap::WIRE_IN_XFER_WORDS_LO,
            regmap::WIRE_IN_XFER_WORDS_HI,
            words as u32,
        )?;
        let r = self.transport.update_wire_ins();
        self.tr(r)?;
        if drop_events {
            let r = self.transport.update_trigger_outs();
            self.tr(r)?;
        }
        let r = self
            .transport
            .activate_trigger_in(regmap::TRIGGER_IN_COMMAND, trigger);
        self.tr(r)
    }

    /// Ends a cut-short transfer so the bridge returns to idle, then reports it.
    fn truncated(&mut self, what: &str, moved: usize, expected: usize) -> RunError {
        let _ = self
            .transport
            .activate_trigger_in(regmap::TRIGGER_IN_COMMAND, regmap::TRIG_ABORT);
        let _ = self.transport.pause(self.config.poll);
        RunError::TruncatedTransfer {
            on: self.on(),
            what: what.into(),
            moved,
            expected,
        }
    }

    fn xfer_done_mask() -> u16 {
        1 << regmap::TRIG_OUT_XFER_DONE | 1 << regmap::TRIG_OUT_ERROR
    }

    /// Writes whole words to DRAM at word address `addr` in one armed transfer.
    pub fn write_dram(&mut self, addr: u64, data: &[u8], what: &str) -> Result<(), RunError> {
        assert!(data.len().is_multiple_of(WORD_BYTES) && !data.is_empty());
        self.arm(
            regmap::TRIG_START_DRAM_WRITE,
            addr,
            data.len() / WORD_BYTES,
            true,
        )?;
        // Whole 512-byte blocks, then the tail (whole 16-byte words) in the largest
        // power-of-two block that divides it: the bridge takes exactly XFER_WORDS words.
        let bulk = data.len() / BLOCK * BLOCK;
        let mut moved = 0;
        for (part, block) in [
            (&data[..bulk], BLOCK),
            (&data[bulk..], tail_block(data.len() - bulk)),
        ] {
            if part.is_empty() {
                continue;
            }
            let r = self
                .transport
                .write_to_block_pipe_in(regmap::PIPE_IN_DRAM, block, part);
            let n = self.tr(r)?;
            moved += n;
            if n < part.len() {
                return Err(self.truncated(what, moved, data.len()));
            }
        }
        let timeout = self.config.transfer_timeout;
        self.wait_events(Self::xfer_done_mask(), timeout, what)?;
        self.check_error(what)
    }

    /// Reads `words` words of DRAM from word address `addr`.
    pub fn read_dram(&mut self, addr: u64, words: usize, what: &str) -> Result<Vec<u8>, RunError> {
        self.read_dram_after(addr, words, what, true)
    }

    /// [`Self::read_dram`]; `drop_events` false right after a wait consumed the events.
    pub(super) fn read_dram_after(
        &mut self,
        addr: u64,
        words: usize,
        what: &str,
        drop_events: bool,
    ) -> Result<Vec<u8>, RunError> {
        assert!(words > 0);
        self.arm(regmap::TRIG_START_DRAM_READ, addr, words, drop_events)?;
        // The bridge pads reads to whole blocks.
        let mut buf = vec![0u8; (words * WORD_BYTES).div_ceil(BLOCK) * BLOCK];
        let r = self
            .transport
            .read_from_block_pipe_out(regmap::PIPE_OUT_DRAM, BLOCK, &mut buf);
        let n = self.tr(r)?;
        if n < buf.len() {
            return Err(self.truncated(what, n, buf.len()));
        }
        let timeout = self.config.transfer_timeout;
        self.wait_events(Self::xfer_done_mask(), timeout, what)?;
        self.check_error(what)?;
        buf.truncate(words * WORD_BYTES);
        Ok(buf)
    }

    fn report(&mut self, p: LoadProgress) {
        if let Some(f) = self.progress.as_mut() {
            f(p);
        }
    }

    /// The package's image for the board's engine: its own (CREW) image, or the dense
    /// image built from it at the same load address.
    fn engine_image<'p>(&self, package: &'p Package) -> Result<EngineImage<'p>, RunError> {
        let c = &package.container;
        if self.identity.engine.kind != regmap::ENGINE_KIND_DENSE {
            let descriptors = (0..c.layers.len())
                .map(|k| {
                    c.descriptor(k).map_err(|e| RunError::BadImage {
                        on: self.on(),
                        message: format!("package layer {k}: {e}"),
                    })
                })
                .collect::<Result<_, _>>()?;
            return Ok(EngineImage {
                load_addr: c.load_addr as u64,
                bytes: Cow::Borrowed(&c.image),
                layers: c.layers.clone(),
                descriptors,
                program_addr: package.info.program_addr,
            });
        }
        let unsuited = |e: crate::error::Error| RunError::PackageUnsuited {
            on: self.on(),
            engine: "dense",
            message: e.to_string(),
        };
        let dense = dense_image(package, c.load_addr).map_err(unsuited)?;
        let descriptors = (0..c.layers.len())
            .map(|k| dense.descriptor(k))
            .collect::<Result<_, _>>()
            .map_err(unsuited)?;
        let layers = c
            .layers
            .iter()
            .zip(&dense.desc_addrs)
            .map(|(entry, &desc_addr)| LayerEntry {
                desc_addr,
                ..*entry
            })
            .collect();
        Ok(EngineImage {
            load_addr: c.load_addr as u64,
            bytes: Cow::Owned(words_to_bytes(&dense.words)),
            layers,
            descriptors,
            program_addr: dense.program_addr,
        })
    }

    /// Writes the package's image for the board's engine and reads it back; the package
    /// counts as loaded only when every word matches.
    pub fn load_package(&mut self, package: &Package) -> Result<(), RunError> {
        self.loaded = None;
        // Before anything is streamed: every layer within the limits of the engine the
        // board reports.
        let engine = self.engine_config();
        if let Err(misfit) = fit::check(&package.info.layers, &engine) {
            return Err(RunError::DoesNotFit {
                on: self.on(),
                misfit,
            });
        }
        let c = self.engine_image(package)?;
        let end = c.load_addr + (c.bytes.len() / WORD_BYTES) as u64;
        if end > DRAM_WORDS {
            return Err(RunError::OutOfDram {
                on: self.on(),
                what: "the package image".into(),
                end,
            });
        }
        let mut step_words = Vec::new();
        for d in &c.descriptors {
            let mut words = 0u64;
            for p in &d.passes {
                words += p.records_words as u64 + p.n_out as u64 + p.n_in as u64;
            }
            step_words.push(words);
        }
        let total = c.bytes.len();
        let load = c.load_addr;
        for (i, chunk) in c.bytes.chunks(LOAD_CHUNK_BYTES).enumerate() {
            let addr = load + (i * LOAD_CHUNK_BYTES / WORD_BYTES) as u64;
            self.write_dram(addr, chunk, "writing the package image")?;
            let done = (i * LOAD_CHUNK_BYTES + chunk.len()).min(total);
            self.report(LoadProgress::Write { done, total });
        }
        let mut mismatched = 0;
        let mut first = None;
        for (i, chunk) in c.bytes.chunks(LOAD_CHUNK_BYTES).enumerate() {
            let addr = load + (i * LOAD_CHUNK_BYTES / WORD_BYTES) as u64;
            let back = self.read_dram(addr, chunk.len() / WORD_BYTES, "reading the image back")?;
            for (w, (a, b)) in chunk
                .chunks_exact(WORD_BYTES)
                .zip(back.chunks_exact(WORD_BYTES))
                .enumerate()
            {
                if a != b {
                    mismatched += 1;
                    if first.is_none() {
                        first = Some((
                            addr + w as u64,
                            (&a[..]).get_u128_le(),
                            (&b[..]).get_u128_le(),
                        ));
                    }
                }
            }
            let done = (i * LOAD_CHUNK_BYTES + chunk.len()).min(total);
            self.report(LoadProgress::Verify { done, total });
        }
        if let Some((first_addr, expected, found)) = first {
            return Err(RunError::VerifyFailed {
                on: self.on(),
                words: total / WORD_BYTES,
                mismatched_words: mismatched,
                first_addr,
                expected,
                found,
            });
        }
        self.loaded = Some(Loaded {
            image_bytes: total,
            layers: c.layers,
            program_addr: c.program_addr,
            step_words,
            scratch_addr: end.div_ceil(SCRATCH_ALIGN_WORDS) * SCRATCH_ALIGN_WORDS,
        });
        Ok(())
    }
}

/// An image as the driver loads it: bytes at a word address, the layer table pointing at
/// its descriptors, and the descriptors.
struct EngineImage<'p> {
    load_addr: u64,
    bytes: Cow<'p, [u8]>,
    layers: Vec<LayerEntry>,
    descriptors: Vec<LayerDescriptor>,
    /// Its sequence program, if the package has one.
    program_addr: Option<u32>,
}

/// Largest power-of-two block (at most [`BLOCK`]) dividing `len` (a multiple of 16).
fn tail_block(len: usize) -> usize {
    let mut b = BLOCK;
    while b > WORD_BYTES && !len.is_multiple_of(b) {
        b /= 2;
    }
    b
}
