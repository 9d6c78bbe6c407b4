//! Cell unit of the CREW engine: after both passes of a GRU/LSTM step it walks the
//! hidden units j = 0..H, reads the requantized gate values of the x pass and the h pass
//! (written here by the epilogue), applies sigmoid/tanh by lookup table, updates h (and c)
//! exactly as `numerics::Luts::gru_cell` / `lstm_cell`, packs h (16 per word) and c (4 per
//! word), writes them to the on-chip h/c buffers and queues the DRAM writes: h_t to the
//! output vector, and after the last step h and c to the state vector. One unit takes 6
//! (GRU) or 7 (LSTM) cycles; the unit runs while the next step's x pass streams, so only
//! the last step pays for it.
//!
//! This file is the unit's sequencer; its datapath blocks sit beside it:
//! - `gate_buffers.rs`: the gate values of both passes, read at the current unit;
//! - `activation_tables.rs`: the sigmoid and tanh ROMs;
//! - `gate_index.rs`: saturating gate sums and their table index (two of them);
//! - `q15_product.rs`: the one shared `rshift_round(a * b, 15)` multiplier;
//! - `h_quantize.rs`: Q.15 to int8 h.
//!
//! All arithmetic is two's complement in 32-bit words.

mod activation_tables;
mod gate_buffers;
mod gate_index;
mod h_quantize;
mod q15_product;
#[cfg(test)]
mod tests;

use activation_tables::ActivationTables;
use gate_buffers::GateBuffers;
use gate_index::GateIndex;
use h_quantize::HQuantize;
use q15_product::Q15Product;
use rust_hdl::prelude::*;

/// Largest H the gate buffers hold (the engine contract's limit).
pub const MAX_HIDDEN: usize = crew_spec::engine::MAX_HIDDEN;
/// Address bits of the gate buffers.
pub const GATE_ADDR_BITS: usize = 9;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum CellState {
    Idle,
    Read,
    Gates,
    Act1,
    Act2,
    Act3,
    Pack,
    WriteHOut,
    WriteHState,
    WriteC,
    Next,
}

#[derive(LogicBlock, Default)]
pub struct CellUnit {
    /// UI clock; all ports are in this domain.
    pub clock: Signal<In, Clock>,
    /// Run start pulse: loads the output pointer from `out_addr`.
    pub run_start: Signal<In, Bit>,
    pub out_addr: Signal<In, Bits<32>>,
    pub state_addr: Signal<In, Bits<32>>,
    /// Layer is an LSTM (else GRU); H.
    pub lstm: Signal<In, Bit>,
    pub hidden: Signal<In, Bits<16>>,
    /// Start pulse for one step's cell pass; `last_step` sampled with it.
    pub start: Signal<In, Bit>,
    pub last_step: Signal<In, Bit>,
    /// Abandons the current cell pass (engine abort or error).
    pub abort: Signal<In, Bit>,
    pub busy: Signal<Out, Bit>,
    /// Gate value write from the epilogue: pass (0 = x, 1 = h), gate, unit, Q.12 value.
    pub gw_en: Signal<In, Bit>,
    pub gw_pass: Signal<In, Bit>,
    pub gw_gate: Signal<In, Bits<2>>,
    pub gw_unit: Signal<In, Bits<GATE_ADDR_BITS>>,
    pub gw_value: Signal<In, Bits<32>>,
    /// h buffer (16 int8 per word) read/write.
    pub h_rd_addr: Signal<Out, Bits<5>>,
    pub h_rd_data: Signal<In, Bits<128>>,
    pub h_wr_en: Signal<Out, Bit>,
    pub h_wr_addr: Signal<Out, Bits<5>>,
    pub h_wr_data: Signal<Out, Bits<128>>,
    /// c buffer (4 int32 per word) read/write.
    pub c_rd_addr: Signal<Out, Bits<7>>,
    pub c_rd_data: Signal<In, Bits<128>>,
    pub c_wr_en: Signal<Out, Bit>,
    pub c_wr_addr: Signal<Out, Bits<7>>,
    pub c_wr_data: Signal<Out, Bits<128>>,
    /// DRAM write queue: room for one more word; push, word address, data.
    pub wr_room: Signal<In, Bit>,
    pub wr_push: Signal<Out, Bit>,
    pub wr_addr: Signal<Out, Bits<32>>,
    pub wr_data: Signal<Out, Bits<128>>,

