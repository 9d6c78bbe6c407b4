//! The XEM7010 top level: okHost and the FrontPanel endpoints at the register-map
//! addresses, the MIG 7-series DDR3 controller fed by the 200 MHz differential system
//! clock, the host bridge, the CREW engine, and the LEDs (active low on the board).
//!
//! Output endpoints each drive their own ok2 bus; they are ORed into okHost's ok2 (what
//! FrontPanel's okWireOR does). Trigger endpoints are clocked by the MIG UI clock, so the
//! bridge sees command pulses and raises events in its own domain.

use crew_hw::board_engine::BoardEngine;
use crew_hw::engine::port::EngineControl;
use crew_hw::host_bridge::{EngineInfo, HostBridge, DEFAULT_WATCHDOG_CYCLES};
use crew_hw::mig_port::MigMaster;
use crew_spec::regmap::{self, check_endpoints, EndpointKind, ENDPOINTS};
use rust_hdl::prelude::*;
use rust_hdl_bsp_ok_xem7010::xem7010::mcb_if::MCBInterface4GDDR3;
use rust_hdl_bsp_ok_xem7010::xem7010::mig7::MemoryInterfaceGenerator7Series;
use rust_hdl_bsp_ok_xem7010::xem7010::pins::{
    xem_7010_leds, xem_7010_neg_clock, xem_7010_pos_clock,
};
use rust_hdl_ok_core::core::prelude::*;

#[derive(LogicBlock)]
pub struct CrewBoardTop {
    /// FrontPanel host interface pins (okHost).
    pub hi: OpalKellyHostInterface,
    /// DDR3 pins (MIG).
    pub mcb: MCBInterface4GDDR3,
    /// 200 MHz differential system clock (K4/J4), into the MIG.
    pub sys_clock_p: Signal<In, Clock>,
    pub sys_clock_n: Signal<In, Clock>,
    /// LEDs, active low (UI clock domain).
    pub leds: Signal<Out, Bits<8>>,
    ok_host: OpalKellyHost,
    mig: MemoryInterfaceGenerator7Series,
    bridge: HostBridge,
    engine: BoardEngine,
    wi_control: WireIn,
    wi_xfer_addr_lo: WireIn,
    wi_xfer_addr_hi: WireIn,
    wi_xfer_words_lo: WireIn,
    wi_xfer_words_hi: WireIn,
    wi_desc_addr_lo: WireIn,
    wi_desc_addr_hi: WireIn,
    wi_in_addr_lo: WireIn,
    wi_in_addr_hi: WireIn,
    wi_out_addr_lo: WireIn,
    wi_out_addr_hi: WireIn,
    wi_state_addr_lo: WireIn,
    wi_state_addr_hi: WireIn,
    wi_steps: WireIn,
    wo_design_id: WireOut,
    wo_protocol_version: WireOut,
    wo_status: WireOut,
    wo_error_code: WireOut,
    wo_cycles_lo: WireOut,
    wo_cycles_hi: WireOut,
    wo_busy_cycles_lo: WireOut,
    wo_busy_cycles_hi: WireOut,
    wo_stall_cycles_lo: WireOut,
    wo_stall_cycles_hi: WireOut,
    wo_dram_words_lo: WireOut,
    wo_dram_words_hi: WireOut,
    wo_mults_lo: WireOut,
    wo_mults_hi: WireOut,
    wo_adds_lo: WireOut,
    wo_adds_hi: WireOut,
    wo_xfer_done_words_lo: WireOut,
    wo_xfer_done_words_hi: WireOut,
    wo_engine_kind: WireOut,
    wo_lanes: WireOut,
    wo_acc_depth: WireOut,
    ti_command: TriggerIn,
    to_events: TriggerOut,
    pipe_in: BTPipeIn,
    pipe_out: BTPipeOut,
}

fn trigger_out(addr: u8) -> TriggerOut {
    // The BSP's constructor range check is wrong (decimal 60); this one is not.
    assert!(EndpointKind::TriggerOut.range().contains(&addr));
    TriggerOut::new(addr)
}

