//! `ReadIssuer`: the read addresses of a run, region by region: the descriptor, then the
//! state (h, and c for LSTM layers), then per step the x vector and, per pass, the column
//! records and the epilogue rows. A region is loaded when the previous one has been fully
//! requested; a region outside DRAM is an `AddressOutOfRange` error (`addr_fail`).
//!
//! Loading a region takes two cycles (5 ns budget): the region's base and length are
//! chosen and registered (`ld_base`, `ld_len`), then loaded and checked against DRAM.

use crew_spec::image::DRAM_WORDS;
use rust_hdl::prelude::*;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum IssueState {
    Idle,
    Desc,
    Begin,
    StateH,
    StateC,
    X,
    Rec0,
    Epi0,
    Rec1,
    Epi1,
    End,
}

#[derive(LogicBlock)]
pub struct ReadIssuer {
    /// UI clock; all ports are in this domain.
    pub clock: Signal<In, Clock>,
    /// Read the 4 descriptor words at `desc_addr`.
    pub start: Signal<In, Bit>,
    pub desc_addr: Signal<In, Bits<32>>,
    /// The descriptor is decoded: the run's regions follow, x vectors from `in_addr`.
    pub decoded: Signal<In, Bit>,
    pub in_addr: Signal<In, Bits<32>>,
    /// Stops issuing (drain); `halt` also drops the region (an error).
    pub stop: Signal<In, Bit>,
    pub halt: Signal<In, Bit>,
    /// The sequencer reads the descriptor (`desc_phase`) or runs (`running`).
    pub desc_phase: Signal<In, Bit>,
    pub running: Signal<In, Bit>,
    /// The decoded layer: kind, state address, steps, pass descriptors, vector sizes in
    /// words (h int8, c int32, x int8).
    pub rnn: Signal<In, Bit>,
    pub lstm: Signal<In, Bit>,
    pub state_addr: Signal<In, Bits<32>>,
    pub steps: Signal<In, Bits<16>>,
    pub pd0: Signal<In, Bits<128>>,
    pub pd1: Signal<In, Bits<128>>,
    pub vw8_h: Signal<In, Bits<32>>,
    pub vw32_h: Signal<In, Bits<32>>,
    pub vw8_in: Signal<In, Bits<32>>,
    /// Token-input layer: the x pass's epilogue rows are the step's token block, at
    /// `tok_base` once `tok_ready` (the core has read and checked the token); `tok_take`
    /// says the issuer has loaded it.
    pub tok: Signal<In, Bit>,
    pub tok_ready: Signal<In, Bit>,
    pub tok_base: Signal<In, Bits<32>>,
    pub tok_take: Signal<Out, Bit>,
    /// A word to read at `read_addr`; `read` says it is issued.
    pub read_pending: Signal<Out, Bit>,
    pub read_addr: Signal<Out, Bits<32>>,
    pub read: Signal<In, Bit>,
    pub addr_fail: Signal<Out, Bit>,
    k_dram_words: Constant<Bits<32>>,
    iss: DFF<IssueState>,
    iss_addr: DFF<Bits<32>>,
    iss_left: DFF<Bits<32>>,
    iss_step: DFF<Bits<16>>,
    iss_x: DFF<Bits<32>>,
    /// iss_step + 1 == steps, registered (iss_step changes once per step).
    iss_last: DFF<Bit>,
    // The chosen region, loaded (and checked) the cycle after.
    ld_valid: DFF<Bit>,
    ld_base: DFF<Bits<32>>,
    ld_len: DFF<Bits<32>>,
    /// The loaded region is outside DRAM: `addr_fail` one cycle later, from a register
    /// (the check's add and compares stay out of the core's error path).
    fail_q: DFF<Bit>,
    region_load: Signal<Local, Bit>,
    region_base: Signal<Local, Bits<32>>,
    region_len: Signal<Local, Bits<32>>,
    region_end: Signal<Local, Bits<32>>,
    addr_fail_v: Signal<Local, Bit>,
    tok_take_v: Signal<Local, Bit>,
}

