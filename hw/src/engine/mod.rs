//! The accelerator engines. Both are one skeleton with two datapaths: the shared core
//! (`common`: sequencer, issuer, MIG arbiter, router, vector buffers, epilogue, cell unit,
//! counters) and an engine's datapath behind the datapath port (`crew`: record router,
//! table unit, unpacker and gather lanes; `dense`: the MAC lanes). The host bridge talks
//! to either through the run port (`port`).

pub mod common;
pub mod crew;
pub mod dense;
pub mod port;

use crate::mig_port::MigMaster;
use port::EngineRunPort;
use rust_hdl::prelude::*;

/// What boards and testbenches need of an engine: its clock, the run port and the DRAM
/// port.
pub trait Engine: Block + Default {
    fn clock(&mut self) -> &mut Signal<In, Clock>;
    fn run_port(&self) -> &EngineRunPort;
    fn run_port_mut(&mut self) -> &mut EngineRunPort;
    fn dram(&mut self) -> &mut MigMaster;
}

/// Declares an engine top `$name<L, ACC_BITS>`: the shared core and the datapath
/// `$datapath<L, ACC_BITS>` joined by the datapath port, the run and DRAM ports outside.
/// The engine's module adds `new()` (its checks of L, then `assemble(flags)`).
macro_rules! engine_top {
    ($(#[$doc:meta])* $name:ident, $datapath:ident) => {
        $(#[$doc])*
        #[derive(LogicBlock)]
        pub struct $name<const L: usize = 16, const ACC_BITS: usize = 6> {
            /// UI clock (~100 MHz); every port is in this domain.
            pub clock: Signal<In, Clock>,
            /// Run command from the host bridge, status and counters back.
            pub run: $crate::engine::port::EngineRunPort,
            /// MIG user interface, master side (UI clock domain).
            pub dram: $crate::mig_port::MigMaster,
            /// Sequence programs (plain runs pass through to the core).
            program: $crate::engine::common::program::ProgramRunner,
            core: $crate::engine::common::core::EngineCore<L, ACC_BITS>,
            datapath: $datapath<L, ACC_BITS>,
        }

        impl<const L: usize, const ACC_BITS: usize> Default for $name<L, ACC_BITS> {
            fn default() -> Self {
                $name::new()
            }
        }

        impl<const L: usize, const ACC_BITS: usize> $name<L, ACC_BITS> {
            /// The core (reading layers whose flags match `flags`) and the datapath.
            fn assemble(flags: $crate::engine::common::core::LayoutFlags) -> Self {
                assert!(ACC_BITS >= 1 && L << ACC_BITS <= 1 << 16);
                $name {
                    clock: Default::default(),
                    run: Default::default(),
                    dram: Default::default(),
                    program: Default::default(),
                    core: $crate::engine::common::core::EngineCore::new(flags),
                    datapath: Default::default(),
                }
            }
        }

        impl<const L: usize, const ACC_BITS: usize> Logic for $name<L, ACC_BITS> {
            #[hdl_gen]
            fn update(&mut self) {
                self.core.clock.next = self.clock.val();
                self.datapath.clock.next = self.clock.val();
                self.program.clock.next = self.clock.val();
                EngineRunPort::link(&mut self.run, &mut self.program.host);
                $crate::engine::port::CoreControl::join(
                    &mut self.program.core,
                    &mut self.core.run,
                );
                MigMaster::link(&mut self.dram, &mut self.core.dram);
                DatapathControl::join(&mut self.core.datapath, &mut self.datapath.core);
            }
        }

        impl<const L: usize, const ACC_BITS: usize> $crate::engine::Engine for $name<L, ACC_BITS> {
            fn clock(&mut self) -> &mut Signal<In, Clock> {
                &mut self.clock
            }
            fn run_port(&self) -> &$crate::engine::port::EngineRunPort {
                &self.run
            }
            fn run_port_mut(&mut self) -> &mut $crate::engine::port::EngineRunPort {
                &mut self.run
            }
            fn dram(&mut self) -> &mut $crate::mig_port::MigMaster {
                &mut self.dram
            }
        }
    };
}
pub(crate) use engine_top;