    gates: GateBuffers,
    tables: ActivationTables,
    // Saturating gate sums with table index: sa_in -> index_a, sb_in -> index_b.
    index_a: GateIndex,
    index_b: GateIndex,
    // rshift_round(mul_a * mul_b, 15), mul_a in 0..2^15, mul_b signed.
    product: Q15Product,
    // q15_to_h(q_in).
    h_quant: HQuantize,

    state: DFF<CellState>,
    unit: DFF<Bits<10>>,
    last: DFF<Bit>,
    out_ptr: DFF<Bits<32>>,
    hpack: DFF<Bits<128>>,
    cpack: DFF<Bits<128>>,
    stash_a: DFF<Bits<32>>,
    stash_b: DFF<Bits<32>>,
    stash_c: DFF<Bits<32>>,
    idx1: DFF<Bits<10>>,
    idx2: DFF<Bits<10>>,
    hnew: DFF<Bits<8>>,
    cnew: DFF<Bits<32>>,
    // Inputs of the blocks above, each assigned once (see `datapath_port.rs`).
    sig_index: Signal<Local, Bits<10>>,
    tanh_index: Signal<Local, Bits<10>>,
    sa_in: Signal<Local, Bits<32>>,
    sb_in: Signal<Local, Bits<32>>,
    mul_a: Signal<Local, Bits<16>>,
    mul_b: Signal<Local, Bits<32>>,
    q_in: Signal<Local, Bits<32>>,
    c_round: Signal<Local, Bits<32>>,
    // Activation outputs, sign-extended; old h and c of the unit.
    sig_q: Signal<Local, Bits<32>>,
    tanh_q: Signal<Local, Bits<32>>,
    h_old: Signal<Local, Bits<32>>,
    c_old: Signal<Local, Bits<32>>,
    c_sum: Signal<Local, Bits<32>>,
    h_word_end: Signal<Local, Bit>,
    c_word_end: Signal<Local, Bit>,
    last_unit: Signal<Local, Bit>,
    h_state_words: Signal<Local, Bits<32>>,
}

