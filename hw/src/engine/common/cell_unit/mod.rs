//! Cell unit of the CREW engine: after both passes of a GRU/LSTM step it walks the
//! hidden units j = 0..H, reads the requantized gate values of the x pass and the h pass
//! (written here by the epilogue), applies sigmoid/tanh by lookup table, updates h (and c)
//! exactly as `numerics::Luts::gru_cell` / `lstm_cell`, packs h (16 per word) and c (4 per
//! word), writes them to the on-chip h/c buffers and queues the DRAM writes: h_t to the
//! output vector, and after the last step h and c to the state vector. The unit runs
//! while the next step's x pass streams, so only the last step pays for it.
//!
//! The arithmetic is a pipeline of 21 registered stages (P1..P21 below, each within a
//! 5 ns budget: one adder or a table-index computation or a registered DSP product), one
//! unit entering per cycle. Units enter in batches that end at a packed word: 16 units
//! (one h word) for GRU, 4 units (one c word) for LSTM; after a batch the sequencer waits
//! for the pipeline to drain (21 cycles) and then writes the word(s) as before, so the
//! pipeline never stalls. GRU and LSTM share the stages:
//!
//! | stage | GRU                                  | LSTM                                    |
//! |-------|--------------------------------------|-----------------------------------------|
//! | P0    | gate RAM reads at the unit           | same                                    |
//! | P1    | gate RAM outputs registered; h / c   | same                                    |
//! |       | RAM reads                            |                                         |
//! | P2    | r, z sums; gx_n, gh_n; h byte        | i, f, g, o sums; c word                 |
//! | P3    | table indices -> ROMs A (r), B (z)   | ROMs A (i), B (f), C (o), tanh A (g)    |
//! | P4    | ROM outputs registered               | same                                    |
//! | P5-P8 | multiplier 1: r * gh_n               | multipliers 1, 2: i * g, f * c          |
//! | P9    | np = gx_n + r*gh_n                   | +-(i*g), +-(f*c)                        |
//! | P10   | (np)                                 | c' = clamp(f*c + i*g)                   |
//! | P11   | (np)                                 | rshift_round(c', 3); c' packed          |
//! | P12   | tanh index -> tanh B (n)             | tanh index -> tanh B (tanh c')          |
//! | P13   | tanh output registered               | same                                    |
//! | P14   | d = (h << 8) - n                     | d = tanh(c')                            |
//! | P15-18| multiplier 3: z * d                  | multiplier 3: o * d                     |
//! | P19   | q = n + z*d                          | q = o*d                                 |
//! | P20   | h' = q15_to_h(q)                     | same                                    |
//! | P21   | h' packed                            | same                                    |
//!
//! This file is the unit's sequencer and pipeline; its datapath blocks sit beside it:
//! - `gate_buffers.rs`: the gate values of both passes, read at the current unit;
//! - `activation_tables.rs`: the sigmoid and tanh ROMs (three copies: A, B, C);
//! - `gate_index.rs`: saturating gate sums and their table index (five of them);
//! - `q15_product.rs`: pipelined `rshift_round(a * b, 15)` multipliers (three);
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
/// Pipeline stages after the entry (P1..P21): a batch drains this many cycles after its
/// last unit entered.
pub const CELL_PIPE_STAGES: usize = 21;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum CellState {
    Idle,
    /// One unit enters the pipeline per cycle until the batch's last unit.
    Issue,
    /// Waits for the batch's units to leave the pipeline.
    Drain,
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
    // Sigmoid ROMs A, B, C and tanh ROMs A, B (tables_c's tanh ROM is unused).
    tables_a: ActivationTables,
    tables_b: ActivationTables,
    tables_c: ActivationTables,
    // Table indices at P3 (sums a, b, c, d) and P12 (tanh B).
    index_a: GateIndex,
    index_b: GateIndex,
    index_c: GateIndex,
    index_d: GateIndex,
    index_t: GateIndex,
    // Multiplier 1 (r * gh_n | i * g), 2 (f * c), 3 (z * d | o * d).
    mul1: Q15Product,
    mul2: Q15Product,
    mul3: Q15Product,
    h_quant: HQuantize,

    // Sequencer.
    state: DFF<CellState>,
    unit: DFF<Bits<10>>,
    last: DFF<Bit>,
    out_ptr: DFF<Bits<32>>,
    hpack: DFF<Bits<128>>,
    cpack: DFF<Bits<128>>,
    /// Valid bit of each stage: bit k is stage P(k+1).
    vpipe: DFF<Bits<21>>,
    /// Position of the next packed h (unit mod 16) and c (unit mod 4): units leave in order.
    h_pos: DFF<Bits<4>>,
    c_pos: DFF<Bits<2>>,
    /// state_addr + h words: DRAM address of the state's c part (registered, run constant).
    c_base: DFF<Bits<32>>,
    // P1: the unit whose gate RAM reads arrive now (h / c RAM reads issued at it).
    p1_unit: DFF<Bits<10>>,
    // P2: gate RAM outputs registered (BRAM clock-to-out is 2.5 ns); byte / word
    // position of the unit whose h / c RAM reads arrive now.
    p2_x0: DFF<Bits<32>>,
    p2_x1: DFF<Bits<32>>,
    p2_x2: DFF<Bits<32>>,
    p2_x3: DFF<Bits<32>>,
    p2_h0: DFF<Bits<32>>,
    p2_h1: DFF<Bits<32>>,
    p2_h2: DFF<Bits<32>>,
    p2_h3: DFF<Bits<32>>,
    p2_sel: DFF<Bits<4>>,
    // P3: gate sums (a: r|i, b: z|f, c: gx_n|g, d: -|o), gh_n, old h byte, old c.
    p3_sum_a: DFF<Bits<32>>,
    p3_sum_b: DFF<Bits<32>>,
    p3_sum_c: DFF<Bits<32>>,
    p3_sum_d: DFF<Bits<32>>,
    p3_ghn: DFF<Bits<32>>,
    p3_h_old: DFF<Bits<8>>,
    p3_c_old: DFF<Bits<32>>,
    // P4: carried while the ROMs read (gx_n is 0 for LSTM: the base of P9's add).
    p4_gxn: DFF<Bits<32>>,
    p4_ghn: DFF<Bits<32>>,
    p4_h_old: DFF<Bits<8>>,
    p4_c_old: DFF<Bits<32>>,
    // P5: ROM outputs registered (BRAM clock-to-out is 2.5 ns).
    p5_sig_a: DFF<Bits<16>>,
    p5_sig_b: DFF<Bits<16>>,
    p5_sig_c: DFF<Bits<16>>,
    p5_tanh_a: DFF<Bits<32>>,
    p5_gxn: DFF<Bits<32>>,
    p5_ghn: DFF<Bits<32>>,
    p5_h_old: DFF<Bits<8>>,
    p5_c_old: DFF<Bits<32>>,
    // P6..P9: carried through multipliers 1 and 2; m3a = z (GRU) or o (LSTM).
    p6_gxn: DFF<Bits<32>>,
    p7_gxn: DFF<Bits<32>>,
    p8_gxn: DFF<Bits<32>>,
    p9_gxn: DFF<Bits<32>>,
    p6_m3a: DFF<Bits<16>>,
    p7_m3a: DFF<Bits<16>>,
    p8_m3a: DFF<Bits<16>>,
    p9_m3a: DFF<Bits<16>>,
    p10_m3a: DFF<Bits<16>>,
    p11_m3a: DFF<Bits<16>>,
    p12_m3a: DFF<Bits<16>>,
    p13_m3a: DFF<Bits<16>>,
    p14_m3a: DFF<Bits<16>>,
    p15_m3a: DFF<Bits<16>>,
    p6_h_old: DFF<Bits<8>>,
    p7_h_old: DFF<Bits<8>>,
    p8_h_old: DFF<Bits<8>>,
    p9_h_old: DFF<Bits<8>>,
    p10_h_old: DFF<Bits<8>>,
    p11_h_old: DFF<Bits<8>>,
    p12_h_old: DFF<Bits<8>>,
    p13_h_old: DFF<Bits<8>>,
    p14_h_old: DFF<Bits<8>>,
    // P10: gx_n +- r*gh_n (GRU np) | +-(i*g) (LSTM); +-(f*c).
    p10_x: DFF<Bits<32>>,
    p10_p2: DFF<Bits<32>>,
    // P11: np (GRU) | c' clamped (LSTM).
    p11_v: DFF<Bits<32>>,
    // P12: the tanh B operand: np | rshift_round(c', 3).
    p12_tsum: DFF<Bits<32>>,
    // P14: tanh B output registered.
    p14_t: DFF<Bits<32>>,
    // P15: multiplier 3's b operand and the base of P19's add.
    p15_d: DFF<Bits<32>>,
    p15_n: DFF<Bits<32>>,
    p16_n: DFF<Bits<32>>,
    p17_n: DFF<Bits<32>>,
    p18_n: DFF<Bits<32>>,
    p19_n: DFF<Bits<32>>,
    // P20: the Q.15 h before quantization; P21: the new int8 h.
    p20_q: DFF<Bits<32>>,
    p21_h: DFF<Bits<8>>,

    entry: Signal<Local, Bit>,
    h2_masked: Signal<Local, Bits<32>>,
    c_sum: Signal<Local, Bits<32>>,
    c_clamped: Signal<Local, Bits<32>>,
    c_round: Signal<Local, Bits<32>>,
    c_q12: Signal<Local, Bits<32>>,
    h_ext: Signal<Local, Bits<32>>,
    h_word_end: Signal<Local, Bit>,
    c_word_end: Signal<Local, Bit>,
    batch_end: Signal<Local, Bit>,
    last_unit: Signal<Local, Bit>,
}

