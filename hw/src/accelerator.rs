//! What the FPGA holds besides the vendor cores: the host bridge and the engine, wired
//! once. The firmware top puts it between okHost's endpoints and the MIG; the simulated
//! board runs the same block (its generated Verilog under Verilator, or rust-hdl's own
//! simulation), so the bitstream and both simulators share this wiring.

#[cfg(doc)]
use crate::board_engine::board_engine_info;
use crate::board_engine::BoardEngine;
use crate::bridge::endpoints::HostEndpoints;
use crate::bridge::{EngineInfo, HostBridge};
use crate::engine::port::EngineControl;
use crate::mig_port::MigMaster;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct Accelerator {
    /// FrontPanel host interface clock (48 MHz).
    pub ti_clk: Signal<In, Clock>,
    /// MIG UI clock (100 MHz); the engine runs on it.
    pub ui_clk: Signal<In, Clock>,
    /// The FrontPanel endpoints.
    pub host: HostEndpoints,
    /// LEDs, active high (UI clock domain).
    pub leds: Signal<Out, Bits<8>>,
    /// The MIG user interface (UI clock domain).
    pub dram: MigMaster,
    pub bridge: HostBridge,
    pub engine: BoardEngine,
}

impl Accelerator {
    /// [`BoardEngine`] behind the bridge, reporting `engine` on the identity wires
    /// (normally [`board_engine_info`]), with the transfer watchdog at `watchdog_cycles`
    /// UI cycles.
    pub fn new(engine: EngineInfo, watchdog_cycles: u32) -> Accelerator {
        Accelerator {
            ti_clk: Default::default(),
            ui_clk: Default::default(),
            host: Default::default(),
            leds: Default::default(),
            dram: Default::default(),
            bridge: HostBridge::new(engine, watchdog_cycles),
            engine: BoardEngine::new(),
        }
    }
}

impl Logic for Accelerator {
    #[hdl_gen]
    fn update(&mut self) {
        self.bridge.ti_clk.next = self.ti_clk.val();
        self.bridge.ui_clk.next = self.ui_clk.val();
        self.engine.clock.next = self.ui_clk.val();
        HostEndpoints::link(&mut self.host, &mut self.bridge.host);
        MigMaster::link(&mut self.dram, &mut self.bridge.dram);
        self.leds.next = self.bridge.leds.val();
        // Engine: run control and counters to the bridge, its DRAM port through the
        // bridge's arbiter.
        EngineControl::join(&mut self.bridge.engine, &mut self.engine.run);
        MigMaster::join(&mut self.engine.dram, &mut self.bridge.engine_dram);
    }
}
