//! `ProgramRunner`: runs a sequence program (`crew_spec::program`) on the engine core, one
//! layer run at a time, without the host: for each queued input, the encoder over its
//! source tokens, then decoder step, projection and argmax until the end token or
//! `max_steps`. It sits between the engine's run port and the core's: a plain run
//! (`program` low at `start`) passes straight through.
//!
//! Every step's results stay in DRAM (the trace slot of the input, see the spec): the
//! decoder's input is the token word the previous argmax run wrote, the projection's input
//! the h the decoder step wrote. The runner only adds addresses and compares tokens, each
//! from registers; the core checks the layers (`need_token`, `argmax`).

use crate::engine::port::{CoreControl, EngineRunPort};
use crew_spec::program::{PROGRAM_KIND_RUN_ENTRY, PROGRAM_KIND_RUN_LIST, PROGRAM_KIND_SEQ2SEQ};
use crew_spec::regmap::ErrorCode;
use rust_hdl::prelude::*;

#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub enum ProgramState {
    /// No program: a plain layer run's command passes straight through to the core.
    Idle,
    Fetch,
    FetchWait,
    Check,
    WordStart,
    EncRun,
    EncWait,
    DecStart,
    DecRun,
    DecWait,
    ProjRun,
    ProjWait,
    WordDone,
    // A run list: fetch entry, check it, run it, next.
    ListFetch,
    ListFetchWait,
    ListCheck,
    ListRun,
    ListWait,
    Finish,
}

#[derive(LogicBlock)]
pub struct ProgramRunner {
    pub clock: Signal<In, Clock>,
    /// From the host bridge (through the engine's run port).
    pub host: EngineRunPort,
    /// To the core.
    pub core: CoreControl,
    k_kind: Constant<Bits<8>>,
    k_kind_list: Constant<Bits<8>>,
    k_kind_entry: Constant<Bits<8>>,
    k_err_program: Constant<Bits<8>>,
    k_err_source: Constant<Bits<8>>,
    k_err_abort: Constant<Bits<8>>,
    st: DFF<ProgramState>,
    /// The last command was a program (its error and done are the runner's).
    last_prog: DFF<Bit>,
    err: DFF<Bits<8>>,
    done_r: DFF<Bit>,
    words_done: DFF<Bits<16>>,
    n_words: DFF<Bits<16>>,
    // The program's fields (see crew_spec::program).
    p_addr: DFF<Bits<32>>,
    src_end: DFF<Bits<16>>,
    tgt_end: DFF<Bits<16>>,
    max_steps: DFF<Bits<16>>,
    enc_addr: DFF<Bits<32>>,
    dec_addr: DFF<Bits<32>>,
    proj_addr: DFF<Bits<32>>,
    max_src: DFF<Bits<16>>,
    h_words: DFF<Bits<16>>,
    zero_addr: DFF<Bits<32>>,
    state_words: DFF<Bits<16>>,
    logit_words: DFF<Bits<16>>,
    // Walk pointers: the source stream, the input's trace slot, the next trace word, the
    // state the next encoder step reads, the decoder's h and input token.
    src_ptr: DFF<Bits<32>>,
    slot_ptr: DFF<Bits<32>>,
    trace_ptr: DFF<Bits<32>>,
    state_in: DFF<Bits<32>>,
    h_addr: DFF<Bits<32>>,
    tok_addr: DFF<Bits<32>>,
    // Steps left (the step that sees the counter at 1 is the last allowed).
    enc_left: DFF<Bits<16>>,
    dec_left: DFF<Bits<16>>,
    // The core command of the current layer run.
    c_start: DFF<Bit>,
    c_desc: DFF<Bits<32>>,
    c_in: DFF<Bits<32>>,
    c_out: DFF<Bits<32>>,
    c_state: DFF<Bits<32>>,
    c_state_in: DFF<Bits<32>>,
    c_fetch: DFF<Bit>,
    c_argmax: DFF<Bit>,
    c_need_tok: DFF<Bit>,
    c_keep: DFF<Bit>,
    c_steps: DFF<Bits<16>>,
    prog: Signal<Local, Bit>,
}