impl Default for ReadIssuer {
    fn default() -> Self {
        ReadIssuer {
            clock: Default::default(),
            start: Default::default(),
            desc_addr: Default::default(),
            decoded: Default::default(),
            in_addr: Default::default(),
            stop: Default::default(),
            halt: Default::default(),
            desc_phase: Default::default(),
            running: Default::default(),
            rnn: Default::default(),
            lstm: Default::default(),
            state_addr: Default::default(),
            steps: Default::default(),
            pd0: Default::default(),
            pd1: Default::default(),
            vw8_h: Default::default(),
            vw32_h: Default::default(),
            vw8_in: Default::default(),
            tok: Default::default(),
            tok_ready: Default::default(),
            tok_base: Default::default(),
            tok_take: Default::default(),
            read_pending: Default::default(),
            read_addr: Default::default(),
            read: Default::default(),
            addr_fail: Default::default(),
            k_dram_words: Constant::new((DRAM_WORDS as u32).to_bits()),
            iss: Default::default(),
            iss_addr: Default::default(),
            iss_left: Default::default(),
            iss_step: Default::default(),
            iss_x: Default::default(),
            iss_last: Default::default(),
            ld_valid: Default::default(),
            ld_base: Default::default(),
            ld_len: Default::default(),
            fail_q: Default::default(),
            region_load: Default::default(),
            region_base: Default::default(),
            region_len: Default::default(),
            region_end: Default::default(),
            addr_fail_v: Default::default(),
            tok_take_v: Default::default(),
        }
    }
}