impl CrewBoardTop {
    /// The top with all ports connected, ready for Verilog generation.
    pub fn new(engine: EngineInfo) -> CrewBoardTop {
        assert_eq!(check_endpoints(ENDPOINTS), Ok(()));
        let mut top = CrewBoardTop {
            hi: OpalKellyHostInterface::xem_7010(),
            mcb: MCBInterface4GDDR3::xem_7010_constrained(),
            sys_clock_p: xem_7010_pos_clock(),
            sys_clock_n: xem_7010_neg_clock(),
            leds: xem_7010_leds(),
            ok_host: OpalKellyHost::xem_7010(),
            mig: Default::default(),
            bridge: HostBridge::new(engine, DEFAULT_WATCHDOG_CYCLES),
            engine: BoardEngine::new(),
            wi_control: WireIn::new(regmap::WIRE_IN_CONTROL),
            wi_xfer_addr_lo: WireIn::new(regmap::WIRE_IN_XFER_ADDR_LO),
            wi_xfer_addr_hi: WireIn::new(regmap::WIRE_IN_XFER_ADDR_HI),
            wi_xfer_words_lo: WireIn::new(regmap::WIRE_IN_XFER_WORDS_LO),
            wi_xfer_words_hi: WireIn::new(regmap::WIRE_IN_XFER_WORDS_HI),
            wi_desc_addr_lo: WireIn::new(regmap::WIRE_IN_DESC_ADDR_LO),
            wi_desc_addr_hi: WireIn::new(regmap::WIRE_IN_DESC_ADDR_HI),
            wi_in_addr_lo: WireIn::new(regmap::WIRE_IN_IN_ADDR_LO),
            wi_in_addr_hi: WireIn::new(regmap::WIRE_IN_IN_ADDR_HI),
            wi_out_addr_lo: WireIn::new(regmap::WIRE_IN_OUT_ADDR_LO),
            wi_out_addr_hi: WireIn::new(regmap::WIRE_IN_OUT_ADDR_HI),
            wi_state_addr_lo: WireIn::new(regmap::WIRE_IN_STATE_ADDR_LO),
            wi_state_addr_hi: WireIn::new(regmap::WIRE_IN_STATE_ADDR_HI),
            wi_steps: WireIn::new(regmap::WIRE_IN_STEPS),
            wo_design_id: WireOut::new(regmap::WIRE_OUT_DESIGN_ID),
            wo_protocol_version: WireOut::new(regmap::WIRE_OUT_PROTOCOL_VERSION),
            wo_status: WireOut::new(regmap::WIRE_OUT_STATUS),
            wo_error_code: WireOut::new(regmap::WIRE_OUT_ERROR_CODE),
            wo_cycles_lo: WireOut::new(regmap::WIRE_OUT_CYCLES_LO),
            wo_cycles_hi: WireOut::new(regmap::WIRE_OUT_CYCLES_HI),
            wo_busy_cycles_lo: WireOut::new(regmap::WIRE_OUT_BUSY_CYCLES_LO),
            wo_busy_cycles_hi: WireOut::new(regmap::WIRE_OUT_BUSY_CYCLES_HI),
            wo_stall_cycles_lo: WireOut::new(regmap::WIRE_OUT_STALL_CYCLES_LO),
            wo_stall_cycles_hi: WireOut::new(regmap::WIRE_OUT_STALL_CYCLES_HI),
            wo_dram_words_lo: WireOut::new(regmap::WIRE_OUT_DRAM_WORDS_LO),
            wo_dram_words_hi: WireOut::new(regmap::WIRE_OUT_DRAM_WORDS_HI),
            wo_mults_lo: WireOut::new(regmap::WIRE_OUT_MULTS_LO),
            wo_mults_hi: WireOut::new(regmap::WIRE_OUT_MULTS_HI),
            wo_adds_lo: WireOut::new(regmap::WIRE_OUT_ADDS_LO),
            wo_adds_hi: WireOut::new(regmap::WIRE_OUT_ADDS_HI),
            wo_xfer_done_words_lo: WireOut::new(regmap::WIRE_OUT_XFER_DONE_WORDS_LO),
            wo_xfer_done_words_hi: WireOut::new(regmap::WIRE_OUT_XFER_DONE_WORDS_HI),
            wo_engine_kind: WireOut::new(regmap::WIRE_OUT_ENGINE_KIND),
            wo_lanes: WireOut::new(regmap::WIRE_OUT_LANES),
            wo_acc_depth: WireOut::new(regmap::WIRE_OUT_ACC_DEPTH),
            ti_command: TriggerIn::new(regmap::TRIGGER_IN_COMMAND),
            to_events: trigger_out(regmap::TRIGGER_OUT_EVENTS),
            pipe_in: BTPipeIn::new(regmap::PIPE_IN_DRAM),
            pipe_out: BTPipeOut::new(regmap::PIPE_OUT_DRAM),
        };
        top.hi.link_connect_dest();
        top.mcb.link_connect_dest();
        top.sys_clock_p.connect();
        top.sys_clock_n.connect();
        top.connect_all();
        top
    }
}