impl Default for ProgramRunner {
    fn default() -> Self {
        let code = |c: ErrorCode| Constant::new((c as u8 as u32).to_bits());
        ProgramRunner {
            clock: Default::default(),
            host: Default::default(),
            core: Default::default(),
            k_kind: Constant::new((PROGRAM_KIND_SEQ2SEQ as u32).to_bits()),
            k_kind_list: Constant::new((PROGRAM_KIND_RUN_LIST as u32).to_bits()),
            k_kind_entry: Constant::new((PROGRAM_KIND_RUN_ENTRY as u32).to_bits()),
            k_err_program: code(ErrorCode::BadProgram),
            k_err_source: code(ErrorCode::SourceTooLong),
            k_err_abort: code(ErrorCode::Aborted),
            st: Default::default(),
            last_prog: Default::default(),
            err: Default::default(),
            done_r: Default::default(),
            words_done: Default::default(),
            n_words: Default::default(),
            p_addr: Default::default(),
            src_end: Default::default(),
            tgt_end: Default::default(),
            max_steps: Default::default(),
            enc_addr: Default::default(),
            dec_addr: Default::default(),
            proj_addr: Default::default(),
            max_src: Default::default(),
            h_words: Default::default(),
            zero_addr: Default::default(),
            state_words: Default::default(),
            logit_words: Default::default(),
            src_ptr: Default::default(),
            slot_ptr: Default::default(),
            trace_ptr: Default::default(),
            state_in: Default::default(),
            h_addr: Default::default(),
            tok_addr: Default::default(),
            enc_left: Default::default(),
            dec_left: Default::default(),
            c_start: Default::default(),
            c_desc: Default::default(),
            c_in: Default::default(),
            c_out: Default::default(),
            c_state: Default::default(),
            c_state_in: Default::default(),
            c_fetch: Default::default(),
            c_argmax: Default::default(),
            c_need_tok: Default::default(),
            c_keep: Default::default(),
            c_steps: Default::default(),
            prog: Default::default(),
        }
    }
}