impl Logic for ReadIssuer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, iss, iss_addr, iss_left, iss_step, iss_x, iss_last, ld_valid, ld_base,
            ld_len, fail_q
        );
        self.iss_last.d.next = self.iss_step.q.val() + 1 == self.steps.val();
        if self.start.val() {
            self.iss.d.next = IssueState::Desc;
            self.iss_addr.d.next = self.desc_addr.val();
            self.iss_left.d.next = 4.into();
            self.iss_step.d.next = 0.into();
        }
        if self.decoded.val() {
            self.iss.d.next = IssueState::Begin;
            self.iss_left.d.next = 0.into();
            self.iss_x.d.next = self.in_addr.val();
        }
        if self.stop.val() {
            self.iss.d.next = IssueState::Idle;
        }
        self.region_load.next = false;
        self.tok_take_v.next = false;
        self.region_base.next = 0.into();
        self.region_len.next = 0.into();
        if (self.iss_left.q.val() == 0) & self.running.val() & !self.ld_valid.q.val() {
            match self.iss.q.val() {
                IssueState::Begin => {
                    self.region_load.next = true;
                    if self.rnn.val() {
                        self.iss.d.next = IssueState::StateH;
                        self.region_base.next = self.state_addr.val();
                        self.region_len.next = self.vw8_h.val();
                    } else {
                        self.iss.d.next = IssueState::X;
                        self.region_base.next = self.iss_x.q.val();
                        self.region_len.next = self.vw8_in.val();
                    }
                }
                IssueState::StateH => {
                    self.region_load.next = true;
                    if self.lstm.val() {
                        self.iss.d.next = IssueState::StateC;
                        self.region_base.next = self.state_addr.val() + self.vw8_h.val();
                        self.region_len.next = self.vw32_h.val();
                    } else {
                        self.iss.d.next = IssueState::X;
                        self.region_base.next = self.iss_x.q.val();
                        self.region_len.next = self.vw8_in.val();
                    }
                }
                IssueState::StateC => {
                    self.region_load.next = true;
                    self.iss.d.next = IssueState::X;
                    self.region_base.next = self.iss_x.q.val();
                    self.region_len.next = self.vw8_in.val();
                }
                IssueState::X => {
                    self.region_load.next = true;
                    self.iss.d.next = IssueState::Rec0;
                    self.region_base.next = self.pd0.val().get_bits::<32>(0);
                    self.region_len.next = self.pd0.val().get_bits::<32>(96);
                }
                IssueState::Rec0 => {
                    if !self.tok.val() {
                        self.region_load.next = true;
                        self.iss.d.next = IssueState::Epi0;
                        self.region_base.next = self.pd0.val().get_bits::<32>(32);
                        self.region_len.next =
                            bit_cast::<32, 16>(self.pd0.val().get_bits::<16>(80));
                    } else if self.tok_ready.val() {
                        self.region_load.next = true;
                        self.tok_take_v.next = true;
                        self.iss.d.next = IssueState::Epi0;
                        self.region_base.next = self.tok_base.val();
                        self.region_len.next =
                            bit_cast::<32, 16>(self.pd0.val().get_bits::<16>(80));
                    }
                }
                IssueState::Epi0 => {
                    self.region_load.next = true;
                    if self.rnn.val() {
                        self.iss.d.next = IssueState::Rec1;
                        self.region_base.next = self.pd1.val().get_bits::<32>(0);
                        self.region_len.next = self.pd1.val().get_bits::<32>(96);
                    } else {
                        self.iss_step.d.next = self.iss_step.q.val() + 1;
                        self.iss_x.d.next = self.iss_x.q.val() + self.vw8_in.val();
                        self.region_base.next = self.iss_x.q.val() + self.vw8_in.val();
                        self.region_len.next = self.vw8_in.val();
                        if self.iss_last.q.val() {
                            self.iss.d.next = IssueState::End;
                            self.region_len.next = 0.into();
                        } else {
                            self.iss.d.next = IssueState::X;
                        }
                    }
                }
                IssueState::Rec1 => {
                    self.region_load.next = true;
                    self.iss.d.next = IssueState::Epi1;
                    self.region_base.next = self.pd1.val().get_bits::<32>(32);
                    self.region_len.next = bit_cast::<32, 16>(self.pd1.val().get_bits::<16>(80));
                }
                IssueState::Epi1 => {
                    self.region_load.next = true;
                    self.iss_step.d.next = self.iss_step.q.val() + 1;
                    self.iss_x.d.next = self.iss_x.q.val() + self.vw8_in.val();
                    self.region_base.next = self.iss_x.q.val() + self.vw8_in.val();
                    self.region_len.next = self.vw8_in.val();
                    if self.iss_last.q.val() {
                        self.iss.d.next = IssueState::End;
                        self.region_len.next = 0.into();
                    } else {
                        self.iss.d.next = IssueState::X;
                    }
                }
                _ => {}
            }
        }
        // Region choice registered; loaded and checked against DRAM the cycle after.
        self.ld_valid.d.next = self.region_load.val();
        self.ld_base.d.next = self.region_base.val();
        self.ld_len.d.next = self.region_len.val();
        self.region_end.next = self.ld_base.q.val() + self.ld_len.q.val();
        self.fail_q.d.next = false;
        if self.ld_valid.q.val() {
            self.iss_addr.d.next = self.ld_base.q.val();
            self.iss_left.d.next = self.ld_len.q.val();
            if (self.ld_len.q.val() != 0)
                & ((self.ld_base.q.val() >= self.k_dram_words.val())
                    | (self.ld_len.q.val() > self.k_dram_words.val())
                    | (self.region_end.val() > self.k_dram_words.val()))
            {
                // Nothing of it is read (`read_pending` is held off while `fail_q`); the
                // core halts on `addr_fail` in that cycle, which drops the region.
                self.fail_q.d.next = true;
            }
        }
        self.addr_fail_v.next = self.fail_q.q.val();
        self.read_pending.next = (self.desc_phase.val() | self.running.val())
            & (self.iss_left.q.val() != 0)
            & !self.fail_q.q.val();
        self.read_addr.next = self.iss_addr.q.val();
        if self.read.val() {
            self.iss_addr.d.next = self.iss_addr.q.val() + 1;
            self.iss_left.d.next = self.iss_left.q.val() - 1;
        }
        if self.halt.val() {
            self.iss.d.next = IssueState::Idle;
            self.iss_left.d.next = 0.into();
        }
        if self.start.val() | self.decoded.val() | self.stop.val() | self.halt.val() {
            self.ld_valid.d.next = false;
        }
        // Outputs once (see `datapath_port.rs`).
        self.addr_fail.next = self.addr_fail_v.val();
        self.tok_take.next = self.tok_take_v.val();
    }
}

crate::synth_test!(ReadIssuer::default());
