//! `EngineCore::new`: the blocks, the constants the sequencer compares against (lanes,
//! layer magic, DRAM size, error codes), every register at its default.

use super::{EngineCore, LayoutFlags};
use crate::engine::common::descriptor_check::DescriptorCheck;
use crate::engine::common::mig_arbiter::WRITE_QUEUE_WORDS;
use crew_spec::image::{DRAM_WORDS, LAYER_MAGIC};
use crew_spec::regmap::ErrorCode;
use rust_hdl::prelude::*;

impl<const L: usize, const ACC_BITS: usize> EngineCore<L, ACC_BITS> {
    /// The core of an engine with L lanes of 2^ACC_BITS accumulators that reads layers
    /// whose flags match `flags`.
    pub fn new(flags: LayoutFlags) -> Self {
        EngineCore {
            clock: Default::default(),
            run: Default::default(),
            dram: Default::default(),
            datapath: Default::default(),
            issuer: Default::default(),
            arbiter: Default::default(),
            buffers: Default::default(),
            epilogue: Default::default(),
            counters: Default::default(),
            check: DescriptorCheck::new(L << ACC_BITS, flags),
            cell_unit: Default::default(),
            k_lanes: Constant::new((L as u32).to_bits()),
            k_magic: Constant::new(LAYER_MAGIC.to_bits()),
            k_acc_last: Constant::new((((1usize << ACC_BITS) - 1) as u32).to_bits()),
            k_wq_epi_room: Constant::new((WRITE_QUEUE_WORDS - 4).to_bits()),
            k_wq_room: Constant::new((WRITE_QUEUE_WORDS - 1).to_bits()),
            k_desc_addr_max: Constant::new(((DRAM_WORDS - 4) as u32).to_bits()),
            k_err_desc: Constant::new((ErrorCode::BadDescriptor as u8 as u32).to_bits()),
            k_err_shape: Constant::new((ErrorCode::ShapeTooLarge as u8 as u32).to_bits()),
            k_err_addr: Constant::new((ErrorCode::AddressOutOfRange as u8 as u32).to_bits()),
            k_err_record: Constant::new((ErrorCode::BadRecord as u8 as u32).to_bits()),
            k_err_abort: Constant::new((ErrorCode::Aborted as u8 as u32).to_bits()),
            main: Default::default(),
            err: Default::default(),
            done_r: Default::default(),
            r_in: Default::default(),
            r_state: Default::default(),
            r_steps: Default::default(),
            hdr: Default::default(),
            magic_ok: Default::default(),
            pd0: Default::default(),
            pd1: Default::default(),
            rnn: Default::default(),
            lstm: Default::default(),
            wide: Default::default(),
            nin0: Default::default(),
            hid: Default::default(),
            nout0: Default::default(),
            nout1: Default::default(),
            rt: Default::default(),
            rt_cnt: Default::default(),
            rt_step: Default::default(),
            rt_pass: Default::default(),
            e_lane: Default::default(),
            e_slot: Default::default(),
            e_gate: Default::default(),
            e_unit: Default::default(),
            chk_bad: Default::default(),
            chk_large: Default::default(),
            end_chk: Default::default(),
            last_h8: Default::default(),
            last_h32: Default::default(),
            last_in8: Default::default(),
            last_nin: Default::default(),
            last_nout: Default::default(),
            last_unit: Default::default(),
            vw8_h: Default::default(),
            vw32_h: Default::default(),
            vw8_in: Default::default(),
            running: Signal::default(),
            rt_pop: Signal::default(),
            fail: Signal::default(),
            fail_code: Signal::default(),
            flush: Signal::default(),
            cur_nin: Signal::default(),
            cur_nout: Signal::default(),
            cur_words: Signal::default(),
            head: Signal::default(),
            pass_start: Signal::default(),
        }
    }
}
