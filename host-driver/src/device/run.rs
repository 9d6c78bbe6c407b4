//! One layer run: `[inputs | state]` written in one transfer (`crew_spec::layout::RunLayout`),
//! the run's addresses on the wire-ins, start, the done event within a deadline from the
//! layer's size, the error code and counters, then state and outputs read back.

use std::time::Duration;

use crew_spec::engine::COUNTER_WIRES;
use crew_spec::image::{self, LayerKind, DRAM_WORDS, WORD_BYTES};
use crew_spec::layout::RunLayout;
use crew_spec::package::LayerEntry;
use crew_spec::program::{run_list_words, RunEntry};
use crew_spec::regmap;

use super::Device;
use crate::backend::program::{ProgramOutput, ProgramSpec};
use crate::backend::{
    check_run, check_tokens, LayerState, PerfCounters, RunOutput, StackOutput, StepOutputs,
};
use crate::error::RunError;
use crate::transport::Transport;

impl<T: Transport> Device<T> {
    fn run_deadline(&self, step_words: u64, steps: usize) -> Duration {
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

impl<T: Transport> Device<T> {
    /// Runs the loaded package's sequence program over a queue of inputs in one start
    /// (`crew_spec::program`): the source stream in one pipe write, the run-command wires,
    /// TRIG_START_PROGRAM, the done event, the error code, words-done and the counters,
    /// then every input's trace slot in one pipe read. An error or a short count reports
    /// no input: every input's outputs come from a finished program.
    pub fn run_sequence_program(
        &mut self,
        spec: &ProgramSpec,
        sources: &[Vec<u16>],
    ) -> Result<ProgramOutput, RunError> {
        let Some(loaded) = self.loaded.as_ref() else {
            return Err(RunError::NotLoaded { on: self.on() });
        };
        let Some(program_addr) = loaded.program_addr else {
            return Err(RunError::BadProgramInput {
                on: self.on(),
                message: "the loaded package has no sequence program (compiled with \
                          --no-fold-tokens?); decode with the host loop"
                    .into(),
            });
        };
        spec.check_sources(&self.name, sources)?;
        for (k, s) in sources.iter().enumerate() {
            let layer = spec.encoder;
            let inputs: Vec<Vec<i8>> = s.iter().map(|&t| image::token_input(t)).collect();
            check_tokens(
                &self.name,
                layer,
                loaded.layers[layer].n_in as usize,
                &inputs,
            )
            .map_err(|e| RunError::BadProgramInput {
                on: self.on(),
                message: format!("input {k}: {e}"),
            })?;
        }
        let p = spec.header;
        // DRAM: the source stream, then the trace slots, above the image.
        let stream: Vec<Vec<i8>> = sources
            .iter()
            .flatten()
            .map(|&t| image::token_input(t))
            .collect();
        let src_addr = loaded.scratch_addr;
        let trace_addr = (src_addr + stream.len() as u64).div_ceil(256) * 256;
        let trace_words = sources.len() * p.slot_words();
        let end = trace_addr + trace_words as u64;
        if end > DRAM_WORDS {
            return Err(RunError::OutOfDram {
                on: self.on(),
                what: format!("the traces of {} inputs", sources.len()),
                end,
            });
        }
        // Deadline from the work: every step streams its layer's words.
        let steps = |layer: usize, n: usize| loaded.step_words[layer] * n as u64;
        let work: u64 = steps(spec.encoder, stream.len())
            + sources.len() as u64
                * (steps(spec.decoder, p.max_steps as usize)
                    + steps(spec.projection, p.max_steps as usize));
        let deadline = self.run_deadline(work, 1);
        let bytes: Vec<u8> = stream
            .iter()
            .flat_map(|x| {
                let mut w = vec![0u8; WORD_BYTES];
                for (b, &v) in w.iter_mut().zip(x) {
                    *b = v as u8;
                }
                w
            })
            .collect();
        // The run-command wires first: the transfer's UpdateWireIns carries them too.
        self.set_u32(
            regmap::WIRE_IN_DESC_ADDR_LO,
            regmap::WIRE_IN_DESC_ADDR_HI,
            program_addr,
        )?;
        self.set_u32(
            regmap::WIRE_IN_IN_ADDR_LO,
            regmap::WIRE_IN_IN_ADDR_HI,
            src_addr as u32,
        )?;
        self.set_u32(
            regmap::WIRE_IN_OUT_ADDR_LO,
            regmap::WIRE_IN_OUT_ADDR_HI,
            trace_addr as u32,
        )?;
        let r = self
            .transport
            .set_wire_in(regmap::WIRE_IN_STEPS, sources.len() as u16);
        self.tr(r)?;
        self.write_dram(src_addr, &bytes, "writing the program's source stream")?;
        // The write's wait consumed its events: start at once.
        let r = self
            .transport
            .activate_trigger_in(regmap::TRIGGER_IN_COMMAND, regmap::TRIG_START_PROGRAM);
        self.tr(r)?;
        let what = format!("sequence program over {} inputs", sources.len());
        self.wait_events(
            1 << regmap::TRIG_OUT_RUN_DONE | 1 << regmap::TRIG_OUT_ERROR,
            deadline,
            &what,
        )?;
        // check_error reads the wire-outs, words-done among them.
        let checked = self.check_error(&what);
        let done = self.wire_out(regmap::WIRE_OUT_WORDS_DONE)? as usize;
        if let Err(e) = checked {
            return Err(RunError::ProgramStopped {
                on: self.on(),
                done,
                inputs: sources.len(),
                error: Box::new(e),
            });
        }
        if done != sources.len() {
            return Err(RunError::ProgramStopped {
                on: self.on(),
                done,
                inputs: sources.len(),
                error: Box::new(RunError::BadImage {
                    on: self.on(),
                    message: "the program ended without an error code".into(),
                }),
            });
        }
        let counters = self.counters()?;
        // The slots are packed: read up to the trace end the engine reports, then walk them.
        let trace_end =
            self.wire_out_u32(regmap::WIRE_OUT_TRACE_END_LO, regmap::WIRE_OUT_TRACE_END_HI)? as u64;
        let bad_end = |on: String| RunError::BadImage {
            on,
            message: format!(
                "the program's trace ends at word {trace_end}, outside its {trace_words} words \
                 from {trace_addr}"
            ),
        };
        if trace_end <= trace_addr || trace_end > end {
            return Err(bad_end(self.on()));
        }
        let used = (trace_end - trace_addr) as usize;
        let back = self.read_dram_after(trace_addr, used, "reading the program's traces", false)?;
        let words = image::bytes_to_words(&back);
        let mut at = 0;
        let mut traces = Vec::with_capacity(sources.len());
        for s in sources {
            // A slot holds at least its state, its encoder steps and one decoder step.
            if at + p.slot_len(s.len(), 1) > used {
                return Err(bad_end(self.on()));
            }
            let t = p.read_slot(&words[at..], s.len(), spec.hidden, spec.n_out);
            at += p.slot_len(s.len(), t.decoder.len());
            if at > used {
                return Err(bad_end(self.on()));
            }
            traces.push(t);
        }
        if at != used {
            return Err(bad_end(self.on()));
        }
        Ok(ProgramOutput {
            traces,
            counters: Some(counters),
        })
    }
}

impl<T: Transport> Device<T> {
    /// Runs every layer of the loaded package over `inputs` in one start (a run list,
    /// `crew_spec::program`): `[inputs | run list | zero states]` in one pipe write, one
    /// start, the done wait, `[states | outputs]` in one pipe read. Each layer starts from
    /// the zero state; layer k+1 reads layer k's outputs where the engine wrote them.
    pub fn run_layer_stack(&mut self, inputs: &[Vec<i8>]) -> Result<StackOutput, RunError> {
        let Some(loaded) = self.loaded.as_ref() else {
            return Err(RunError::NotLoaded { on: self.on() });
        };
        let layers = loaded.layers.clone();
        let steps = inputs.len();
        let Some(first) = layers.first() else {
            return Err(RunError::BadProgramInput {
                on: self.on(),
                message: "the package has no layers".into(),
            });
        };
        let zero = |l: &LayerEntry| LayerState::zeros(l.kind, l.n_hidden as usize);
        check_run(
            &self.name,
            0,
            first.kind,
            first.input_len(),
            first.n_hidden as usize,
            inputs,
            &zero(first),
        )?;
        if first.token_input {
            check_tokens(&self.name, 0, first.n_in as usize, inputs)?;
        }
        for (k, pair) in layers.windows(2).enumerate() {
            if pair[0].kind == LayerKind::Fc
                || pair[1].token_input
                || pair[1].n_in != pair[0].n_hidden
            {
                return Err(RunError::BadProgramInput {
                    on: self.on(),
                    message: format!(
                        "layer {} does not take layer {k}'s h ({} inputs, FC or token input); \
                         only a stack of recurrent layers with a last FC layer runs in one start",
                        k + 1,
                        pair[1].n_in
                    ),
                });
            }
        }
        // Layout, in words from the scratch address.
        let step_in = image::vector_words_i8(first.input_len());
        let state_words = |l: &LayerEntry| match l.kind {
            LayerKind::Fc => 0,
            LayerKind::Gru => image::vector_words_i8(l.n_hidden as usize),
            LayerKind::Lstm => {
                image::vector_words_i8(l.n_hidden as usize)
                    + image::vector_words_i32(l.n_hidden as usize)
            }
        };
        let out_words = |l: &LayerEntry| match l.kind {
            LayerKind::Fc => image::vector_words_i32(l.n_hidden as usize),
            _ => image::vector_words_i8(l.n_hidden as usize),
        };
        let x_addr = loaded.scratch_addr;
        let list_addr = x_addr + (steps * step_in) as u64;
        let states_addr = list_addr + (4 + 4 * layers.len()) as u64;
        let mut state_at = vec![];
        let mut at = states_addr;
        for l in &layers {
            state_at.push(at);
            at += state_words(l) as u64;
        }
        let mut out_at = vec![];
        for l in &layers {
            out_at.push(at);
            at += (steps * out_words(l)) as u64;
        }
        let end = at;
        if end > DRAM_WORDS {
            return Err(RunError::OutOfDram {
                on: self.on(),
                what: "the run-time vectors of the layer stack".into(),
                end,
            });
        }
        let entries: Vec<RunEntry> = layers
            .iter()
            .enumerate()
            .map(|(k, l)| RunEntry {
                desc_addr: l.desc_addr,
                in_addr: if k == 0 { x_addr } else { out_at[k - 1] } as u32,
                out_addr: out_at[k] as u32,
                state_addr: state_at[k] as u32,
                steps: steps as u16,
            })
            .collect();
        let mut bytes = vec![0u8; ((out_at[0] - x_addr) as usize) * WORD_BYTES];
        for (t, x) in inputs.iter().enumerate() {
            for (j, &v) in x.iter().enumerate() {
                bytes[t * step_in * WORD_BYTES + j] = v as u8;
            }
        }
        let list = image::words_to_bytes(&run_list_words(&entries));
        let list_at = (list_addr - x_addr) as usize * WORD_BYTES;
        bytes[list_at..list_at + list.len()].copy_from_slice(&list);
        let work: u64 = (0..layers.len())
            .map(|k| loaded.step_words[k] * steps as u64)
            .sum();
        let deadline = self.run_deadline(work, 1);
        // The run-command wires ride on the transfer's UpdateWireIns.
        self.set_u32(
            regmap::WIRE_IN_DESC_ADDR_LO,
            regmap::WIRE_IN_DESC_ADDR_HI,
            list_addr as u32,
        )?;
        let r = self.transport.set_wire_in(regmap::WIRE_IN_STEPS, 1);
        self.tr(r)?;
        self.write_dram(x_addr, &bytes, "writing the stack's inputs and run list")?;
        let r = self
            .transport
            .activate_trigger_in(regmap::TRIGGER_IN_COMMAND, regmap::TRIG_START_PROGRAM);
        self.tr(r)?;
        let what = format!("run list of {} layers over {steps} steps", layers.len());
        self.wait_events(
            1 << regmap::TRIG_OUT_RUN_DONE | 1 << regmap::TRIG_OUT_ERROR,
            deadline,
            &what,
        )?;
        let checked = self.check_error(&what);
        let done = self.wire_out(regmap::WIRE_OUT_WORDS_DONE)? as usize;
        if checked.is_err() || done != layers.len() {
            let error = match checked {
                Err(e) => e,
                Ok(()) => RunError::BadImage {
                    on: self.on(),
                    message: "the run list ended without an error code".into(),
                },
            };
            return Err(RunError::ProgramStopped {
                on: self.on(),
                done,
                inputs: layers.len(),
                error: Box::new(error),
            });
        }
        let counters = self.counters()?;
        let back = self.read_dram_after(
            states_addr,
            (end - states_addr) as usize,
            "reading the stack's states and outputs",
            false,
        )?;
        let words = image::bytes_to_words(&back);
        let from = |addr: u64, n: usize| &words[(addr - states_addr) as usize..][..n];
        let runs = layers
            .iter()
            .enumerate()
            .map(|(k, l)| {
                let h = l.n_hidden as usize;
                let outputs = match l.kind {
                    LayerKind::Fc => StepOutputs::Accumulators(
                        (0..steps)
                            .map(|t| {
                                let w = from(out_at[k] + (t * out_words(l)) as u64, out_words(l));
                                image::words_to_bytes(w)
                                    .chunks(4)
                                    .take(h)
                                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                                    .collect()
                            })
                            .collect(),
                    ),
                    _ => StepOutputs::Hidden(
                        (0..steps)
                            .map(|t| {
                                let w = from(out_at[k] + (t * out_words(l)) as u64, out_words(l));
                                image::words_to_bytes(w)[..h]
                                    .iter()
                                    .map(|&b| b as i8)
                                    .collect()
                            })
                            .collect(),
                    ),
                };
                let state = match l.kind {
                    LayerKind::Fc => LayerState::default(),
                    kind => {
                        let s = image::words_to_bytes(from(state_at[k], state_words(l)));
                        let hw = image::vector_words_i8(h) * WORD_BYTES;
                        LayerState {
                            h: s[..h].iter().map(|&b| b as i8).collect(),
                            c: if kind == LayerKind::Lstm {
                                s[hw..]
                                    .chunks(4)
                                    .take(h)
                                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                                    .collect()
                            } else {
                                vec![]
                            },
                        }
                    }
                };
                (
                    RunOutput {
                        outputs,
                        counters: None,
                    },
                    state,
                )
            })
            .collect();
        Ok(StackOutput {
            runs,
            counters: Some(counters),
        })
    }
}