impl Logic for CellUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, unit, last, out_ptr, hpack, cpack, vpipe, h_pos, c_pos, c_base,
            p1_unit, p2_x0, p2_x1, p2_x2, p2_x3, p2_h0, p2_h1, p2_h2, p2_h3, p2_sel, p3_sum_a,
            p3_sum_b, p3_sum_c, p3_sum_d, p3_ghn, p3_h_old, p3_c_old, p4_gxn, p4_ghn, p4_h_old,
            p4_c_old, p5_sig_a, p5_sig_b, p5_sig_c, p5_tanh_a, p5_gxn, p5_ghn, p5_h_old, p5_c_old,
            p6_gxn, p7_gxn, p8_gxn, p9_gxn, p9_m3a, p9_h_old, p19_n, p6_m3a, p7_m3a, p8_m3a,
            p10_m3a, p11_m3a, p12_m3a, p13_m3a, p14_m3a, p15_m3a, p6_h_old, p7_h_old, p8_h_old,
            p10_h_old, p11_h_old, p12_h_old, p13_h_old, p14_h_old, p10_x, p10_p2, p11_v, p12_tsum,
            p14_t, p15_d, p15_n, p16_n, p17_n, p18_n, p20_q, p21_h
        );
        clock!(self, clock, gates, tables_a, tables_b, tables_c, mul1, mul2, mul3);
        // Gate buffers: written by the epilogue, read at the current unit.
        self.gates.write.next = self.gw_en.val();
        self.gates.pass.next = self.gw_pass.val();
        self.gates.gate.next = self.gw_gate.val();
        self.gates.unit.next = self.gw_unit.val();
        self.gates.value.next = self.gw_value.val();
        self.gates.read_unit.next = bit_cast::<GATE_ADDR_BITS, 10>(self.unit.q.val());
        self.h_rd_addr.next = self.p1_unit.q.val().get_bits::<5>(4);
        self.c_rd_addr.next = self.p1_unit.q.val().get_bits::<7>(2);
        self.c_base.d.next =
            self.state_addr.val() + bit_cast::<32, 16>((self.hidden.val() + 15) >> 4);

        // ------------------------------------------------------------ pipeline
        // P0 -> P1: the unit at `unit` enters (RAM reads issued at its address).
        self.p1_unit.d.next = self.unit.q.val();
        // P1 -> P2: gate RAM outputs into registers; h / c RAM reads at the unit.
        self.p2_x0.d.next = self.gates.x0.val();
        self.p2_x1.d.next = self.gates.x1.val();
        self.p2_x2.d.next = self.gates.x2.val();
        self.p2_x3.d.next = self.gates.x3.val();
        self.p2_h0.d.next = self.gates.h0.val();
        self.p2_h1.d.next = self.gates.h1.val();
        self.p2_h2.d.next = self.gates.h2.val();
        self.p2_h3.d.next = self.gates.h3.val();
        self.p2_sel.d.next = self.p1_unit.q.val().get_bits::<4>(0);
        // P2 -> P3: gate sums from the registered gate values; the old h byte, c word.
        self.h2_masked.next = 0.into();
        if self.lstm.val() {
            self.h2_masked.next = self.p2_h2.q.val();
        }
        self.p3_sum_a.d.next = self.p2_x0.q.val() + self.p2_h0.q.val();
        self.p3_sum_b.d.next = self.p2_x1.q.val() + self.p2_h1.q.val();
        self.p3_sum_c.d.next = self.p2_x2.q.val() + self.h2_masked.val();
        self.p3_sum_d.d.next = self.p2_x3.q.val() + self.p2_h3.q.val();
        self.p3_ghn.d.next = self.p2_h2.q.val();
        self.p3_h_old.d.next = self
            .h_rd_data
            .val()
            .get_bits::<8>(self.p2_sel.q.val().index() * 8);
        self.p3_c_old.d.next = self
            .c_rd_data
            .val()
            .get_bits::<32>(self.p2_sel.q.val().get_bits::<2>(0).index() * 32);
        // P3: table indices into the ROMs (read one edge later).
        self.index_a.sum.next = self.p3_sum_a.q.val();
        self.index_b.sum.next = self.p3_sum_b.q.val();
        self.index_c.sum.next = self.p3_sum_c.q.val();
        self.index_d.sum.next = self.p3_sum_d.q.val();
        self.tables_a.sigmoid_index.next = self.index_a.index.val();
        self.tables_b.sigmoid_index.next = self.index_b.index.val();
        self.tables_a.tanh_index.next = self.index_c.index.val();
        self.tables_c.sigmoid_index.next = self.index_d.index.val();
        self.tables_c.tanh_index.next = 0.into();
        self.p4_gxn.d.next = self.p3_sum_c.q.val();
        if self.lstm.val() {
            self.p4_gxn.d.next = 0.into();
        }
        self.p4_ghn.d.next = self.p3_ghn.q.val();
        self.p4_h_old.d.next = self.p3_h_old.q.val();
        self.p4_c_old.d.next = self.p3_c_old.q.val();
        // P4: ROM outputs into registers.
        self.p5_sig_a.d.next = self.tables_a.sigmoid.val();
        self.p5_sig_b.d.next = self.tables_b.sigmoid.val();
        self.p5_sig_c.d.next = self.tables_c.sigmoid.val();
        self.p5_tanh_a.d.next = self.tables_a.tanh.val();
        self.p5_gxn.d.next = self.p4_gxn.q.val();
        self.p5_ghn.d.next = self.p4_ghn.q.val();
        self.p5_h_old.d.next = self.p4_h_old.q.val();
        self.p5_c_old.d.next = self.p4_c_old.q.val();
        // P5: multiplier operands (results four edges later, at P9).
        self.mul1.a.next = self.p5_sig_a.q.val();
        if self.lstm.val() {
            self.mul1.b.next = self.p5_tanh_a.q.val();
        } else {
            self.mul1.b.next = self.p5_ghn.q.val();
        }
        self.mul2.a.next = self.p5_sig_b.q.val();
        self.mul2.b.next = self.p5_c_old.q.val();
        self.p6_m3a.d.next = self.p5_sig_b.q.val();
        if self.lstm.val() {
            self.p6_m3a.d.next = self.p5_sig_c.q.val();
        }
        self.p6_gxn.d.next = self.p5_gxn.q.val();
        self.p7_gxn.d.next = self.p6_gxn.q.val();
        self.p8_gxn.d.next = self.p7_gxn.q.val();
        self.p9_gxn.d.next = self.p8_gxn.q.val();
        self.p7_m3a.d.next = self.p6_m3a.q.val();
        self.p8_m3a.d.next = self.p7_m3a.q.val();
        self.p9_m3a.d.next = self.p8_m3a.q.val();
        self.p10_m3a.d.next = self.p9_m3a.q.val();
        self.p11_m3a.d.next = self.p10_m3a.q.val();
        self.p12_m3a.d.next = self.p11_m3a.q.val();
        self.p13_m3a.d.next = self.p12_m3a.q.val();
        self.p14_m3a.d.next = self.p13_m3a.q.val();
        self.p15_m3a.d.next = self.p14_m3a.q.val();
        self.p6_h_old.d.next = self.p5_h_old.q.val();
        self.p7_h_old.d.next = self.p6_h_old.q.val();
        self.p8_h_old.d.next = self.p7_h_old.q.val();
        self.p9_h_old.d.next = self.p8_h_old.q.val();
        self.p10_h_old.d.next = self.p9_h_old.q.val();
        self.p11_h_old.d.next = self.p10_h_old.q.val();
        self.p12_h_old.d.next = self.p11_h_old.q.val();
        self.p13_h_old.d.next = self.p12_h_old.q.val();
        self.p14_h_old.d.next = self.p13_h_old.q.val();
        // P9: signed products: gx_n + r*gh_n (GRU; gx_n = 0 for LSTM: i*g), f*c.
        if self.mul1.neg.val() {
            self.p10_x.d.next = self.p9_gxn.q.val() - self.mul1.res.val();
        } else {
            self.p10_x.d.next = self.p9_gxn.q.val() + self.mul1.res.val();
        }
        if self.mul2.neg.val() {
            self.p10_p2.d.next = 0 - self.mul2.res.val();
        } else {
            self.p10_p2.d.next = self.mul2.res.val();
        }
        // P10: LSTM c' = clamp(f*c + i*g) to the 25-bit c range; GRU np passes.
        self.c_sum.next = self.p10_x.q.val() + self.p10_p2.q.val();
        self.c_clamped.next = self.c_sum.val();
        if (self.c_sum.val().get_bits::<8>(24) != 0) & (self.c_sum.val().get_bits::<8>(24) != 0xFF)
        {
            if self.c_sum.val().get_bit(31) {
                self.c_clamped.next = 0xFF00_0000_u64.into();
            } else {
                self.c_clamped.next = 0x00FF_FFFF.into();
            }
        }
        self.p11_v.d.next = self.p10_x.q.val();
        if self.lstm.val() {
            self.p11_v.d.next = self.c_clamped.val();
        }
        // P11: LSTM rshift_round(c', 3) (Q.15 -> Q.12) for tanh; c' packed.
        self.c_round.next = self.p11_v.q.val() + 4;
        self.c_q12.next = self.c_round.val() >> 3;
        if self.c_round.val().get_bit(31) {
            self.c_q12.next = (self.c_round.val() >> 3) | 0xE000_0000_u64;
        }
        self.p12_tsum.d.next = self.p11_v.q.val();
        if self.lstm.val() {
            self.p12_tsum.d.next = self.c_q12.val();
        }
        // P12: tanh B index; P13: its output registered.
        self.index_t.sum.next = self.p12_tsum.q.val();
        self.tables_b.tanh_index.next = self.index_t.index.val();
        self.p14_t.d.next = self.tables_b.tanh.val();
        // P14: GRU d = (h << 8) - n, base n; LSTM d = tanh(c'), base 0.
        self.h_ext.next = bit_cast::<32, 8>(self.p14_h_old.q.val());
        if self.p14_h_old.q.val().get_bit(7) {
            self.h_ext.next = bit_cast::<32, 8>(self.p14_h_old.q.val()) | 0xFFFF_FF00_u64;
        }
        if self.lstm.val() {
            self.p15_d.d.next = self.p14_t.q.val();
            self.p15_n.d.next = 0.into();
        } else {
            self.p15_d.d.next = (self.h_ext.val() << 8) - self.p14_t.q.val();
            self.p15_n.d.next = self.p14_t.q.val();
        }
        // P15: multiplier 3 (result at P19).
        self.mul3.a.next = self.p15_m3a.q.val();
        self.mul3.b.next = self.p15_d.q.val();
        self.p16_n.d.next = self.p15_n.q.val();
        self.p17_n.d.next = self.p16_n.q.val();
        self.p18_n.d.next = self.p17_n.q.val();
        self.p19_n.d.next = self.p18_n.q.val();
        // P19: q = n + z*d (GRU) | o*tanh(c') (LSTM).
        if self.mul3.neg.val() {
            self.p20_q.d.next = self.p19_n.q.val() - self.mul3.res.val();
        } else {
            self.p20_q.d.next = self.p19_n.q.val() + self.mul3.res.val();
        }
        // P20: q15_to_h.
        self.h_quant.q.next = self.p20_q.q.val();
        self.p21_h.d.next = self.h_quant.h.val();

        // P11 / P21: pack c' (LSTM) and h' into their words, in unit order.
        if self.vpipe.q.val().get_bit(10) & self.lstm.val() {
            self.c_pos.d.next = self.c_pos.q.val() + 1;
            self.cpack.d.next = self.cpack.q.val()
                | (bit_cast::<128, 32>(self.p11_v.q.val())
                    << (bit_cast::<7, 2>(self.c_pos.q.val()) << 5));
            if self.c_pos.q.val() == 0 {
                self.cpack.d.next = bit_cast::<128, 32>(self.p11_v.q.val());
            }
        }
        if self.vpipe.q.val().get_bit(20) {
            self.h_pos.d.next = self.h_pos.q.val() + 1;
            self.hpack.d.next = self.hpack.q.val()
                | (bit_cast::<128, 8>(self.p21_h.q.val())
                    << (bit_cast::<7, 4>(self.h_pos.q.val()) << 3));
            if self.h_pos.q.val() == 0 {
                self.hpack.d.next = bit_cast::<128, 8>(self.p21_h.q.val());
            }
        }

        // ------------------------------------------------------------ sequencer
        self.last_unit.next = bit_cast::<16, 10>(self.unit.q.val()) + 1 == self.hidden.val();
        self.h_word_end.next = (self.unit.q.val().get_bits::<4>(0) == 15) | self.last_unit.val();
        self.c_word_end.next = (self.unit.q.val().get_bits::<2>(0) == 3) | self.last_unit.val();
        self.batch_end.next = self.h_word_end.val();
        if self.lstm.val() {
            self.batch_end.next = self.c_word_end.val();
        }
        self.entry.next = false;
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
                self.h_pos.d.next = 0.into();
                self.c_pos.d.next = 0.into();
                if self.start.val() {
                    self.unit.d.next = 0.into();
                    self.last.d.next = self.last_step.val();
                    self.state.d.next = CellState::Issue;
                }
            }
            CellState::Issue => {
                self.entry.next = true;
                if self.batch_end.val() {
                    self.state.d.next = CellState::Drain;
                } else {
                    self.unit.d.next = self.unit.q.val() + 1;
                }
            }
            CellState::Drain => {
                // `unit` is the batch's last unit; its words are complete once the
                // pipeline is empty.
                if self.vpipe.q.val() == 0 {
                    if self.h_word_end.val() {
                        self.state.d.next = CellState::WriteHOut;
                    } else if self.lstm.val() & self.c_word_end.val() {
                        self.state.d.next = CellState::WriteC;
                    } else {
                        self.state.d.next = CellState::Next;
                    }
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
                self.wr_addr.next =
                    self.c_base.q.val() + bit_cast::<32, 7>(self.unit.q.val().get_bits::<7>(2));
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
                    self.state.d.next = CellState::Issue;
                }
            }
        }
        self.vpipe.d.next = self.vpipe.q.val() << 1;
        if self.entry.val() {
            self.vpipe.d.next = (self.vpipe.q.val() << 1) | 1_u64;
        }
        if self.abort.val() {
            self.state.d.next = CellState::Idle;
            self.vpipe.d.next = 0.into();
        }
    }
}

impl crate::sim::harness::Clocked for CellUnit {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
}

crate::synth_test!(CellUnit::default());
