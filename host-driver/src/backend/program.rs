//! Sequence programs (`crew_spec::program`) from the host's side: the program of a loaded
//! package ([`ProgramSpec`]), the check of a queue of source token sequences, and the
//! program's semantics as a host loop over [`Accelerator::run`] ([`run_by_steps`]): what
//! the reference computes and what a device's on-chip run must equal, trace for trace.

use crew_spec::image::{token_input, EpilogueRow, LayerKind};
use crew_spec::numerics::requantize;
use crew_spec::program::{DecoderStep, ProgramHeader, SlotTrace};

use crate::backend::{Accelerator, LayerState, PerfCounters};
use crate::compiler::package::Package;
use crate::error::{Result, RunError};
use crate::model::Decoding;

/// The results of a program over a queue of inputs: one trace per input, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramOutput {
    pub traces: Vec<SlotTrace>,
    /// Counters of the whole program (devices); `None` for the reference.
    pub counters: Option<PerfCounters>,
}

/// A package's program with what the host needs to run and read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramSpec {
    pub header: ProgramHeader,
    /// Word address of the program in the package image.
    pub addr: u32,
    /// Layer indices.
    pub encoder: usize,
    pub decoder: usize,
    pub projection: usize,
    pub kind: LayerKind,
    pub hidden: usize,
    pub n_out: usize,
    /// The projection's epilogue rows: the argmax compares `requantize(acc, M, s)`.
    pub projection_rows: Vec<EpilogueRow>,
}

impl ProgramSpec {
    /// The program of `package`, `None` when it has none (a host loop decodes it).
    pub fn of(package: &Package) -> Result<Option<ProgramSpec>> {
        let Some(header) = package.program()? else {
            return Ok(None);
        };
        let Some(Decoding::Seq2seq(d)) = &package.info.decoding else {
            return Ok(None);
        };
        let (encoder, decoder, projection) = (
            package.layer_index(&d.encoder)?,
            package.layer_index(&d.decoder)?,
            package.layer_index(&d.projection)?,
        );
        let l = &package.container.layers;
        Ok(Some(ProgramSpec {
            header,
            addr: package.info.program_addr.expect("a program has an address"),
            encoder,
            decoder,
            projection,
            kind: l[encoder].kind,
            hidden: l[encoder].n_hidden as usize,
            n_out: l[projection].n_hidden as usize,
            projection_rows: package.epilogue(projection, 0)?,
        }))
    }

    /// Checks a queue: 1..=65535 inputs, each ending with the source end token (and holding
    /// it nowhere else) within `max_src` steps.
    pub fn check_sources(
        &self,
        on: &str,
        sources: &[Vec<u16>],
    ) -> std::result::Result<(), RunError> {
        let bad = |message: String| RunError::BadProgramInput {
            on: on.into(),
            message,
        };
        if sources.is_empty() || sources.len() > u16::MAX as usize {
            return Err(bad(format!(
                "{} inputs; a program run takes 1..=65535",
                sources.len()
            )));
        }
        let end = self.header.src_end;
        for (k, s) in sources.iter().enumerate() {
            if s.last() != Some(&end) || s[..s.len() - 1].contains(&end) {
                return Err(bad(format!(
                    "input {k} must end with the source end token {end}, once"
                )));
            }
            if s.len() > self.header.max_src as usize {
                return Err(bad(format!(
                    "input {k} has {} source steps, the program holds {} (max_src); decode \
                     it with the host loop (--host-loop)",
                    s.len(),
                    self.header.max_src
                )));
            }
        }
        Ok(())
    }

    /// The argmax of the projection's outputs as the engine compares them.
    pub fn argmax(&self, acc: &[i32]) -> u16 {
        let mut best = 0;
        let mut best_value = i32::MIN;
        for (i, (&a, r)) in acc.iter().zip(&self.projection_rows).enumerate() {
            let v = requantize(a, r.multiplier, r.shift);
            if i == 0 || v > best_value {
                best = i;
                best_value = v;
            }
        }
        best as u16
    }
}

/// The program as a host loop over `accel`'s layer runs: the encoder over each input's
/// tokens from the zero state, then decoder step, projection and argmax until the end token
/// or max_steps; every step recorded as the engine's trace slot holds it.
pub fn run_by_steps<A: Accelerator + ?Sized>(
    accel: &mut A,
    spec: &ProgramSpec,
    sources: &[Vec<u16>],
) -> std::result::Result<ProgramOutput, RunError> {
    spec.check_sources(accel.name(), sources)?;
    let mut traces = Vec::with_capacity(sources.len());
    let mut counters: Option<crew_spec::engine::Counters<u64>> = None;
    let mut count = |c: Option<PerfCounters>| {
        if let Some(c) = c {
            counters.get_or_insert_with(Default::default).add(&c);
        }
    };
    for src in sources {
        let mut state = LayerState::zeros(spec.kind, spec.hidden);
        let inputs: Vec<Vec<i8>> = src.iter().map(|&t| token_input(t)).collect();
        let run = accel.run(spec.encoder, &inputs, &mut state)?;
        count(run.counters);
        let encoder_h = run.hidden().map(<[_]>::to_vec).unwrap_or_default();
        let mut token = spec.header.tgt_start;
        let mut decoder = Vec::new();
        for _ in 0..spec.header.max_steps {
            let run = accel.run(spec.decoder, &[token_input(token)], &mut state)?;
            count(run.counters);
            let h = run
                .hidden()
                .and_then(|h| h.last())
                .cloned()
                .unwrap_or_default();
            let mut none = LayerState::default();
            let run = accel.run(spec.projection, std::slice::from_ref(&h), &mut none)?;
            count(run.counters);
            let logits = run
                .accumulators()
                .and_then(|a| a.first())
                .cloned()
                .unwrap_or_default();
            token = spec.argmax(&logits);
            decoder.push(DecoderStep { h, logits, token });
            if token == spec.header.tgt_end {
                break;
            }
        }
        traces.push(SlotTrace {
            state_h: state.h,
            state_c: state.c,
            encoder_h,
            decoder,
        });
    }
    Ok(ProgramOutput {
        traces,
        // Sums of many runs, saturated into the per-run counter width.
        counters: counters
            .map(|c| PerfCounters::from_array(c.to_array().map(|v| v.min(u32::MAX as u64) as u32))),
    })
}

/// The target tokens of a trace as words of the vocabulary (the end token dropped).
pub fn trace_tokens(trace: &SlotTrace, end: u16) -> Vec<u16> {
    trace
        .decoder
        .iter()
        .map(|s| s.token)
        .filter(|&t| t != end)
        .collect()
}
