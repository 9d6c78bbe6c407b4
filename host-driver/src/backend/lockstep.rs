//! Runs a backend and the integer reference side by side: every run goes to both from the
//! same state and their outputs and final states are compared bit for bit. The backend's
//! results drive the caller (decoding continues from what the device computed), so a
//! mismatch is reported, not hidden.

use crate::backend::program::{run_by_steps, ProgramOutput, ProgramSpec};
use crate::backend::reference::Reference;
use crate::backend::{Accelerator, LayerState, RunOutput, StackOutput};
use crate::compiler::package::Package;
use crate::error::RunError;
use crew_spec::program::SlotTrace;

/// Sums of the performance counters over several runs (the engine contract's counters).
pub type CounterTotals = crew_spec::engine::Counters<u64>;

/// What the comparison found since the last [`Lockstep::take_stats`].
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct LockstepStats {
    /// Runs compared.
    pub runs: u64,
    /// Steps compared.
    pub steps: u64,
    /// Runs whose outputs or final state differ from the reference.
    pub mismatched_runs: u64,
    /// The first difference, described.
    pub first_mismatch: Option<String>,
    /// The backend's counters summed over its runs (when it counts).
    pub counters: CounterTotals,
}

impl LockstepStats {
    pub fn bit_exact(&self) -> bool {
        self.mismatched_runs == 0
    }

    /// An error naming the first difference when a run on `on` differed.
    pub fn check(&self, on: &str) -> Result<(), RunError> {
        if self.bit_exact() {
            return Ok(());
        }
        Err(RunError::DiffersFromReference {
            on: on.into(),
            runs: self.runs,
            mismatched: self.mismatched_runs,
            first: self.first_mismatch.clone().unwrap_or_else(|| "?".into()),
        })
    }
}

/// A backend checked against the reference (see the module documentation).
pub struct Lockstep<A: Accelerator> {
    backend: A,
    reference: Reference,
    stats: LockstepStats,
}

impl<A: Accelerator> Lockstep<A> {
    pub fn new(backend: A) -> Lockstep<A> {
        Lockstep {
            backend,
            reference: Reference::new(),
            stats: LockstepStats::default(),
        }
    }

    pub fn backend(&self) -> &A {
        &self.backend
    }

    pub fn backend_mut(&mut self) -> &mut A {
        &mut self.backend
    }

    /// The statistics gathered since the last call, resetting them.
    pub fn take_stats(&mut self) -> LockstepStats {
        std::mem::take(&mut self.stats)
    }
}

impl<A: Accelerator> Accelerator for Lockstep<A> {
    fn name(&self) -> &str {
        self.backend.name()
    }

    fn load(&mut self, package: &Package) -> Result<(), RunError> {
        self.reference.load(package)?;
        self.backend.load(package)
    }

    fn run(
        &mut self,
        layer: usize,
        inputs: &[Vec<i8>],
        state: &mut LayerState,
    ) -> Result<RunOutput, RunError> {
        let mut ref_state = state.clone();
        let expected = self.reference.run(layer, inputs, &mut ref_state)?;
        let out = self.backend.run(layer, inputs, state)?;
        let s = &mut self.stats;
        s.runs += 1;
        s.steps += inputs.len() as u64;
        let differs = if out.outputs != expected.outputs {
            Some("outputs")
        } else if *state != ref_state {
            Some("final state")
        } else {
            None
        };
        if let Some(what) = differs {
            s.mismatched_runs += 1;
            if s.first_mismatch.is_none() {
                s.first_mismatch = Some(format!(
                    "layer {layer}, run of {} steps: {what} differ from the integer reference",
                    inputs.len()
                ));
            }
        }
        if let Some(c) = out.counters {
            s.counters.add(&c);
        }
        Ok(out)
    }

