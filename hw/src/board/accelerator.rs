//! What the FPGA holds besides the vendor cores: the host bridge and an engine, wired
//! once. The firmware top puts it between okHost's endpoints and the MIG; the simulated
//! board runs the same block (its generated Verilog under Verilator, or rust-hdl's own
//! simulation), so the bitstream and both simulators share this wiring.
//!
//! One accelerator type per board engine configuration ([`crate::board::engine`]), each
//! declared by one macro line: `#[hdl_gen]` needs the engine's fields, so the engine
//! cannot be a type parameter. [`BoardAccelerator`] is what the simulated board and the
//! firmware top need of any of them.

use crate::board::engine::BoardEngine;
use crate::bridge::endpoints::HostEndpoints;
use crate::bridge::{EngineInfo, HostBridge};
use crate::engine::crew::CrewEngine;
use crate::engine::dense::DenseEngine;
use crate::engine::port::EngineControl;
use crate::mig_port::MigMaster;
use rust_hdl::prelude::*;

/// An accelerator as the simulated board drives it: its boundary signals and the bridge
/// (for co-simulation hooks).
pub trait BoardAccelerator: Block + Send + 'static {
    /// The engine configuration it holds.
    const ENGINE: BoardEngine;
    /// Lanes of its engine.
    const LANES: usize;
    /// log2 of the accumulators per lane.
    const ACC_BITS: usize;
    /// Its engine block.
    type Engine: Block + Default;
    /// The accelerator reporting `engine` on the identity wires (normally
    /// `Self::ENGINE.info()`), with the transfer watchdog at `watchdog_cycles` UI cycles.
    fn new(engine: EngineInfo, watchdog_cycles: u32) -> Self;
    fn ti_clk(&mut self) -> &mut Signal<In, Clock>;
    fn ui_clk(&mut self) -> &mut Signal<In, Clock>;
    fn host(&self) -> &HostEndpoints;
    fn host_mut(&mut self) -> &mut HostEndpoints;
    fn dram(&self) -> &MigMaster;
    fn dram_mut(&mut self) -> &mut MigMaster;
    fn leds(&self) -> &Signal<Out, Bits<8>>;
    fn bridge(&self) -> &HostBridge;
}

/// Something done with the accelerator type of a configuration: [`BoardEngine::visit`]
/// calls `visit` with it (Rust closures cannot be generic over a type).
pub trait AcceleratorVisitor {
    type Output;
    fn visit<A: BoardAccelerator>(self) -> Self::Output;
}

macro_rules! accelerator {
    ($(#[$doc:meta])* $name:ident, $engine:ident, $kind:path) => {
        $(#[$doc])*
        #[derive(LogicBlock)]
        pub struct $name {
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
            pub engine: $engine<{ $kind.config().lanes }, { $kind.config().acc_bits }>,
        }

        impl Logic for $name {
            #[hdl_gen]
            fn update(&mut self) {
                self.bridge.ti_clk.next = self.ti_clk.val();
                self.bridge.ui_clk.next = self.ui_clk.val();
                self.engine.clock.next = self.ui_clk.val();
                HostEndpoints::link(&mut self.host, &mut self.bridge.host);
                MigMaster::link(&mut self.dram, &mut self.bridge.dram);
                self.leds.next = self.bridge.leds.val();
                // Engine: run control and counters to the bridge, its DRAM port through
                // the bridge's arbiter.
                EngineControl::join(&mut self.bridge.engine, &mut self.engine.run);
                MigMaster::join(&mut self.engine.dram, &mut self.bridge.engine_dram);
            }
        }

        impl BoardAccelerator for $name {
            const ENGINE: BoardEngine = $kind;
            const LANES: usize = $kind.config().lanes;
            const ACC_BITS: usize = $kind.config().acc_bits;
            type Engine = $engine<{ $kind.config().lanes }, { $kind.config().acc_bits }>;
            fn new(engine: EngineInfo, watchdog_cycles: u32) -> $name {
                assert_eq!(
                    engine.kind,
                    Self::ENGINE.kind_code(),
                    "the identity wires report the engine the design holds"
                );
                $name {
                    ti_clk: Default::default(),
                    ui_clk: Default::default(),
                    host: Default::default(),
                    leds: Default::default(),
                    dram: Default::default(),
                    bridge: HostBridge::new(engine, watchdog_cycles),
                    engine: Default::default(),
                }
            }
            fn ti_clk(&mut self) -> &mut Signal<In, Clock> {
                &mut self.ti_clk
            }
            fn ui_clk(&mut self) -> &mut Signal<In, Clock> {
                &mut self.ui_clk
            }
            fn host(&self) -> &HostEndpoints {
                &self.host
            }
            fn host_mut(&mut self) -> &mut HostEndpoints {
                &mut self.host
            }
            fn dram(&self) -> &MigMaster {
                &self.dram
            }
            fn dram_mut(&mut self) -> &mut MigMaster {
                &mut self.dram
            }
            fn leds(&self) -> &Signal<Out, Bits<8>> {
                &self.leds
            }
            fn bridge(&self) -> &HostBridge {
                &self.bridge
            }
        }
    };
}

accelerator!(
    /// The host bridge and the XEM7010 build's CREW engine.
    CrewAccelerator,
    CrewEngine,
    BoardEngine::Crew
);

accelerator!(
    /// The host bridge and the XEM7010 build's dense baseline engine.
    DenseAccelerator,
    DenseEngine,
    BoardEngine::Dense
);

accelerator!(
    /// The host bridge and the benchmark's CREW engine.
    Crew16x512Accelerator,
    CrewEngine,
    BoardEngine::Crew16x512
);

accelerator!(
    /// The host bridge and the benchmark's dense baseline with CREW's DSP budget.
    Dense4x2048Accelerator,
    DenseEngine,
    BoardEngine::Dense4x2048
);

accelerator!(
    /// The host bridge and the benchmark's dense baseline with CREW's DRAM rate.
    Dense16x512Accelerator,
    DenseEngine,
    BoardEngine::Dense16x512
);
