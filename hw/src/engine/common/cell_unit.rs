//! Cell unit of the CREW engine: after both passes of a GRU/LSTM step it walks the
//! hidden units j = 0..H, reads the requantized gate values of the x pass and the h pass
//! (written here by the epilogue), applies sigmoid/tanh by lookup table (ROM contents
//! from `crew_spec::numerics`), updates h (and c) exactly as `numerics::Luts::gru_cell` /
//! `lstm_cell`, packs h (16 per word) and c (4 per word), writes them to the on-chip h/c
//! buffers and queues the DRAM writes: h_t to the output vector, and after the last step
//! h and c to the state vector. One unit takes 6 (GRU) or 7 (LSTM) cycles; the unit runs
//! while the next step's x pass streams, so only the last step pays for it.
//!
//! All arithmetic is two's complement in 32-bit words; multiplications use 16x16
//! unsigned multipliers on magnitudes (see `mul_*` below).

use crew_spec::numerics::{sigmoid_lut, tanh_lut};
use rust_hdl::prelude::*;

/// Largest H the gate buffers hold.
pub const MAX_HIDDEN: usize = 512;
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

#[derive(LogicBlock)]
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
    sig: RAM<Bits<16>, 10>,
    tanh: RAM<Bits<16>, 10>,
    gx0: RAM<Bits<32>, GATE_ADDR_BITS>,
    gx1: RAM<Bits<32>, GATE_ADDR_BITS>,
    gx2: RAM<Bits<32>, GATE_ADDR_BITS>,
    gx3: RAM<Bits<32>, GATE_ADDR_BITS>,
    gh0: RAM<Bits<32>, GATE_ADDR_BITS>,
    gh1: RAM<Bits<32>, GATE_ADDR_BITS>,
    gh2: RAM<Bits<32>, GATE_ADDR_BITS>,
    gh3: RAM<Bits<32>, GATE_ADDR_BITS>,
    // Saturating adders with LUT index: sa_in -> sa_out -> la; sb_in -> sb_out -> lb.
    sa_in: Signal<Local, Bits<32>>,
    sa_out: Signal<Local, Bits<32>>,
    la: Signal<Local, Bits<10>>,
    sb_in: Signal<Local, Bits<32>>,
    sb_out: Signal<Local, Bits<32>>,
    lb: Signal<Local, Bits<10>>,
    // rshift_round(mul_a * mul_b, 15), mul_a in 0..2^15, mul_b signed.
    mul_a: Signal<Local, Bits<16>>,
    mul_b: Signal<Local, Bits<32>>,
    mul_mag: Signal<Local, Bits<32>>,
    mul_lo: Signal<Local, Bits<32>>,
    mul_hi: Signal<Local, Bits<32>>,
    mul_res: Signal<Local, Bits<32>>,
    mul_out: Signal<Local, Bits<32>>,
    // q15_to_h(q_in).
    q_in: Signal<Local, Bits<32>>,
    q_round: Signal<Local, Bits<32>>,
    q_sh: Signal<Local, Bits<32>>,
    c_round: Signal<Local, Bits<32>>,
    q_out: Signal<Local, Bits<8>>,
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