impl Logic for ProgramRunner {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            st,
            last_prog,
            err,
            done_r,
            words_done,
            n_words,
            p_addr,
            src_end,
            tgt_end,
            max_steps,
            enc_addr,
            dec_addr,
            proj_addr,
            max_src,
            h_words,
            zero_addr,
            state_words,
            logit_words,
            src_ptr,
            slot_ptr,
            trace_ptr,
            state_in,
            h_addr,
            tok_addr,
            enc_left,
            dec_left,
            c_start,
            c_desc,
            c_in,
            c_out,
            c_state,
            c_state_in,
            c_fetch,
            c_argmax,
            c_need_tok,
            c_keep,
            c_steps
        );
        self.done_r.d.next = false;
        self.c_start.d.next = false;
        self.prog.next = self.st.q.val() != ProgramState::Idle;

        // ---------------------------------------------------------------- to the core
        // A plain run: the host's command as it is; a program: the runner's registers.
        self.core.abort.next = self.host.abort.val();
        if self.prog.val() {
            self.core.start.next = self.c_start.q.val();
            self.core.desc_addr.next = self.c_desc.q.val();
            self.core.in_addr.next = self.c_in.q.val();
            self.core.out_addr.next = self.c_out.q.val();
            self.core.state_addr.next = self.c_state.q.val();
            self.core.state_in_addr.next = self.c_state_in.q.val();
            self.core.steps.next = self.c_steps.q.val();
            self.core.fetch.next = self.c_fetch.q.val();
            self.core.argmax.next = self.c_argmax.q.val();
            self.core.need_token.next = self.c_need_tok.q.val();
            self.core.keep_counters.next = self.c_keep.q.val();
        } else {
            self.core.start.next = self.host.start.val() & !self.host.program.val();
            self.core.desc_addr.next = self.host.desc_addr.val();
            self.core.in_addr.next = self.host.in_addr.val();
            self.core.out_addr.next = self.host.out_addr.val();
            self.core.state_addr.next = self.host.state_addr.val();
            self.core.state_in_addr.next = self.host.state_addr.val();
            self.core.steps.next = self.host.steps.val();
            self.core.fetch.next = false;
            self.core.argmax.next = false;
            self.core.need_token.next = false;
            self.core.keep_counters.next = false;
        }

        // ---------------------------------------------------------------- to the host
        self.host.busy.next = self.core.busy.val() | self.prog.val();
        self.host.cycles.next = self.core.cycles.val();
        self.host.busy_cycles.next = self.core.busy_cycles.val();
        self.host.stall_cycles.next = self.core.stall_cycles.val();
        self.host.dram_words.next = self.core.dram_words.val();
        self.host.mults.next = self.core.mults.val();
        self.host.adds.next = self.core.adds.val();
        self.host.words_done.next = self.words_done.q.val();
        self.host.trace_end.next = self.slot_ptr.q.val();
        // A plain run's done is the core's (the next command may start in the very cycle
        // the last one is done); a program's is the runner's, the core's inner ones hidden.
        self.host.done.next = self.done_r.q.val() | (self.core.done.val() & !self.prog.val());
        self.host.error.next = self.core.error.val();
        if self.last_prog.q.val() {
            self.host.error.next = self.err.q.val();
        }

        // ---------------------------------------------------------------- sequencer
        match self.st.q.val() {
            ProgramState::Idle => {
                if self.host.start.val() {
                    self.last_prog.d.next = self.host.program.val();
                    if self.host.program.val() {
                        self.err.d.next = 0.into();
                        self.words_done.d.next = 0.into();
                        self.p_addr.d.next = self.host.desc_addr.val();
                        self.src_ptr.d.next = self.host.in_addr.val();
                        self.slot_ptr.d.next = self.host.out_addr.val();
                        self.n_words.d.next = self.host.steps.val();
                        self.st.d.next = ProgramState::Fetch;
                        if self.host.steps.val() == 0 {
                            self.st.d.next = ProgramState::Finish;
                        }
                    }
                }
            }
            ProgramState::Fetch => {
                // The program's header words through the core (a fetch run clears the
                // counters; the layer runs after it keep counting).
                self.c_desc.d.next = self.p_addr.q.val();
                self.c_steps.d.next = 1.into();
                self.c_fetch.d.next = true;
                self.c_argmax.d.next = false;
                self.c_need_tok.d.next = false;
                self.c_keep.d.next = false;
                self.c_start.d.next = true;
                self.st.d.next = ProgramState::FetchWait;
            }
            ProgramState::FetchWait => {
                self.c_keep.d.next = true;
                if self.core.done.val() {
                    self.c_fetch.d.next = false;
                    self.st.d.next = ProgramState::Check;
                    if self.core.error.val().any() {
                        self.err.d.next = self.core.error.val();
                        self.st.d.next = ProgramState::Finish;
                    }
                }
            }
            ProgramState::Check => {
                self.src_end.d.next = self.core.fetched0.val().get_bits::<16>(16);
                self.tgt_end.d.next = self.core.fetched0.val().get_bits::<16>(32);
                self.max_steps.d.next = self.core.fetched0.val().get_bits::<16>(48);
                self.enc_addr.d.next = self.core.fetched1.val().get_bits::<32>(0);
                self.dec_addr.d.next = self.core.fetched1.val().get_bits::<32>(32);
                self.proj_addr.d.next = self.core.fetched1.val().get_bits::<32>(64);
                self.max_src.d.next = self.core.fetched1.val().get_bits::<16>(96);
                self.h_words.d.next = self.core.fetched1.val().get_bits::<16>(112);
                self.zero_addr.d.next = self.core.fetched2.val().get_bits::<32>(0);
                self.state_words.d.next = self.core.fetched2.val().get_bits::<16>(32);
                self.logit_words.d.next = self.core.fetched2.val().get_bits::<16>(48);
                self.st.d.next = ProgramState::WordStart;
                if self.core.fetched_magic.val()
                    & (self.core.fetched0.val().get_bits::<8>(0) == self.k_kind_list.val())
                    & (self.core.fetched0.val().get_bits::<16>(16) != 0)
                {
                    // A run list: N entries from P + 4 (the source stream is not used).
                    self.n_words.d.next = self.core.fetched0.val().get_bits::<16>(16);
                    self.src_ptr.d.next = self.p_addr.q.val() + 4;
                    self.st.d.next = ProgramState::ListFetch;
                } else if !self.core.fetched_magic.val()
                    | (self.core.fetched0.val().get_bits::<8>(0) != self.k_kind.val())
                    | (self.core.fetched0.val().get_bits::<16>(48) == 0)
                    | (self.core.fetched1.val().get_bits::<16>(96) == 0)
                {
                    self.err.d.next = self.k_err_program.val();
                    self.st.d.next = ProgramState::Finish;
                }
            }
            ProgramState::ListFetch => {
                self.c_desc.d.next = self.src_ptr.q.val();
                self.c_fetch.d.next = true;
                self.c_steps.d.next = 1.into();
                self.c_start.d.next = true;
                self.st.d.next = ProgramState::ListFetchWait;
            }
            ProgramState::ListFetchWait => {
                if self.core.done.val() {
                    self.c_fetch.d.next = false;
                    self.st.d.next = ProgramState::ListCheck;
                    if self.core.error.val().any() {
                        self.err.d.next = self.core.error.val();
                        self.st.d.next = ProgramState::Finish;
                    }
                }
            }
            ProgramState::ListCheck => {
                self.c_steps.d.next = self.core.fetched0.val().get_bits::<16>(16);
                self.c_desc.d.next = self.core.fetched1.val().get_bits::<32>(0);
                self.c_in.d.next = self.core.fetched1.val().get_bits::<32>(32);
                self.c_out.d.next = self.core.fetched1.val().get_bits::<32>(64);
                self.c_state.d.next = self.core.fetched1.val().get_bits::<32>(96);
                self.c_state_in.d.next = self.core.fetched1.val().get_bits::<32>(96);
                self.st.d.next = ProgramState::ListRun;
                if !self.core.fetched_magic.val()
                    | (self.core.fetched0.val().get_bits::<8>(0) != self.k_kind_entry.val())
                    | (self.core.fetched0.val().get_bits::<16>(16) == 0)
                {
                    self.err.d.next = self.k_err_program.val();
                    self.st.d.next = ProgramState::Finish;
                }
            }
            ProgramState::ListRun => {
                self.c_argmax.d.next = false;
                self.c_need_tok.d.next = false;
                self.c_start.d.next = true;
                self.st.d.next = ProgramState::ListWait;
            }
            ProgramState::ListWait => {
                if self.core.done.val() {
                    self.src_ptr.d.next = self.src_ptr.q.val() + 4;
                    self.words_done.d.next = self.words_done.q.val() + 1;
                    self.st.d.next = ProgramState::ListFetch;
                    if self.core.error.val().any() {
                        self.err.d.next = self.core.error.val();
                        self.words_done.d.next = self.words_done.q.val();
                        self.st.d.next = ProgramState::Finish;
                    } else if self.words_done.q.val() + 1 == self.n_words.q.val() {
                        self.st.d.next = ProgramState::Finish;
                    }
                }
            }
            ProgramState::WordStart => {
                // The encoder starts from the zero state; the slot starts with the state.
                self.state_in.d.next = self.zero_addr.q.val();
                self.trace_ptr.d.next =
                    self.slot_ptr.q.val() + bit_cast::<32, 16>(self.state_words.q.val());
                self.enc_left.d.next = self.max_src.q.val();
                self.st.d.next = ProgramState::EncRun;
            }
            ProgramState::EncRun => {
                self.c_desc.d.next = self.enc_addr.q.val();
                self.c_in.d.next = self.src_ptr.q.val();
                self.c_out.d.next = self.trace_ptr.q.val();
                self.c_state.d.next = self.slot_ptr.q.val();
                self.c_state_in.d.next = self.state_in.q.val();
                self.c_argmax.d.next = false;
                self.c_need_tok.d.next = true;
                self.c_start.d.next = true;
                self.st.d.next = ProgramState::EncWait;
            }
            ProgramState::EncWait => {
                if self.core.done.val() {
                    self.src_ptr.d.next = self.src_ptr.q.val() + 1;
                    self.trace_ptr.d.next =
                        self.trace_ptr.q.val() + bit_cast::<32, 16>(self.h_words.q.val());
                    self.state_in.d.next = self.slot_ptr.q.val();
                    self.enc_left.d.next = self.enc_left.q.val() - 1;
                    if self.core.error.val().any() {
                        self.err.d.next = self.core.error.val();
                        self.st.d.next = ProgramState::Finish;
                    } else if self.core.in_token.val() == self.src_end.q.val() {
                        self.st.d.next = ProgramState::DecStart;
                    } else if self.enc_left.q.val() == 1 {
                        self.err.d.next = self.k_err_source.val();
                        self.st.d.next = ProgramState::Finish;
                    } else {
                        self.st.d.next = ProgramState::EncRun;
                    }
                }
            }
            ProgramState::DecStart => {
                // The first decoder input: the program's start-token word (P + 3).
                self.tok_addr.d.next = self.p_addr.q.val() + 3;
                self.dec_left.d.next = self.max_steps.q.val();
                self.st.d.next = ProgramState::DecRun;
            }
            ProgramState::DecRun => {
                self.c_desc.d.next = self.dec_addr.q.val();
                self.c_in.d.next = self.tok_addr.q.val();
                self.c_out.d.next = self.trace_ptr.q.val();
                self.c_state.d.next = self.slot_ptr.q.val();
                self.c_state_in.d.next = self.slot_ptr.q.val();
                self.c_argmax.d.next = false;
                self.c_need_tok.d.next = true;
                self.c_start.d.next = true;
                self.st.d.next = ProgramState::DecWait;
            }
            ProgramState::DecWait => {
                if self.core.done.val() {
                    self.h_addr.d.next = self.trace_ptr.q.val();
                    self.trace_ptr.d.next =
                        self.trace_ptr.q.val() + bit_cast::<32, 16>(self.h_words.q.val());
                    self.st.d.next = ProgramState::ProjRun;
                    if self.core.error.val().any() {
                        self.err.d.next = self.core.error.val();
                        self.st.d.next = ProgramState::Finish;
                    }
                }
            }
            ProgramState::ProjRun => {
                self.c_desc.d.next = self.proj_addr.q.val();
                self.c_in.d.next = self.h_addr.q.val();
                self.c_out.d.next = self.trace_ptr.q.val();
                self.c_argmax.d.next = true;
                self.c_need_tok.d.next = false;
                self.c_start.d.next = true;
                self.st.d.next = ProgramState::ProjWait;
            }
            ProgramState::ProjWait => {
                // The token word follows the logits; the next trace entry follows it.
                self.tok_addr.d.next =
                    self.trace_ptr.q.val() + bit_cast::<32, 16>(self.logit_words.q.val());
                if self.core.done.val() {
                    self.trace_ptr.d.next = self.tok_addr.q.val() + 1;
                    self.dec_left.d.next = self.dec_left.q.val() - 1;
                    self.st.d.next = ProgramState::DecRun;
                    if self.core.error.val().any() {
                        self.err.d.next = self.core.error.val();
                        self.st.d.next = ProgramState::Finish;
                    } else if (self.core.token.val() == self.tgt_end.q.val())
                        | (self.dec_left.q.val() == 1)
                    {
                        self.st.d.next = ProgramState::WordDone;
                    }
                }
            }
            ProgramState::WordDone => {
                self.words_done.d.next = self.words_done.q.val() + 1;
                // Slots are packed: the next one starts where this one ended.
                self.slot_ptr.d.next = self.trace_ptr.q.val();
                self.st.d.next = ProgramState::WordStart;
                if self.words_done.q.val() + 1 == self.n_words.q.val() {
                    self.st.d.next = ProgramState::Finish;
                }
            }
            ProgramState::Finish => {
                self.c_keep.d.next = false;
                self.done_r.d.next = true;
                self.st.d.next = ProgramState::Idle;
            }
        }
        // An abort between layer runs ends the program here (during a run the core stops
        // with `Aborted` and the wait states end the program with it).
        if self.prog.val()
            & self.host.abort.val()
            & !self.core.busy.val()
            & (self.st.q.val() != ProgramState::Finish)
            & !self.c_start.q.val()
        {
            self.err.d.next = self.k_err_abort.val();
            self.st.d.next = ProgramState::Finish;
        }
    }
}

crate::synth_test!(ProgramRunner::default());
