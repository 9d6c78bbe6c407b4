//! The XEM7010 top level: okHost and the FrontPanel endpoints at the register-map
//! addresses, the MIG 7-series DDR3 controller fed by the 200 MHz differential system
//! clock, the accelerator (host bridge + engine, `crew_hw::board::accelerator`), and the LEDs
//! (active low on the board). One top per board engine configuration
//! (`crew_hw::board::engine`: [`CrewBoardTop`] and [`DenseBoardTop`] for the XEM7010
//! build, three for the benchmark's configurations), declared by one macro.
//!
//! The endpoint instances and their wiring are generated from the register map's endpoint
//! table (`crew_spec::for_endpoint_table!`). Output endpoints each drive their own ok2
//! bus; they are ORed into okHost's ok2 (what FrontPanel's okWireOR does). Trigger
//! endpoints are clocked by the MIG UI clock, so the bridge sees command pulses and raises
//! events in its own domain.

use crew_hw::board::accelerator::{
    BoardAccelerator, Crew16x512Accelerator, CrewAccelerator, Dense16x512Accelerator,
    Dense4x2048Accelerator, DenseAccelerator,
};
use crew_hw::bridge::{EngineInfo, DEFAULT_WATCHDOG_CYCLES};
use crew_spec::regmap::{self, check_endpoints, EndpointKind, ENDPOINTS};
use rust_hdl::prelude::*;
use rust_hdl_bsp_ok_xem7010::xem7010::mcb_if::MCBInterface4GDDR3;
use rust_hdl_bsp_ok_xem7010::xem7010::mig7::MemoryInterfaceGenerator7Series;
use rust_hdl_bsp_ok_xem7010::xem7010::pins::{
    xem_7010_leds, xem_7010_neg_clock, xem_7010_pos_clock,
};
use rust_hdl_ok_core::core::prelude::*;

fn trigger_out(addr: u8) -> TriggerOut {
    // The BSP's constructor range check is wrong (decimal 60); this one is not.
    assert!(EndpointKind::TriggerOut.range().contains(&addr));
    TriggerOut::new(addr)
}