impl Default for CellUnit {
    fn default() -> Self {
        let sig: Vec<Bits<16>> = sigmoid_lut()
            .into_iter()
            .map(|v| (v as u16 as u32).to_bits())
            .collect();
        let tanh: Vec<Bits<16>> = tanh_lut()
            .into_iter()
            .map(|v| (v as i16 as u16 as u32).to_bits())
            .collect();
        CellUnit {
            clock: Default::default(),
            run_start: Default::default(),
            out_addr: Default::default(),
            state_addr: Default::default(),
            lstm: Default::default(),
            hidden: Default::default(),
            start: Default::default(),
            last_step: Default::default(),
            abort: Default::default(),
            busy: Default::default(),
            gw_en: Default::default(),
            gw_pass: Default::default(),
            gw_gate: Default::default(),
            gw_unit: Default::default(),
            gw_value: Default::default(),
            h_rd_addr: Default::default(),
            h_rd_data: Default::default(),
            h_wr_en: Default::default(),
            h_wr_addr: Default::default(),
            h_wr_data: Default::default(),
            c_rd_addr: Default::default(),
            c_rd_data: Default::default(),
            c_wr_en: Default::default(),
            c_wr_addr: Default::default(),
            c_wr_data: Default::default(),
            wr_room: Default::default(),
            wr_push: Default::default(),
            wr_addr: Default::default(),
            wr_data: Default::default(),
            state: Default::default(),
            unit: Default::default(),
            last: Default::default(),
            out_ptr: Default::default(),
            hpack: Default::default(),
            cpack: Default::default(),
            stash_a: Default::default(),
            stash_b: Default::default(),
            stash_c: Default::default(),
            idx1: Default::default(),
            idx2: Default::default(),
            hnew: Default::default(),
            cnew: Default::default(),
            sig: sig.into_iter().into(),
            tanh: tanh.into_iter().into(),
            gx0: Default::default(),
            gx1: Default::default(),
            gx2: Default::default(),
            gx3: Default::default(),
            gh0: Default::default(),
            gh1: Default::default(),
            gh2: Default::default(),
            gh3: Default::default(),
            sa_in: Default::default(),
            sa_out: Default::default(),
            la: Default::default(),
            sb_in: Default::default(),
            sb_out: Default::default(),
            lb: Default::default(),
            mul_a: Default::default(),
            mul_b: Default::default(),
            mul_mag: Default::default(),
            mul_lo: Default::default(),
            mul_hi: Default::default(),
            mul_res: Default::default(),
            mul_out: Default::default(),
            q_in: Default::default(),
            q_round: Default::default(),
            q_sh: Default::default(),
            c_round: Default::default(),
            q_out: Default::default(),
            sig_q: Default::default(),
            tanh_q: Default::default(),
            h_old: Default::default(),
            c_old: Default::default(),
            c_sum: Default::default(),
            h_word_end: Default::default(),
            c_word_end: Default::default(),
            last_unit: Default::default(),
            h_state_words: Default::default(),
        }
    }
}