impl Logic for CrewBoardTop {
    #[hdl_gen]
    fn update(&mut self) {
        OpalKellyHostInterface::link(&mut self.hi, &mut self.ok_host.hi);
        MCBInterface4GDDR3::link(&mut self.mcb, &mut self.mig.mcb);
        self.mig.raw_pos_clock.next = self.sys_clock_p.val();
        self.mig.raw_neg_clock.next = self.sys_clock_n.val();
        self.mig.reset.next = false;
        self.bridge.ti_clk.next = self.ok_host.ti_clk.val();
        self.bridge.ui_clk.next = self.mig.clock.val();
        // ok1 to every endpoint.
        self.wi_control.ok1.next = self.ok_host.ok1.val();
        self.wi_xfer_addr_lo.ok1.next = self.ok_host.ok1.val();
        self.wi_xfer_addr_hi.ok1.next = self.ok_host.ok1.val();
        self.wi_xfer_words_lo.ok1.next = self.ok_host.ok1.val();
        self.wi_xfer_words_hi.ok1.next = self.ok_host.ok1.val();
        self.wi_desc_addr_lo.ok1.next = self.ok_host.ok1.val();
        self.wi_desc_addr_hi.ok1.next = self.ok_host.ok1.val();
        self.wi_in_addr_lo.ok1.next = self.ok_host.ok1.val();
        self.wi_in_addr_hi.ok1.next = self.ok_host.ok1.val();
        self.wi_out_addr_lo.ok1.next = self.ok_host.ok1.val();
        self.wi_out_addr_hi.ok1.next = self.ok_host.ok1.val();
        self.wi_state_addr_lo.ok1.next = self.ok_host.ok1.val();
        self.wi_state_addr_hi.ok1.next = self.ok_host.ok1.val();
        self.wi_steps.ok1.next = self.ok_host.ok1.val();
        self.wo_design_id.ok1.next = self.ok_host.ok1.val();
        self.wo_protocol_version.ok1.next = self.ok_host.ok1.val();
        self.wo_status.ok1.next = self.ok_host.ok1.val();
        self.wo_error_code.ok1.next = self.ok_host.ok1.val();
        self.wo_cycles_lo.ok1.next = self.ok_host.ok1.val();
        self.wo_cycles_hi.ok1.next = self.ok_host.ok1.val();
        self.wo_busy_cycles_lo.ok1.next = self.ok_host.ok1.val();
        self.wo_busy_cycles_hi.ok1.next = self.ok_host.ok1.val();
        self.wo_stall_cycles_lo.ok1.next = self.ok_host.ok1.val();
        self.wo_stall_cycles_hi.ok1.next = self.ok_host.ok1.val();
        self.wo_dram_words_lo.ok1.next = self.ok_host.ok1.val();
        self.wo_dram_words_hi.ok1.next = self.ok_host.ok1.val();
        self.wo_mults_lo.ok1.next = self.ok_host.ok1.val();
        self.wo_mults_hi.ok1.next = self.ok_host.ok1.val();
        self.wo_adds_lo.ok1.next = self.ok_host.ok1.val();
        self.wo_adds_hi.ok1.next = self.ok_host.ok1.val();
        self.wo_xfer_done_words_lo.ok1.next = self.ok_host.ok1.val();
        self.wo_xfer_done_words_hi.ok1.next = self.ok_host.ok1.val();
        self.wo_engine_kind.ok1.next = self.ok_host.ok1.val();
        self.wo_lanes.ok1.next = self.ok_host.ok1.val();
        self.wo_acc_depth.ok1.next = self.ok_host.ok1.val();
        self.ti_command.ok1.next = self.ok_host.ok1.val();
        self.to_events.ok1.next = self.ok_host.ok1.val();
        self.pipe_in.ok1.next = self.ok_host.ok1.val();
        self.pipe_out.ok1.next = self.ok_host.ok1.val();
        // Every output endpoint's ok2, ORed.
        self.ok_host.ok2.next = self.wo_design_id.ok2.val()
            | self.wo_protocol_version.ok2.val()
            | self.wo_status.ok2.val()
            | self.wo_error_code.ok2.val()
            | self.wo_cycles_lo.ok2.val()
            | self.wo_cycles_hi.ok2.val()
            | self.wo_busy_cycles_lo.ok2.val()
            | self.wo_busy_cycles_hi.ok2.val()
            | self.wo_stall_cycles_lo.ok2.val()
            | self.wo_stall_cycles_hi.ok2.val()
            | self.wo_dram_words_lo.ok2.val()
            | self.wo_dram_words_hi.ok2.val()
            | self.wo_mults_lo.ok2.val()
            | self.wo_mults_hi.ok2.val()
            | self.wo_adds_lo.ok2.val()
            | self.wo_adds_hi.ok2.val()
            | self.wo_xfer_done_words_lo.ok2.val()
            | self.wo_xfer_done_words_hi.ok2.val()
            | self.wo_engine_kind.ok2.val()
            | self.wo_lanes.ok2.val()
            | self.wo_acc_depth.ok2.val()
            | self.to_events.ok2.val()
            | self.pipe_in.ok2.val()
            | self.pipe_out.ok2.val();
        // Wire-ins -> bridge (ti_clk).
        self.bridge.wire_in_control.next = self.wi_control.dataout.val();
        self.bridge.wire_in_xfer_addr_lo.next = self.wi_xfer_addr_lo.dataout.val();
        self.bridge.wire_in_xfer_addr_hi.next = self.wi_xfer_addr_hi.dataout.val();
        self.bridge.wire_in_xfer_words_lo.next = self.wi_xfer_words_lo.dataout.val();
        self.bridge.wire_in_xfer_words_hi.next = self.wi_xfer_words_hi.dataout.val();
        self.bridge.wire_in_desc_addr_lo.next = self.wi_desc_addr_lo.dataout.val();
        self.bridge.wire_in_desc_addr_hi.next = self.wi_desc_addr_hi.dataout.val();
        self.bridge.wire_in_in_addr_lo.next = self.wi_in_addr_lo.dataout.val();
        self.bridge.wire_in_in_addr_hi.next = self.wi_in_addr_hi.dataout.val();
        self.bridge.wire_in_out_addr_lo.next = self.wi_out_addr_lo.dataout.val();
        self.bridge.wire_in_out_addr_hi.next = self.wi_out_addr_hi.dataout.val();
        self.bridge.wire_in_state_addr_lo.next = self.wi_state_addr_lo.dataout.val();
        self.bridge.wire_in_state_addr_hi.next = self.wi_state_addr_hi.dataout.val();
        self.bridge.wire_in_steps.next = self.wi_steps.dataout.val();
        // Bridge -> wire-outs (ti_clk).
        self.wo_design_id.datain.next = self.bridge.wire_out_design_id.val();
        self.wo_protocol_version.datain.next = self.bridge.wire_out_protocol_version.val();
        self.wo_status.datain.next = self.bridge.wire_out_status.val();
        self.wo_error_code.datain.next = self.bridge.wire_out_error_code.val();
        self.wo_cycles_lo.datain.next = self.bridge.wire_out_cycles_lo.val();
        self.wo_cycles_hi.datain.next = self.bridge.wire_out_cycles_hi.val();
        self.wo_busy_cycles_lo.datain.next = self.bridge.wire_out_busy_cycles_lo.val();
        self.wo_busy_cycles_hi.datain.next = self.bridge.wire_out_busy_cycles_hi.val();
        self.wo_stall_cycles_lo.datain.next = self.bridge.wire_out_stall_cycles_lo.val();
        self.wo_stall_cycles_hi.datain.next = self.bridge.wire_out_stall_cycles_hi.val();
        self.wo_dram_words_lo.datain.next = self.bridge.wire_out_dram_words_lo.val();
        self.wo_dram_words_hi.datain.next = self.bridge.wire_out_dram_words_hi.val();
        self.wo_mults_lo.datain.next = self.bridge.wire_out_mults_lo.val();
        self.wo_mults_hi.datain.next = self.bridge.wire_out_mults_hi.val();
        self.wo_adds_lo.datain.next = self.bridge.wire_out_adds_lo.val();
        self.wo_adds_hi.datain.next = self.bridge.wire_out_adds_hi.val();
        self.wo_xfer_done_words_lo.datain.next = self.bridge.wire_out_xfer_done_words_lo.val();
        self.wo_xfer_done_words_hi.datain.next = self.bridge.wire_out_xfer_done_words_hi.val();
        self.wo_engine_kind.datain.next = self.bridge.wire_out_engine_kind.val();
        self.wo_lanes.datain.next = self.bridge.wire_out_lanes.val();
        self.wo_acc_depth.datain.next = self.bridge.wire_out_acc_depth.val();
        // Triggers (UI clock).
        self.ti_command.clk.next = self.mig.clock.val();
        self.bridge.trigger_in.next = self.ti_command.trigger.val();
        self.to_events.clk.next = self.mig.clock.val();
        self.to_events.trigger.next = self.bridge.trigger_out.val();
        // Pipes (ti_clk).
        self.bridge.pipe_in_write.next = self.pipe_in.write.val();
        self.bridge.pipe_in_data.next = self.pipe_in.dataout.val();
        self.pipe_in.ready.next = self.bridge.pipe_in_ready.val();
        self.bridge.pipe_out_read.next = self.pipe_out.read.val();
        self.pipe_out.datain.next = self.bridge.pipe_out_data.val();
        self.pipe_out.ready.next = self.bridge.pipe_out_ready.val();
        // MIG user interface (UI clock).
        self.mig.address.next = self.bridge.dram.address.val();
        self.mig.command.next = self.bridge.dram.command.val();
        self.mig.enable.next = self.bridge.dram.enable.val();
        self.mig.write_data_in.next = self.bridge.dram.write_data_in.val();
        self.mig.write_data_end.next = self.bridge.dram.write_data_end.val();
        self.mig.write_data_mask.next = self.bridge.dram.write_data_mask.val();
        self.mig.write_enable.next = self.bridge.dram.write_enable.val();
        self.bridge.dram.read_data_out.next = self.mig.read_data_out.val();
        self.bridge.dram.read_data_end.next = self.mig.read_data_end.val();
        self.bridge.dram.read_data_valid.next = self.mig.read_data_valid.val();
        self.bridge.dram.ready.next = self.mig.ready.val();
        self.bridge.dram.write_fifo_not_full.next = self.mig.write_fifo_not_full.val();
        self.bridge.dram.calib_done.next = self.mig.calib_done.val();
        // Engine: run control and counters to the bridge, its DRAM port through the
        // bridge's arbiter.
        self.engine.clock.next = self.mig.clock.val();
        EngineControl::join(&mut self.bridge.engine, &mut self.engine.run);
        MigMaster::join(&mut self.engine.dram, &mut self.bridge.engine_dram);
        // LEDs are active low.
        self.leds.next = !self.bridge.leds.val();
    }
}

/// The engine parameters of the board build.
pub use crew_hw::board_engine::board_engine_info;