crew_spec::for_endpoint_table! {
    $ wire_in(wi_const, wi, wi_addr, wi_doc), wire_out(wo_const, wo, wo_addr, wo_doc),
    trigger_in(ti_const, ti, ti_addr, ti_doc), trigger_out(to_const, to, to_addr, to_doc),
    pipe_in(pi_const, pi, pi_addr, pi_doc), pipe_out(po_const, po, po_addr, po_doc) => {
        // One top per board engine: the table's lists are expanded here, the top's and
        // the accelerator's names by `declare_board_top!`.
        macro_rules! declare_board_top {
            ($top:ident, $accelerator:ident) => {
                #[doc = concat!("The XEM7010 design around [`", stringify!($accelerator), "`].")]
                #[derive(LogicBlock)]
                pub struct $top {
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
                    accelerator: $accelerator,
                    $($wi: WireIn,)*
                    $($wo: WireOut,)*
                    $($ti: TriggerIn,)*
                    $($to: TriggerOut,)*
                    $($pi: BTPipeIn,)*
                    $($po: BTPipeOut,)*
                }

                impl $top {
                    /// The top with all ports connected, ready for Verilog generation; the
                    /// identity wires report `engine` (of this top's engine kind).
                    pub fn new(engine: EngineInfo) -> $top {
                        assert_eq!(check_endpoints(ENDPOINTS), Ok(()));
                        let mut top = $top {
                            hi: OpalKellyHostInterface::xem_7010(),
                            mcb: MCBInterface4GDDR3::xem_7010_constrained(),
                            sys_clock_p: xem_7010_pos_clock(),
                            sys_clock_n: xem_7010_neg_clock(),
                            leds: xem_7010_leds(),
                            ok_host: OpalKellyHost::xem_7010(),
                            mig: Default::default(),
                            accelerator: $accelerator::new(engine, DEFAULT_WATCHDOG_CYCLES),
                            $($wi: WireIn::new(regmap::$wi_const),)*
                            $($wo: WireOut::new(regmap::$wo_const),)*
                            $($ti: TriggerIn::new(regmap::$ti_const),)*
                            $($to: trigger_out(regmap::$to_const),)*
                            $($pi: BTPipeIn::new(regmap::$pi_const),)*
                            $($po: BTPipeOut::new(regmap::$po_const),)*
                        };
                        top.hi.link_connect_dest();
                        top.mcb.link_connect_dest();
                        top.sys_clock_p.connect();
                        top.sys_clock_n.connect();
                        top.connect_all();
                        top
                    }
                }

                impl Logic for $top {
                    #[hdl_gen]
                    fn update(&mut self) {
                        OpalKellyHostInterface::link(&mut self.hi, &mut self.ok_host.hi);
                        MCBInterface4GDDR3::link(&mut self.mcb, &mut self.mig.mcb);
                        self.mig.raw_pos_clock.next = self.sys_clock_p.val();
                        self.mig.raw_neg_clock.next = self.sys_clock_n.val();
                        self.mig.reset.next = false;
                        self.accelerator.ti_clk.next = self.ok_host.ti_clk.val();
                        self.accelerator.ui_clk.next = self.mig.clock.val();
                        // ok1 to every endpoint.
                        $(self.$wi.ok1.next = self.ok_host.ok1.val();)*
                        $(self.$wo.ok1.next = self.ok_host.ok1.val();)*
                        $(self.$ti.ok1.next = self.ok_host.ok1.val();)*
                        $(self.$to.ok1.next = self.ok_host.ok1.val();)*
                        $(self.$pi.ok1.next = self.ok_host.ok1.val();)*
                        $(self.$po.ok1.next = self.ok_host.ok1.val();)*
                        // Every output endpoint's ok2, ORed.
                        self.ok_host.ok2.next = $(self.$wo.ok2.val() |)* $(self.$to.ok2.val() |)*
                            $(self.$pi.ok2.val() |)* $(self.$po.ok2.val())|*;
                        // Wires (ti_clk).
                        $(self.accelerator.host.$wi.next = self.$wi.dataout.val();)*
                        $(self.$wo.datain.next = self.accelerator.host.$wo.val();)*
                        // Triggers (UI clock).
                        $(
                            self.$ti.clk.next = self.mig.clock.val();
                            self.accelerator.host.$ti.next = self.$ti.trigger.val();
                        )*
                        $(
                            self.$to.clk.next = self.mig.clock.val();
                            self.$to.trigger.next = self.accelerator.host.$to.val();
                        )*
                        // Pipes (ti_clk).
                        $(
                            self.accelerator.host.$pi.write.next = self.$pi.write.val();
                            self.accelerator.host.$pi.data.next = self.$pi.dataout.val();
                            self.$pi.ready.next = self.accelerator.host.$pi.ready.val();
                        )*
                        $(
                            self.accelerator.host.$po.read.next = self.$po.read.val();
                            self.$po.datain.next = self.accelerator.host.$po.data.val();
                            self.$po.ready.next = self.accelerator.host.$po.ready.val();
                        )*
                        // MIG user interface (UI clock).
                        self.mig.address.next = self.accelerator.dram.address.val();
                        self.mig.command.next = self.accelerator.dram.command.val();
                        self.mig.enable.next = self.accelerator.dram.enable.val();
                        self.mig.write_data_in.next = self.accelerator.dram.write_data_in.val();
                        self.mig.write_data_end.next = self.accelerator.dram.write_data_end.val();
                        self.mig.write_data_mask.next = self.accelerator.dram.write_data_mask.val();
                        self.mig.write_enable.next = self.accelerator.dram.write_enable.val();
                        self.accelerator.dram.read_data_out.next = self.mig.read_data_out.val();
                        self.accelerator.dram.read_data_end.next = self.mig.read_data_end.val();
                        self.accelerator.dram.read_data_valid.next = self.mig.read_data_valid.val();
                        self.accelerator.dram.ready.next = self.mig.ready.val();
                        self.accelerator.dram.write_fifo_not_full.next =
                            self.mig.write_fifo_not_full.val();
                        self.accelerator.dram.calib_done.next = self.mig.calib_done.val();
                        // LEDs are active low.
                        self.leds.next = !self.accelerator.leds.val();
                    }
                }
            };
        }
    }
}

declare_board_top!(CrewBoardTop, CrewAccelerator);
declare_board_top!(DenseBoardTop, DenseAccelerator);
declare_board_top!(Crew16x512BoardTop, Crew16x512Accelerator);
declare_board_top!(Dense4x2048BoardTop, Dense4x2048Accelerator);
declare_board_top!(Dense16x512BoardTop, Dense16x512Accelerator);

/// The engine choice of the board build.
pub use crew_hw::board::engine::BoardEngine;