impl Logic for CellUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, unit, last, out_ptr, hpack, cpack, stash_a, stash_b, stash_c, idx1,
            idx2, hnew, cnew
        );
        self.sig.read_clock.next = self.clock.val();
        self.sig.write_clock.next = self.clock.val();
        self.tanh.read_clock.next = self.clock.val();
        self.tanh.write_clock.next = self.clock.val();
        self.sig.write_enable.next = false;
        self.tanh.write_enable.next = false;
        self.sig.write_address.next = 0.into();
        self.tanh.write_address.next = 0.into();
        self.sig.write_data.next = 0.into();
        self.tanh.write_data.next = 0.into();
        self.sig.read_address.next = 0.into();
        self.tanh.read_address.next = 0.into();
        // Gate buffers: written by the epilogue, read at the current unit.
        self.gx0.read_clock.next = self.clock.val();
        self.gx0.write_clock.next = self.clock.val();
        self.gx1.read_clock.next = self.clock.val();
        self.gx1.write_clock.next = self.clock.val();
        self.gx2.read_clock.next = self.clock.val();
        self.gx2.write_clock.next = self.clock.val();
        self.gx3.read_clock.next = self.clock.val();
        self.gx3.write_clock.next = self.clock.val();
        self.gh0.read_clock.next = self.clock.val();
        self.gh0.write_clock.next = self.clock.val();
        self.gh1.read_clock.next = self.clock.val();
        self.gh1.write_clock.next = self.clock.val();
        self.gh2.read_clock.next = self.clock.val();
        self.gh2.write_clock.next = self.clock.val();
        self.gh3.read_clock.next = self.clock.val();
        self.gh3.write_clock.next = self.clock.val();
        self.gx0.write_address.next = self.gw_unit.val();
        self.gx1.write_address.next = self.gw_unit.val();
        self.gx2.write_address.next = self.gw_unit.val();
        self.gx3.write_address.next = self.gw_unit.val();
        self.gh0.write_address.next = self.gw_unit.val();
        self.gh1.write_address.next = self.gw_unit.val();
        self.gh2.write_address.next = self.gw_unit.val();
        self.gh3.write_address.next = self.gw_unit.val();
        self.gx0.write_data.next = self.gw_value.val();
        self.gx1.write_data.next = self.gw_value.val();
        self.gx2.write_data.next = self.gw_value.val();
        self.gx3.write_data.next = self.gw_value.val();
        self.gh0.write_data.next = self.gw_value.val();
        self.gh1.write_data.next = self.gw_value.val();
        self.gh2.write_data.next = self.gw_value.val();
        self.gh3.write_data.next = self.gw_value.val();
        self.gx0.write_enable.next =
            self.gw_en.val() & !self.gw_pass.val() & (self.gw_gate.val() == 0);
        self.gx1.write_enable.next =
            self.gw_en.val() & !self.gw_pass.val() & (self.gw_gate.val() == 1);
        self.gx2.write_enable.next =
            self.gw_en.val() & !self.gw_pass.val() & (self.gw_gate.val() == 2);
        self.gx3.write_enable.next =
            self.gw_en.val() & !self.gw_pass.val() & (self.gw_gate.val() == 3);
        self.gh0.write_enable.next =
            self.gw_en.val() & self.gw_pass.val() & (self.gw_gate.val() == 0);
        self.gh1.write_enable.next =
            self.gw_en.val() & self.gw_pass.val() & (self.gw_gate.val() == 1);
        self.gh2.write_enable.next =
            self.gw_en.val() & self.gw_pass.val() & (self.gw_gate.val() == 2);
        self.gh3.write_enable.next =
            self.gw_en.val() & self.gw_pass.val() & (self.gw_gate.val() == 3);
        self.gx0.read_address.next = bit_cast::<GATE_ADDR_BITS, 10>(self.unit.q.val());
        self.gx1.read_address.next = bit_cast::<GATE_ADDR_BITS, 10>(self.unit.q.val());
        self.gx2.read_address.next = bit_cast::<GATE_ADDR_BITS, 10>(self.unit.q.val());
        self.gx3.read_address.next = bit_cast::<GATE_ADDR_BITS, 10>(self.unit.q.val());
        self.gh0.read_address.next = bit_cast::<GATE_ADDR_BITS, 10>(self.unit.q.val());
        self.gh1.read_address.next = bit_cast::<GATE_ADDR_BITS, 10>(self.unit.q.val());
        self.gh2.read_address.next = bit_cast::<GATE_ADDR_BITS, 10>(self.unit.q.val());
        self.gh3.read_address.next = bit_cast::<GATE_ADDR_BITS, 10>(self.unit.q.val());
        self.h_rd_addr.next = self.unit.q.val().get_bits::<5>(4);
        self.c_rd_addr.next = self.unit.q.val().get_bits::<7>(2);

        // The datapath below only switches while a cell pass runs (keeps simulation lean).
        self.sig_q.next = 0.into();
        self.tanh_q.next = 0.into();
        self.h_old.next = 0.into();
        self.c_old.next = 0.into();
        self.h_state_words.next = 0.into();
        self.mul_a.next = 0.into();
        self.mul_b.next = 0.into();
        self.mul_mag.next = 0.into();
        self.mul_lo.next = 0.into();
        self.mul_hi.next = 0.into();
        self.mul_res.next = 0.into();
        self.mul_out.next = 0.into();
        self.c_round.next = 0.into();
        self.sa_in.next = 0.into();
        self.sb_in.next = 0.into();
        self.q_in.next = 0.into();
        self.c_sum.next = 0.into();
        self.sa_out.next = 0.into();
        self.sb_out.next = 0.into();
        self.q_round.next = 0.into();
        self.q_sh.next = 0.into();
        self.la.next = 0.into();
        self.lb.next = 0.into();
        self.q_out.next = 0.into();
        self.last_unit.next = false;
        self.h_word_end.next = false;
        self.c_word_end.next = false;
        if self.state.q.val() != CellState::Idle {
            // Activation outputs and the unit's old h / c.
            self.sig_q.next = bit_cast::<32, 16>(self.sig.read_data.val());
            self.tanh_q.next = bit_cast::<32, 16>(self.tanh.read_data.val());
            if self.tanh.read_data.val().get_bit(15) {
                self.tanh_q.next = bit_cast::<32, 16>(self.tanh.read_data.val()) | 0xFFFF_0000_u64;
            }
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

            // Operands of the shared multiplier (Locals are evaluated in program order).
            self.mul_a.next = 0.into();
            self.mul_b.next = 0.into();
            match self.state.q.val() {
                CellState::Act1 => {
                    // LSTM: i * g; GRU: r * gh_n.
                    self.mul_a.next = self.sig.read_data.val();
                    self.mul_b.next = self.stash_b.q.val();
                    if self.lstm.val() {
                        self.mul_b.next = self.tanh_q.val();
                    }
                }
                CellState::Act2 => {
                    // LSTM: f * c; GRU: z * ((h << 8) - n).
                    self.mul_a.next = self.sig.read_data.val();
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
            // mul_out = rshift_round(mul_a * mul_b, 15) on magnitudes:
            // (P + h) >> 15 = ((a*b_lo + h) >> 15) + 2 * a*b_hi, h = 2^14 (positive) or
            // 2^14 - 1 (negative, round half up of -P).
            self.mul_mag.next = self.mul_b.val();
            if self.mul_b.val().get_bit(31) {
                self.mul_mag.next = 0 - self.mul_b.val();
            }
            self.mul_lo.next = self.mul_a.val() * self.mul_mag.val().get_bits::<16>(0);
            self.mul_hi.next = self.mul_a.val() * self.mul_mag.val().get_bits::<16>(16);
            if self.mul_b.val().get_bit(31) {
                self.mul_res.next = ((self.mul_lo.val() + 0x3FFF) >> 15) + (self.mul_hi.val() << 1);
                self.mul_out.next = 0 - self.mul_res.val();
            } else {
                self.mul_res.next = ((self.mul_lo.val() + 0x4000) >> 15) + (self.mul_hi.val() << 1);
                self.mul_out.next = self.mul_res.val();
            }
            self.c_round.next = self.cnew.q.val() + 4;
            // Inputs of the saturating adders, q15_to_h and the c update.
            self.sa_in.next = 0.into();
            self.sb_in.next = 0.into();
            self.q_in.next = 0.into();
            self.c_sum.next = 0.into();
            match self.state.q.val() {
                CellState::Gates => {
                    // LSTM: i, g now (f, o kept); GRU: r now, z kept.
                    self.sa_in.next = self.gx0.read_data.val() + self.gh0.read_data.val();
                    self.sb_in.next = self.gx1.read_data.val() + self.gh1.read_data.val();
                    if self.lstm.val() {
                        self.sb_in.next = self.gx2.read_data.val() + self.gh2.read_data.val();
                    }
                }
                CellState::Act1 => {
                    // LSTM: f, o; GRU: np = gx_n + rshift_round(r * gh_n, 15).
                    self.sa_in.next = self.stash_a.q.val() + self.mul_out.val();
                    if self.lstm.val() {
                        self.sa_in.next = self.stash_a.q.val();
                        self.sb_in.next = self.stash_b.q.val();
                    }
                }
                CellState::Act2 => {
                    self.c_sum.next = self.mul_out.val() + self.stash_c.q.val();
                    self.q_in.next = self.tanh_q.val() + self.mul_out.val();
                }
                CellState::Act3 => {
                    // rshift_round(c', 3): Q.15 -> Q.12.
                    self.sa_in.next = self.c_round.val() >> 3;
                    if self.c_round.val().get_bit(31) {
                        self.sa_in.next = (self.c_round.val() >> 3) | 0xE000_0000_u64;
                    }
                }
                CellState::Pack => {
                    self.q_in.next = self.mul_out.val();
                }
                _ => {}
            }
            // Saturating adders (24-bit gate range) and LUT indices.
            self.sa_out.next = self.sa_in.val();
            if (self.sa_in.val().get_bits::<9>(23) != 0)
                & (self.sa_in.val().get_bits::<9>(23) != 511)
            {
                if self.sa_in.val().get_bit(31) {
                    self.sa_out.next = 0xFF80_0000_u64.into();
                } else {
                    self.sa_out.next = 0x007F_FFFF.into();
                }
            }
            self.la.next = (bit_cast::<10, 9>(self.sa_out.val().get_bits::<9>(6))
                | (bit_cast::<10, 1>(self.sa_out.val().get_bits::<1>(15)) << 9))
                ^ 0x200;
            if (self.sa_out.val().get_bits::<17>(15) != 0)
                & (self.sa_out.val().get_bits::<17>(15) != 0x1_FFFF)
            {
                if self.sa_out.val().get_bit(31) {
                    self.la.next = 0.into();
                } else {
                    self.la.next = 1023.into();
                }
            }
            self.sb_out.next = self.sb_in.val();
            if (self.sb_in.val().get_bits::<9>(23) != 0)
                & (self.sb_in.val().get_bits::<9>(23) != 511)
            {
                if self.sb_in.val().get_bit(31) {
                    self.sb_out.next = 0xFF80_0000_u64.into();
                } else {
                    self.sb_out.next = 0x007F_FFFF.into();
                }
            }
            self.lb.next = (bit_cast::<10, 9>(self.sb_out.val().get_bits::<9>(6))
                | (bit_cast::<10, 1>(self.sb_out.val().get_bits::<1>(15)) << 9))
                ^ 0x200;
            if (self.sb_out.val().get_bits::<17>(15) != 0)
                & (self.sb_out.val().get_bits::<17>(15) != 0x1_FFFF)
            {
                if self.sb_out.val().get_bit(31) {
                    self.lb.next = 0.into();
                } else {
                    self.lb.next = 1023.into();
                }
            }
            // q15_to_h: clamp(rshift_round(q_in, 8), -128, 127).
            self.q_round.next = self.q_in.val() + 128;
            self.q_sh.next = self.q_round.val() >> 8;
            if self.q_round.val().get_bit(31) {
                self.q_sh.next = (self.q_round.val() >> 8) | 0xFF00_0000_u64;
            }
            self.q_out.next = self.q_sh.val().get_bits::<8>(0);
            if (self.q_sh.val().get_bits::<25>(7) != 0)
                & (self.q_sh.val().get_bits::<25>(7) != 0x1FF_FFFF)
            {
                if self.q_sh.val().get_bit(31) {
                    self.q_out.next = 0x80.into();
                } else {
                    self.q_out.next = 0x7F.into();
                }
            }
        }
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
                    self.sig.read_address.next = self.la.val();
                    self.tanh.read_address.next = self.lb.val();
                    self.stash_a.d.next = self.gx1.read_data.val() + self.gh1.read_data.val();
                    self.stash_b.d.next = self.gx3.read_data.val() + self.gh3.read_data.val();
                } else {
                    // r -> sigmoid now, z later; keep gx_n, gh_n.
                    self.sig.read_address.next = self.la.val();
                    self.idx1.d.next = self.lb.val();
                    self.stash_a.d.next = self.gx2.read_data.val();
                    self.stash_b.d.next = self.gh2.read_data.val();
                }
                self.state.d.next = CellState::Act1;
            }
            CellState::Act1 => {
                if self.lstm.val() {
                    // stash_c = rshift_round(i * g, 15); f -> sigmoid.
                    self.stash_c.d.next = self.mul_out.val();
                    self.sig.read_address.next = self.la.val();
                    self.idx2.d.next = self.lb.val();
                } else {
                    // np = sat(gx_n + rshift_round(r * gh_n, 15)) -> tanh; z -> sigmoid.
                    self.tanh.read_address.next = self.la.val();
                    self.sig.read_address.next = self.idx1.q.val();
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
                    self.sig.read_address.next = self.idx2.q.val();
                    self.state.d.next = CellState::Act3;
                } else {
                    // h' = q15_to_h(n + rshift_round(z * ((h << 8) - n), 15)).
                    self.hnew.d.next = self.q_out.val();
                    self.state.d.next = CellState::Pack;
                }
            }
            CellState::Act3 => {
                // tanh(sat(rshift_round(c', 3))) is read this cycle from the address
                // set below one cycle late, so Act3 first issues it and waits in Pack.
                self.tanh.read_address.next = self.la.val();
                self.stash_a.d.next = self.sig_q.val();
                self.state.d.next = CellState::Pack;
            }
            CellState::Pack => {
                if self.lstm.val() {
                    // h' = q15_to_h(rshift_round(o * tanh(c'), 15)).
                    self.hpack.d.next = self.hpack.q.val()
                        | (bit_cast::<128, 8>(self.q_out.val())
                            << (bit_cast::<7, 4>(self.unit.q.val().get_bits::<4>(0)) << 3));
                    if self.unit.q.val().get_bits::<4>(0) == 0 {
                        self.hpack.d.next = bit_cast::<128, 8>(self.q_out.val());
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
    }
}

impl crate::sim_harness::Clocked for CellUnit {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim_harness::SimHarness;
    use crew_spec::numerics::Luts;

    /// Runs one cell pass over `hid` units with the given gates; returns the pushed words.
    fn run_cell(
        lstm: bool,
        gx: &[Vec<i32>],
        gh: &[Vec<i32>],
        h: &[i8],
        c: &[i32],
    ) -> Vec<(u32, u128)> {
        let hid = h.len();
        let mut sim = SimHarness::new(CellUnit::default()).unwrap();
        let u = &mut sim.uut;
        u.lstm.next = lstm;
        u.hidden.next = (hid as u32).to_bits();
        u.run_start.next = true;
        u.out_addr.next = 1000u32.to_bits();
        u.state_addr.next = 2000u32.to_bits();
        u.wr_room.next = true;
        sim.tick().unwrap();
        sim.uut.run_start.next = false;
        for (pass, gates) in [gx, gh].iter().enumerate() {
            for (g, values) in gates.iter().enumerate() {
                for (j, &v) in values.iter().enumerate() {
                    let u = &mut sim.uut;
                    u.gw_en.next = true;
                    u.gw_pass.next = pass == 1;
                    u.gw_gate.next = (g as u32).to_bits();
                    u.gw_unit.next = (j as u32).to_bits();
                    u.gw_value.next = (v as u32).to_bits();
                    sim.tick().unwrap();
                }
            }
        }
        sim.uut.gw_en.next = false;
        sim.uut.start.next = true;
        sim.uut.last_step.next = true;
        sim.tick().unwrap();
        sim.uut.start.next = false;
        let mut pushed = vec![];
        let mut hbuf = vec![0u128; 32];
        let mut cbuf = vec![0u128; 128];
        for (j, &v) in h.iter().enumerate() {
            hbuf[j / 16] |= (v as u8 as u128) << (8 * (j % 16));
        }
        for (j, &v) in c.iter().enumerate() {
            cbuf[j / 4] |= (v as u32 as u128) << (32 * (j % 4));
        }
        for _ in 0..20 * hid + 100 {
            let u = &mut sim.uut;
            u.h_rd_data.next = hbuf[u.h_rd_addr.val().index()].to_bits();
            u.c_rd_data.next = cbuf[u.c_rd_addr.val().index()].to_bits();
            sim.tick().unwrap();
            let u = &sim.uut;
            if u.wr_push.val() {
                pushed.push((u.wr_addr.val().index() as u32, u.wr_data.val().to_u128()));
            }
            if u.h_wr_en.val() {
                hbuf[u.h_wr_addr.val().index()] = u.h_wr_data.val().to_u128();
            }
            if u.c_wr_en.val() {
                cbuf[u.c_wr_addr.val().index()] = u.c_wr_data.val().to_u128();
            }
            if !u.busy.val() {
                break;
            }
        }
        pushed
    }

    #[test]
    fn gru_cell_matches_numerics() {
        let luts = Luts::default();
        let hid = 19;
        let g = |k: i32| -> Vec<i32> {
            (0..hid as i32)
                .map(|j| (j * 7919 + k * 104_729) % 60_000 - 30_000)
                .collect()
        };
        let gx = vec![g(1), g(2), g(3)];
        let gh = vec![g(4), g(5), g(6)];
        let h: Vec<i8> = (0..hid)
            .map(|j| (j as i32 * 37 % 256 - 128) as i8)
            .collect();
        let pushed = run_cell(false, &gx, &gh, &h, &[]);
        let expect: Vec<i8> = (0..hid)
            .map(|j| {
                luts.gru_cell(
                    [gx[0][j], gx[1][j], gx[2][j]],
                    [gh[0][j], gh[1][j], gh[2][j]],
                    h[j],
                )
            })
            .collect();
        let out: Vec<i8> = pushed
            .iter()
            .filter(|(a, _)| *a >= 1000 && *a < 2000)
            .flat_map(|(_, w)| w.to_le_bytes())
            .take(hid)
            .map(|b| b as i8)
            .collect();
        assert_eq!(out, expect);
    }

    #[test]
    fn lstm_cell_matches_numerics_and_writes_state() {
        let luts = Luts::default();
        let hid = 9;
        let g = |k: i32| -> Vec<i32> {
            (0..hid as i32)
                .map(|j| (j * 7919 + k * 104_729) % 50_000 - 25_000)
                .collect()
        };
        let gx = vec![g(1), g(2), g(3), g(4)];
        let gh = vec![g(5), g(6), g(7), g(8)];
        let h = vec![0i8; hid];
        let c: Vec<i32> = (0..hid as i32).map(|j| (j - 4) * 900_000).collect();
        let pushed = run_cell(true, &gx, &gh, &h, &c);
        let expect: Vec<(i8, i32)> = (0..hid)
            .map(|j| {
                luts.lstm_cell(
                    [gx[0][j], gx[1][j], gx[2][j], gx[3][j]],
                    [gh[0][j], gh[1][j], gh[2][j], gh[3][j]],
                    c[j],
                )
            })
            .collect();
        let bytes: Vec<u8> = pushed
            .iter()
            .filter(|(a, _)| *a >= 1000 && *a < 2000)
            .flat_map(|(_, w)| w.to_le_bytes())
            .collect();
        let out_h: Vec<i8> = bytes.iter().take(hid).map(|&b| b as i8).collect();
        let c_words: Vec<u128> = pushed
            .iter()
            .filter(|(a, _)| *a >= 2001)
            .map(|(_, w)| *w)
            .collect();
        let out_c: Vec<i32> = (0..hid)
            .map(|j| (c_words[j / 4] >> (32 * (j % 4))) as u32 as i32)
            .collect();
        assert_eq!(out_h, expect.iter().map(|e| e.0).collect::<Vec<_>>());
        assert_eq!(out_c, expect.iter().map(|e| e.1).collect::<Vec<_>>());
        // Saturation of c is exercised (|c| grows past 2^24 for some units).
        assert!(c.iter().any(|&v| v.abs() > 3_000_000));
    }
}