    /// The backend's on-chip program, compared input by input and step by step (encoder h,
    /// decoder h, projection outputs, token, final state) with the same program run on
    /// the reference as a host loop.
    fn run_program(
        &mut self,
        spec: &ProgramSpec,
        sources: &[Vec<u16>],
    ) -> Result<Option<ProgramOutput>, RunError> {
        let Some(out) = self.backend.run_program(spec, sources)? else {
            return Ok(None);
        };
        let expected = run_by_steps(&mut self.reference, spec, sources)?;
        let s = &mut self.stats;
        for (k, (got, want)) in out.traces.iter().zip(&expected.traces).enumerate() {
            s.runs += 1;
            s.steps += (want.encoder_h.len() + want.decoder.len()) as u64;
            if let Some(what) = first_difference(got, want) {
                s.mismatched_runs += 1;
                if s.first_mismatch.is_none() {
                    s.first_mismatch = Some(format!(
                        "program input {k}: {what} differs from the integer reference"
                    ));
                }
            }
        }
        if let Some(c) = out.counters {
            s.counters.add(&c);
        }
        Ok(Some(out))
    }

    /// The backend's stack in one start, each layer's outputs and final state compared with
    /// the reference's runs of the same layers.
    fn run_stack(&mut self, inputs: &[Vec<i8>]) -> Result<Option<StackOutput>, RunError> {
        let Some(out) = self.backend.run_stack(inputs)? else {
            return Ok(None);
        };
        let expected = self.reference_stack(inputs, out.runs.len())?;
        let s = &mut self.stats;
        for (k, ((got, got_state), (want, want_state))) in
            out.runs.iter().zip(&expected).enumerate()
        {
            s.runs += 1;
            s.steps += inputs.len() as u64;
            let differs = if got.outputs != want.outputs {
                Some("outputs")
            } else if got_state != want_state {
                Some("final state")
            } else {
                None
            };
            if let Some(what) = differs {
                s.mismatched_runs += 1;
                if s.first_mismatch.is_none() {
                    s.first_mismatch = Some(format!(
                        "layer {k} of the stack run in one start: {what} differ from the integer \
                         reference"
                    ));
                }
            }
        }
        if let Some(c) = out.counters {
            s.counters.add(&c);
        }
        Ok(Some(out))
    }
}

impl<A: Accelerator> Lockstep<A> {
    /// The layers of a stack the reference ran, for [`Accelerator::run_stack`]'s check.
    fn reference_stack(
        &mut self,
        inputs: &[Vec<i8>],
        layers: usize,
    ) -> Result<Vec<(RunOutput, LayerState)>, RunError> {
        let mut x = inputs.to_vec();
        let mut runs = vec![];
        for k in 0..layers {
            let (kind, hidden) = self.reference.layer_shape(k)?;
            let mut state = LayerState::zeros(kind, hidden);
            let out = self.reference.run(k, &x, &mut state)?;
            if let Some(h) = out.hidden() {
                x = h.to_vec();
            }
            runs.push((out, state));
        }
        Ok(runs)
    }
}

/// Where a device's trace first differs from the reference's, named.
pub fn first_difference(got: &SlotTrace, want: &SlotTrace) -> Option<String> {
    if let Some(t) = (0..want.encoder_h.len().max(got.encoder_h.len()))
        .find(|&t| got.encoder_h.get(t) != want.encoder_h.get(t))
    {
        return Some(format!("encoder step {t}'s h"));
    }
    for t in 0..want.decoder.len().max(got.decoder.len()) {
        match (got.decoder.get(t), want.decoder.get(t)) {
            (Some(g), Some(w)) if g == w => continue,
            (Some(g), Some(w)) => {
                let part = if g.h != w.h {
                    "h"
                } else if g.logits != w.logits {
                    "projection outputs"
                } else {
                    "token"
                };
                return Some(format!("decoder step {t}'s {part}"));
            }
            _ => {
                return Some(format!(
                    "the number of decoder steps ({})",
                    got.decoder.len()
                ))
            }
        }
    }
    (got.state_h != want.state_h || got.state_c != want.state_c)
        .then(|| "the final state".to_string())
}
