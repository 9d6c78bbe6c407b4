//! One layer run: `[inputs | state]` written in one transfer (`crew_spec::layout::RunLayout`),
//! the run's addresses on the wire-ins, start, the done event within a deadline from the
//! layer's size, the error code and counters, then state and outputs read back.

use std::time::Duration;

use crew_spec::engine::COUNTER_WIRES;
use crew_spec::image::{LayerKind, DRAM_WORDS, WORD_BYTES};
use crew_spec::layout::RunLayout;
use crew_spec::regmap;

use super::Device;
use crate::backend::{check_run, check_tokens, LayerState, PerfCounters, RunOutput, StepOutputs};
use crate::error::RunError;
use crate::transport::Transport;

impl<T: Transport> Device<T> {
    pub(super) fn run_deadline(&self, step_words: u64, steps: usize) -> Duration {
        if let Some(t) = self.config.run_timeout {
            return t;
        }
        // Generous: 8 UI cycles per streamed DRAM word and step, plus a fixed allowance.
        let cycles = 8 * step_words * steps as u64 + 100_000;
        let estimate = Duration::from_nanos(cycles * 10);
        estimate.max(self.config.run_timeout_min)
    }

    /// Runs one layer (see [`Accelerator::run`], whose checks it makes); returns outputs and
    /// counters.
    pub fn run_layer(
        &mut self,
        layer: usize,
        inputs: &[Vec<i8>],
        state: &mut LayerState,
    ) -> Result<RunOutput, RunError> {
        let Some(loaded) = self.loaded.as_ref() else {
            return Err(RunError::NotLoaded { on: self.on() });
        };
        let Some(&entry) = loaded.layers.get(layer) else {
            return Err(RunError::NoSuchLayer {
                on: self.on(),
                layer,
                layers: loaded.layers.len(),
            });
        };
        let step_words = loaded.step_words[layer];
        let scratch = loaded.scratch_addr;
        check_run(
            &self.name,
            layer,
            entry.kind,
            entry.input_len(),
            entry.n_hidden as usize,
            inputs,
            state,
        )?;
        if entry.token_input {
            check_tokens(&self.name, layer, entry.n_in as usize, inputs)?;
        }
        let steps = inputs.len();
        let run = RunLayout::new(
            entry.kind,
            entry.input_len(),
            entry.n_hidden as usize,
            steps,
            scratch,
        );
        if run.end > DRAM_WORDS {
            return Err(RunError::OutOfDram {
                on: self.on(),
                what: format!("run-time vectors of layer {layer}"),
                end: run.end,
            });
        }
        // Inputs and state in one transfer.
        let bytes = run.pack_inputs(inputs, &state.h, &state.c);
        self.write_dram(run.in_addr, &bytes, "writing run inputs")?;

        self.set_u32(
            regmap::WIRE_IN_DESC_ADDR_LO,
            regmap::WIRE_IN_DESC_ADDR_HI,
            entry.desc_addr,
        )?;
        self.set_u32(
            regmap::WIRE_IN_IN_ADDR_LO,
            regmap::WIRE_IN_IN_ADDR_HI,
            run.in_addr as u32,
        )?;
        self.set_u32(
            regmap::WIRE_IN_OUT_ADDR_LO,
            regmap::WIRE_IN_OUT_ADDR_HI,
            run.out_addr as u32,
        )?;
        self.set_u32(
            regmap::WIRE_IN_STATE_ADDR_LO,
            regmap::WIRE_IN_STATE_ADDR_HI,
            run.state_addr as u32,
        )?;
        let r = self
            .transport
            .set_wire_in(regmap::WIRE_IN_STEPS, steps as u16);
        self.tr(r)?;
        let r = self.transport.update_wire_ins();
        self.tr(r)?;
        let r = self.transport.update_trigger_outs();
        self.tr(r)?;
        let r = self
            .transport
            .activate_trigger_in(regmap::TRIGGER_IN_COMMAND, regmap::TRIG_START_RUN);
        self.tr(r)?;
        let what = format!("layer {layer} run of {steps} steps");
        let deadline = self.run_deadline(step_words, steps);
        self.wait_events(
            1 << regmap::TRIG_OUT_RUN_DONE | 1 << regmap::TRIG_OUT_ERROR,
            deadline,
            &what,
        )?;
        self.check_error(&what)?;
        let counters = self.counters()?;

        let back = self.read_dram(
            run.state_addr,
            run.back_bytes() / WORD_BYTES,
            "reading run outputs",
        )?;
        let (h, c) = run.read_state(&back);
        if entry.kind != LayerKind::Fc {
            (state.h, state.c) = (h, c);
        }
        let outputs = match entry.kind {
            LayerKind::Fc => StepOutputs::Accumulators(
                (0..steps)
                    .map(|t| run.read_accumulators(&back, t))
                    .collect(),
            ),
            _ => StepOutputs::Hidden((0..steps).map(|t| run.read_hidden(&back, t)).collect()),
        };
        Ok(RunOutput {
            outputs,
            counters: Some(counters),
        })
    }

    /// The performance counters of the last run.
    pub fn counters(&mut self) -> Result<PerfCounters, RunError> {
        let mut values = [0u32; COUNTER_WIRES.len()];
        for (value, (_, lo, hi)) in values.iter_mut().zip(COUNTER_WIRES) {
            *value = self.wire_out_u32(lo, hi)?;
        }
        Ok(PerfCounters::from_array(values))
    }
}
