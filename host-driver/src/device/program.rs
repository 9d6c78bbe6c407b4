//! Programs on the engine (`crew_spec::program`): a queue of inputs through the package's
//! sequence program, and every layer of the package as a run list. Either is one start:
//! one pipe write carries the program's inputs (with the run-command wires on its
//! UpdateWireIns), `TRIG_START_PROGRAM`, the done event, the error code and words-done,
//! then one pipe read brings back what the engine wrote. An error or a short words-done
//! reports nothing: every result comes from a finished program.

use crew_spec::image::{self, LayerKind, DRAM_WORDS, TOKEN_INPUT_BYTES};
use crew_spec::layout::RunLayout;
use crew_spec::program::{run_list_words, RunEntry};
use crew_spec::regmap;

use super::Device;
use crate::backend::program::{ProgramOutput, ProgramSpec};
use crate::backend::{
    check_run, check_tokens, LayerState, PerfCounters, RunOutput, StackOutput, StepOutputs,
};
use crate::error::RunError;
use crate::transport::Transport;

/// What one program start needs on the run-command wires and in DRAM.
struct ProgramStart<'a> {
    /// The program (or run list) word address.
    program_addr: u32,
    in_addr: u64,
    out_addr: u64,
    /// Inputs (queue) or 1 (run list).
    steps: u16,
    /// Written at `write_addr` before the start.
    write_addr: u64,
    write: &'a [u8],
    /// Work in DRAM words streamed, for the deadline.
    work_words: u64,
    /// What finishes: inputs of a queue, entries of a run list.
    expected: usize,
    what: String,
}

impl<T: Transport> Device<T> {
    /// One program start (see the module documentation); the counters of the program.
    fn start_program(&mut self, s: ProgramStart) -> Result<PerfCounters, RunError> {
        let deadline = self.run_deadline(s.work_words, 1);
        // The run-command wires first: the transfer's UpdateWireIns carries them too.
        self.set_u32(
            regmap::WIRE_IN_DESC_ADDR_LO,
            regmap::WIRE_IN_DESC_ADDR_HI,
            s.program_addr,
        )?;
        self.set_u32(
            regmap::WIRE_IN_IN_ADDR_LO,
            regmap::WIRE_IN_IN_ADDR_HI,
            s.in_addr as u32,
        )?;
        self.set_u32(
            regmap::WIRE_IN_OUT_ADDR_LO,
            regmap::WIRE_IN_OUT_ADDR_HI,
            s.out_addr as u32,
        )?;
        let r = self.transport.set_wire_in(regmap::WIRE_IN_STEPS, s.steps);
        self.tr(r)?;
        self.write_dram(s.write_addr, s.write, &format!("writing the {}", s.what))?;
        // The write's wait consumed its events: start at once.
        let r = self
            .transport
            .activate_trigger_in(regmap::TRIGGER_IN_COMMAND, regmap::TRIG_START_PROGRAM);
        self.tr(r)?;
        self.wait_events(
            1 << regmap::TRIG_OUT_RUN_DONE | 1 << regmap::TRIG_OUT_ERROR,
            deadline,
            &s.what,
        )?;
        // check_error reads the wire-outs, words-done among them.
        let checked = self.check_error(&s.what);
        let done = self.wire_out(regmap::WIRE_OUT_WORDS_DONE)? as usize;
        if checked.is_err() || done != s.expected {
            let error = checked.err().unwrap_or_else(|| RunError::BadImage {
                on: self.on(),
                message: format!("the {} ended without an error code", s.what),
            });
            return Err(RunError::ProgramStopped {
                on: self.on(),
                done,
                inputs: s.expected,
                error: Box::new(error),
            });
        }
        self.counters()
    }

    /// Runs the loaded package's sequence program over a queue of inputs in one start:
    /// the source stream in, every input's trace slot (packed, up to the trace end the
    /// engine reports) back.
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
        let stream: Vec<Vec<i8>> = sources
            .iter()
            .flatten()
            .map(|&t| image::token_input(t))
            .collect();
        let tokens = loaded.layers[spec.encoder].n_in as usize;
        for (k, s) in sources.iter().enumerate() {
            let inputs: Vec<Vec<i8>> = s.iter().map(|&t| image::token_input(t)).collect();
            check_tokens(&self.name, spec.encoder, tokens, &inputs).map_err(|e| {
                RunError::BadProgramInput {
                    on: self.on(),
                    message: format!("input {k}: {e}"),
                }
            })?;
        }
        let p = spec.header;
        // DRAM: the source stream (one token-input word per step), then the trace slots.
        let src = RunLayout::new(
            LayerKind::Fc,
            TOKEN_INPUT_BYTES,
            0,
            stream.len(),
            loaded.scratch_addr,
        );
        let trace_addr = src.end.div_ceil(256) * 256;
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
        let work_words = steps(spec.encoder, stream.len())
            + sources.len() as u64
                * (steps(spec.decoder, p.max_steps as usize)
                    + steps(spec.projection, p.max_steps as usize));
        let counters = self.start_program(ProgramStart {
            program_addr,
            in_addr: src.in_addr,
            out_addr: trace_addr,
            steps: sources.len() as u16,
            write_addr: src.in_addr,
            write: &src.pack_inputs(&stream, &[], &[]),
            work_words,
            expected: sources.len(),
            what: format!("sequence program over {} inputs", sources.len()),
        })?;
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