impl Logic for CellUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, unit, last, out_ptr, hpack, cpack, stash_a, stash_b, stash_c, idx1,
            idx2, hnew, cnew
        );
        clock!(self, clock, gates, tables);
        // Gate buffers: written by the epilogue, read at the current unit.
        self.gates.write.next = self.gw_en.val();
        self.gates.pass.next = self.gw_pass.val();
        self.gates.gate.next = self.gw_gate.val();
        self.gates.unit.next = self.gw_unit.val();
        self.gates.value.next = self.gw_value.val();
        self.gates.read_unit.next = bit_cast::<GATE_ADDR_BITS, 10>(self.unit.q.val());
        self.h_rd_addr.next = self.unit.q.val().get_bits::<5>(4);
        self.c_rd_addr.next = self.unit.q.val().get_bits::<7>(2);

        // The datapath below only switches while a cell pass runs (keeps simulation lean).
        self.sig_q.next = 0.into();
        self.tanh_q.next = 0.into();
        self.h_old.next = 0.into();
        self.c_old.next = 0.into();
        self.h_state_words.next = 0.into();
        self.c_round.next = 0.into();
        self.last_unit.next = false;
        self.h_word_end.next = false;
        self.c_word_end.next = false;
        if self.state.q.val() != CellState::Idle {
            // Activation outputs and the unit's old h / c.
            self.sig_q.next = bit_cast::<32, 16>(self.tables.sigmoid.val());
            self.tanh_q.next = self.tables.tanh.val();
            self.h_old.next = bit_cast::<32, 8>(
                self.h_rd_data
                    .val()
                    .get_bits::<8>(self.unit.q.val().get_bits::<4>(0).index() * 8),
            );
            if self
                .h_rd_data
                .val()
                .get_bit(self.unit.q.val().get_bits::<4>(0).index() * 8 + 7)
            {
                self.h_old.next = bit_cast::<32, 8>(
                    self.h_rd_data
                        .val()
                        .get_bits::<8>(self.unit.q.val().get_bits::<4>(0).index() * 8),
                ) | 0xFFFF_FF00_u64;
            }
            self.c_old.next = self
                .c_rd_data
                .val()
                .get_bits::<32>(self.unit.q.val().get_bits::<2>(0).index() * 32);
            self.last_unit.next = bit_cast::<16, 10>(self.unit.q.val()) + 1 == self.hidden.val();
            self.h_word_end.next =
                (self.unit.q.val().get_bits::<4>(0) == 15) | self.last_unit.val();
            self.c_word_end.next = (self.unit.q.val().get_bits::<2>(0) == 3) | self.last_unit.val();
            self.h_state_words.next = bit_cast::<32, 16>((self.hidden.val() + 15) >> 4);
            self.c_round.next = self.cnew.q.val() + 4;
        }

        // Operands of the shared multiplier (zero while idle).
        self.mul_a.next = 0.into();
        self.mul_b.next = 0.into();
        match self.state.q.val() {
            CellState::Act1 => {
                // LSTM: i * g; GRU: r * gh_n.
                self.mul_a.next = self.tables.sigmoid.val();
                self.mul_b.next = self.stash_b.q.val();
                if self.lstm.val() {
                    self.mul_b.next = self.tanh_q.val();
                }
            }
            CellState::Act2 => {
                // LSTM: f * c; GRU: z * ((h << 8) - n).
                self.mul_a.next = self.tables.sigmoid.val();
                self.mul_b.next = (self.h_old.val() << 8) - self.tanh_q.val();
                if self.lstm.val() {
                    self.mul_b.next = self.c_old.val();
                }
            }
            CellState::Pack => {
                // LSTM: o * tanh(c').
                self.mul_a.next = self.stash_a.q.val().get_bits::<16>(0);
                self.mul_b.next = self.tanh_q.val();
            }
            _ => {}
        }
        self.product.a.next = self.mul_a.val();
        self.product.b.next = self.mul_b.val();
        // Inputs of the saturating gate sums, q15_to_h and the c update (zero while idle).
        self.sa_in.next = 0.into();
        self.sb_in.next = 0.into();
        self.q_in.next = 0.into();
        self.c_sum.next = 0.into();
        match self.state.q.val() {
            CellState::Gates => {
                // LSTM: i, g now (f, o kept); GRU: r now, z kept.
                self.sa_in.next = self.gates.x0.val() + self.gates.h0.val();
                self.sb_in.next = self.gates.x1.val() + self.gates.h1.val();
                if self.lstm.val() {
                    self.sb_in.next = self.gates.x2.val() + self.gates.h2.val();
                }
            }
            CellState::Act1 => {
                // LSTM: f, o; GRU: np = gx_n + rshift_round(r * gh_n, 15).
                self.sa_in.next = self.stash_a.q.val() + self.product.product.val();
                if self.lstm.val() {
                    self.sa_in.next = self.stash_a.q.val();
                    self.sb_in.next = self.stash_b.q.val();
                }
            }
            CellState::Act2 => {
                self.c_sum.next = self.product.product.val() + self.stash_c.q.val();
                self.q_in.next = self.tanh_q.val() + self.product.product.val();
            }
            CellState::Act3 => {
                // rshift_round(c', 3): Q.15 -> Q.12.
                self.sa_in.next = self.c_round.val() >> 3;
                if self.c_round.val().get_bit(31) {
                    self.sa_in.next = (self.c_round.val() >> 3) | 0xE000_0000_u64;
                }
            }
            CellState::Pack => {
                self.q_in.next = self.product.product.val();
            }
            _ => {}
        }
        self.index_a.sum.next = self.sa_in.val();
        self.index_b.sum.next = self.sb_in.val();
        self.h_quant.q.next = self.q_in.val();
        self.sig_index.next = 0.into();
        self.tanh_index.next = 0.into();
        self.busy.next = self.state.q.val() != CellState::Idle;
        self.h_wr_en.next = false;
        self.h_wr_addr.next = self.unit.q.val().get_bits::<5>(4);
        self.h_wr_data.next = self.hpack.q.val();
        self.c_wr_en.next = false;
        self.c_wr_addr.next = self.unit.q.val().get_bits::<7>(2);
        self.c_wr_data.next = self.cpack.q.val();
        self.wr_push.next = false;
        self.wr_addr.next = self.out_ptr.q.val();
        self.wr_data.next = self.hpack.q.val();
        if self.run_start.val() {
            self.out_ptr.d.next = self.out_addr.val();
        }

        match self.state.q.val() {
            CellState::Idle => {
                if self.start.val() {
                    self.unit.d.next = 0.into();
                    self.last.d.next = self.last_step.val();
                    self.state.d.next = CellState::Read;
                }
            }
            CellState::Read => {
                // Gate buffers, h and c words read at the new unit address.
                self.state.d.next = CellState::Gates;
            }
            CellState::Gates => {
                if self.lstm.val() {
                    // i -> sigmoid now, g -> tanh now, f and o later.
                    self.sig_index.next = self.index_a.index.val();
                    self.tanh_index.next = self.index_b.index.val();
                    self.stash_a.d.next = self.gates.x1.val() + self.gates.h1.val();
                    self.stash_b.d.next = self.gates.x3.val() + self.gates.h3.val();
                } else {
                    // r -> sigmoid now, z later; keep gx_n, gh_n.
                    self.sig_index.next = self.index_a.index.val();
                    self.idx1.d.next = self.index_b.index.val();
                    self.stash_a.d.next = self.gates.x2.val();
                    self.stash_b.d.next = self.gates.h2.val();
                }
                self.state.d.next = CellState::Act1;
            }
            CellState::Act1 => {
                if self.lstm.val() {
                    // stash_c = rshift_round(i * g, 15); f -> sigmoid.
                    self.stash_c.d.next = self.product.product.val();
                    self.sig_index.next = self.index_a.index.val();
                    self.idx2.d.next = self.index_b.index.val();
                } else {
                    // np = sat(gx_n + rshift_round(r * gh_n, 15)) -> tanh; z -> sigmoid.
                    self.tanh_index.next = self.index_a.index.val();
                    self.sig_index.next = self.idx1.q.val();
                }
                self.state.d.next = CellState::Act2;
            }
            CellState::Act2 => {
                if self.lstm.val() {
                    // c' = clamp(rshift_round(f * c, 15) + i*g); tanh(c' Q.12); o -> sigmoid.
                    self.cnew.d.next = self.c_sum.val();
                    if (self.c_sum.val().get_bits::<8>(24) != 0)
                        & (self.c_sum.val().get_bits::<8>(24) != 0xFF)
                    {
                        if self.c_sum.val().get_bit(31) {
                            self.cnew.d.next = 0xFF00_0000_u64.into();
                        } else {
                            self.cnew.d.next = 0x00FF_FFFF.into();
                        }
                    }
                    self.sig_index.next = self.idx2.q.val();
                    self.state.d.next = CellState::Act3;
                } else {
                    // h' = q15_to_h(n + rshift_round(z * ((h << 8) - n), 15)).
                    self.hnew.d.next = self.h_quant.h.val();
                    self.state.d.next = CellState::Pack;
                }
            }
            CellState::Act3 => {
                // tanh(sat(rshift_round(c', 3))) is read this cycle from the address
                // set below one cycle late, so Act3 first issues it and waits in Pack.
                self.tanh_index.next = self.index_a.index.val();
                self.stash_a.d.next = self.sig_q.val();
                self.state.d.next = CellState::Pack;
            }
            CellState::Pack => {
                if self.lstm.val() {
                    // h' = q15_to_h(rshift_round(o * tanh(c'), 15)).
                    self.hpack.d.next = self.hpack.q.val()
                        | (bit_cast::<128, 8>(self.h_quant.h.val())
                            << (bit_cast::<7, 4>(self.unit.q.val().get_bits::<4>(0)) << 3));
                    if self.unit.q.val().get_bits::<4>(0) == 0 {
                        self.hpack.d.next = bit_cast::<128, 8>(self.h_quant.h.val());
                    }
                    self.cpack.d.next = self.cpack.q.val()
                        | (bit_cast::<128, 32>(self.cnew.q.val())
                            << (bit_cast::<7, 2>(self.unit.q.val().get_bits::<2>(0)) << 5));
                    if self.unit.q.val().get_bits::<2>(0) == 0 {
                        self.cpack.d.next = bit_cast::<128, 32>(self.cnew.q.val());
                    }
                } else {
                    self.hpack.d.next = self.hpack.q.val()
                        | (bit_cast::<128, 8>(self.hnew.q.val())
                            << (bit_cast::<7, 4>(self.unit.q.val().get_bits::<4>(0)) << 3));
                    if self.unit.q.val().get_bits::<4>(0) == 0 {
                        self.hpack.d.next = bit_cast::<128, 8>(self.hnew.q.val());
                    }
                }
                if self.h_word_end.val() {
                    self.state.d.next = CellState::WriteHOut;
                } else if self.lstm.val() & self.c_word_end.val() {
                    self.state.d.next = CellState::WriteC;
                } else {
                    self.state.d.next = CellState::Next;
                }
            }
            CellState::WriteHOut => {
                if self.wr_room.val() {
                    self.wr_push.next = true;
                    self.h_wr_en.next = true;
                    self.out_ptr.d.next = self.out_ptr.q.val() + 1;
                    if self.last.q.val() {
                        self.state.d.next = CellState::WriteHState;
                    } else if self.lstm.val() & self.c_word_end.val() {
                        self.state.d.next = CellState::WriteC;
                    } else {
                        self.state.d.next = CellState::Next;
                    }
                }
            }
            CellState::WriteHState => {
                self.wr_addr.next =
                    self.state_addr.val() + bit_cast::<32, 5>(self.unit.q.val().get_bits::<5>(4));
                if self.wr_room.val() {
                    self.wr_push.next = true;
                    if self.lstm.val() & self.c_word_end.val() {
                        self.state.d.next = CellState::WriteC;
                    } else {
                        self.state.d.next = CellState::Next;
                    }
                }
            }
            CellState::WriteC => {
                self.wr_addr.next = self.state_addr.val()
                    + self.h_state_words.val()
                    + bit_cast::<32, 7>(self.unit.q.val().get_bits::<7>(2));
                self.wr_data.next = self.cpack.q.val();
                if self.wr_room.val() | !self.last.q.val() {
                    self.c_wr_en.next = true;
                    self.wr_push.next = self.last.q.val();
                    self.state.d.next = CellState::Next;
                }
            }
            CellState::Next => {
                self.unit.d.next = self.unit.q.val() + 1;
                if self.last_unit.val() {
                    self.state.d.next = CellState::Idle;
                } else {
                    self.state.d.next = CellState::Read;
                }
            }
        }
        if self.abort.val() {
            self.state.d.next = CellState::Idle;
        }

        self.tables.sigmoid_index.next = self.sig_index.val();
        self.tables.tanh_index.next = self.tanh_index.val();
    }
}

impl crate::sim::harness::Clocked for CellUnit {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
}

crate::synth_test!(CellUnit::default());