    /// Runs every layer of the loaded package over `inputs` in one start (a run list): in
    /// DRAM `[inputs | states | run list | outputs]`, the first three (states zero) in one
    /// write, from the states on in one read. Each layer starts from the zero state;
    /// layer k+1 reads layer k's outputs where the engine wrote them.
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
        let zero = |k: usize| LayerState::zeros(layers[k].kind, layers[k].n_hidden as usize);
        check_run(
            &self.name,
            0,
            first.kind,
            first.input_len(),
            first.n_hidden as usize,
            inputs,
            &zero(0),
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
        // Each layer's run as a RunLayout without inputs: its state and output sizes, and
        // how to read them back.
        let runs: Vec<RunLayout> = layers
            .iter()
            .map(|l| RunLayout::new(l.kind, 0, l.n_hidden as usize, steps, 0))
            .collect();
        let state_words = |r: &RunLayout| (r.h_words() + r.c_words()) as u64;
        // The inputs alone (an FC-shaped layout of no outputs: no state either).
        let input = RunLayout::new(
            LayerKind::Fc,
            first.input_len(),
            0,
            steps,
            loaded.scratch_addr,
        );
        let mut state_at = vec![];
        let mut at = input.state_addr;
        for r in &runs {
            state_at.push(at);
            at += state_words(r);
        }
        let list_addr = at;
        at += (4 + 4 * layers.len()) as u64;
        let mut out_at = vec![];
        for r in &runs {
            out_at.push(at);
            at += r.end - r.out_addr;
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
                in_addr: if k == 0 { input.in_addr } else { out_at[k - 1] } as u32,
                out_addr: out_at[k] as u32,
                state_addr: state_at[k] as u32,
                steps: steps as u16,
            })
            .collect();
        let mut write = input.pack_inputs(inputs, &[], &[]);
        for (k, r) in runs.iter().enumerate() {
            let z = zero(k);
            write.extend(r.pack_inputs(&[], &z.h, &z.c));
        }
        write.extend(image::words_to_bytes(&run_list_words(&entries)));
        let counters = self.start_program(ProgramStart {
            program_addr: list_addr as u32,
            in_addr: 0,
            out_addr: 0,
            steps: 1,
            write_addr: input.in_addr,
            write: &write,
            work_words: (0..layers.len())
                .map(|k| loaded.step_words[k] * steps as u64)
                .sum(),
            expected: layers.len(),
            what: format!("run list of {} layers over {steps} steps", layers.len()),
        })?;
        let first_state = input.state_addr;
        let back = self.read_dram_after(
            first_state,
            (end - first_state) as usize,
            "reading the stack's states and outputs",
            false,
        )?;
        let bytes = |addr: u64, words: u64| {
            let at = (addr - first_state) as usize * image::WORD_BYTES;
            &back[at..at + words as usize * image::WORD_BYTES]
        };
        let runs = runs
            .iter()
            .enumerate()
            .map(|(k, r)| {
                // The layer's state and outputs, as one read of its RunLayout would bring.
                let mut own = bytes(state_at[k], state_words(r)).to_vec();
                own.extend_from_slice(bytes(out_at[k], r.end - r.out_addr));
                let outputs = match r.kind {
                    LayerKind::Fc => StepOutputs::Accumulators(
                        (0..steps).map(|t| r.read_accumulators(&own, t)).collect(),
                    ),
                    _ => StepOutputs::Hidden((0..steps).map(|t| r.read_hidden(&own, t)).collect()),
                };
                let (h, c) = r.read_state(&own);
                (
                    RunOutput {
                        outputs,
                        counters: None,
                    },
                    LayerState { h, c },
                )
            })
            .collect();
        Ok(StackOutput {
            runs,
            counters: Some(counters),
        })
    }
}
