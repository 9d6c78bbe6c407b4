//! The accelerator as the simulated board drives it: endpoint inputs in, endpoint and
//! MIG-request outputs out, clocks, settle. Two implementations run the same block (an
//! accelerator of [`crate::board::accelerator`], for any board engine configuration): its
//! generated Verilog compiled by Verilator ([`VerilatorCircuit`]) and rust-hdl's own
//! simulation of it ([`RustHdlCircuit`]).

use crate::board::accelerator::{AcceleratorVisitor, BoardAccelerator};
use crate::board::engine::BoardEngine;
use crate::bridge::endpoints::{WIRE_INS, WIRE_OUTS};
use crate::bridge::HostBridge;
use crate::sim::ddr3_model::{MigRequest, MigResponse};
use crate::sim::harness::MAX_SETTLE_ITERS;
use crate::sim::mig::VerilatedMigMaster;
use crate::sim::schedule::SAMPLE_INPUTS_PORT;
use crate::sim::verilator::{
    BuildOptions, EdgeLoaded, PortIndex, VerilatedLibrary, VerilatedModel, VerilatorError,
};
use rust_hdl::prelude::*;

/// The accelerator's ports at the simulated board's boundary.
pub trait Circuit: Send {
    fn set_wire_in(&mut self, addr: u8, value: u16);
    fn wire_out(&self, addr: u8) -> u16;
    fn set_pipe_in(&mut self, write: bool, data: u16);
    fn set_pipe_out_read(&mut self, read: bool);
    fn pipe_in_ready(&self) -> bool;
    fn pipe_out_ready(&self) -> bool;
    fn pipe_out_data(&self) -> u16;
    fn set_trigger_in(&mut self, value: u16);
    fn trigger_out(&self) -> u16;
    fn leds(&self) -> u8;
    /// What the accelerator drives on the MIG user interface.
    fn mig_request(&self) -> MigRequest;
    /// Sets the MIG response: seen before the next edge, or, with `at_next_ui_edge`,
    /// from the next rising UI edge on (only where [`Circuit::latches_mig_response`]).
    fn set_mig_response(&mut self, response: &MigResponse, at_next_ui_edge: bool);
    /// Whether the MIG response can be set before a UI edge to take effect at it, as the
    /// MIG's registered outputs change: the DDR3 model then clocks before the edge's
    /// evaluation, which saves a combinational pass per UI cycle.
    fn latches_mig_response(&self) -> bool {
        false
    }
    fn set_clocks(&mut self, ui_clk: bool, ti_clk: bool);
    /// Propagates the inputs set since the last call; false if the design did not settle.
    fn settle(&mut self) -> bool;
    /// Whether inputs changed together with a rising clock are propagated before the
    /// edge is evaluated (Verilator evaluates logic fed by top-level inputs before the
    /// clocked blocks of the same `eval`); rust-hdl needs a settle in between.
    fn propagates_inputs_before_edges(&self) -> bool {
        false
    }
    /// Writes the traced signals at `time_ps`, when a trace is open.
    fn trace_dump(&mut self, _time_ps: u64) {}
    /// The rust-hdl model's host bridge, for co-simulation hooks (None for compiled
    /// backends).
    fn rust_hdl_bridge(&self) -> Option<&HostBridge> {
        None
    }
}

/// rust-hdl's `simulate()` on the accelerator block `A`.
pub struct RustHdlCircuit<A: BoardAccelerator> {
    core: Box<A>,
}

/// rust-hdl's simulation of the accelerator holding `engine`.
pub fn rust_hdl_circuit(engine: BoardEngine, watchdog_cycles: u32) -> Box<dyn Circuit> {
    struct New {
        watchdog_cycles: u32,
    }
    impl AcceleratorVisitor for New {
        type Output = Box<dyn Circuit>;
        fn visit<A: BoardAccelerator>(self) -> Box<dyn Circuit> {
            Box::new(RustHdlCircuit::<A>::new(self.watchdog_cycles))
        }
    }
    engine.visit(New { watchdog_cycles })
}

impl<A: BoardAccelerator> RustHdlCircuit<A> {
    pub fn new(watchdog_cycles: u32) -> RustHdlCircuit<A> {
        let mut core = Box::new(A::new(A::ENGINE.info(), watchdog_cycles));
        core.ti_clk().connect();
        core.ui_clk().connect();
        core.host_mut().connect_inputs();
        let d = core.dram_mut();
        d.read_data_out.connect();
        d.read_data_end.connect();
        d.read_data_valid.connect();
        d.ready.connect();
        d.write_fifo_not_full.connect();
        d.calib_done.connect();
        core.connect_all();
        RustHdlCircuit { core }
    }
}

impl<A: BoardAccelerator> Circuit for RustHdlCircuit<A> {
    fn set_wire_in(&mut self, addr: u8, value: u16) {
        if let Some(s) = self.core.host_mut().wire_in_mut(addr) {
            s.next = (value as u64).into();
        }
    }
    fn wire_out(&self, addr: u8) -> u16 {
        self.core
            .host()
            .wire_out(addr)
            .map_or(0, |s| s.val().index() as u16)
    }
    fn set_pipe_in(&mut self, write: bool, data: u16) {
        let p = &mut self.core.host_mut().pipe_in_dram;
        p.write.next = write;
        p.data.next = (data as u64).into();
    }
    fn set_pipe_out_read(&mut self, read: bool) {
        self.core.host_mut().pipe_out_dram.read.next = read;
    }
    fn pipe_in_ready(&self) -> bool {
        self.core.host().pipe_in_dram.ready.val()
    }
    fn pipe_out_ready(&self) -> bool {
        self.core.host().pipe_out_dram.ready.val()
    }
    fn pipe_out_data(&self) -> u16 {
        self.core.host().pipe_out_dram.data.val().index() as u16
    }
    fn set_trigger_in(&mut self, value: u16) {
        self.core.host_mut().trigger_in_command.next = (value as u64).into();
    }
    fn trigger_out(&self) -> u16 {
        self.core.host().trigger_out_events.val().index() as u16
    }
    fn leds(&self) -> u8 {
        self.core.leds().val().index() as u8
    }
    fn mig_request(&self) -> MigRequest {
        let m = self.core.dram();
        MigRequest {
            address: m.address.val().index() as u32,
            command: m.command.val().index() as u8,
            enable: m.enable.val(),
            write_data: m.write_data_in.val().to_u128(),
            write_data_end: m.write_data_end.val(),
            write_data_mask: m.write_data_mask.val().index() as u16,
            write_enable: m.write_enable.val(),
        }
    }
    fn set_mig_response(&mut self, r: &MigResponse, _at_next_ui_edge: bool) {
        let m = self.core.dram_mut();
        m.read_data_out.next = r.read_data.to_bits();
        m.read_data_end.next = r.read_data_end;
        m.read_data_valid.next = r.read_data_valid;
        m.ready.next = r.ready;
        m.write_fifo_not_full.next = r.write_fifo_not_full;
        m.calib_done.next = r.calib_done;
    }
    fn set_clocks(&mut self, ui_clk: bool, ti_clk: bool) {
        self.core.ui_clk().next = Clock { clk: ui_clk };
        self.core.ti_clk().next = Clock { clk: ti_clk };
    }
    fn settle(&mut self) -> bool {
        simulate(&mut *self.core, MAX_SETTLE_ITERS)
    }
    fn rust_hdl_bridge(&self) -> Option<&HostBridge> {
        Some(self.core.bridge())
    }
}

/// Port indices of a compiled accelerator, looked up once by Verilog name (the same for
/// either engine).
struct Ports {
    ti_clk: PortIndex,
    ui_clk: PortIndex,
    wire_ins: [Option<PortIndex>; 32],
    wire_outs: [Option<PortIndex>; 32],
    pipe_in_write: PortIndex,
    pipe_in_data: PortIndex,
    pipe_in_ready: PortIndex,
    pipe_out_read: PortIndex,
    pipe_out_data: PortIndex,
    pipe_out_ready: PortIndex,
    trigger_in: PortIndex,
    trigger_out: PortIndex,
    leds: PortIndex,
    dram: VerilatedMigMaster,
    sample_inputs: PortIndex,
}

impl Ports {
    fn look_up(lib: &VerilatedLibrary) -> Result<Ports, VerilatorError> {
        let p = |name: &str| lib.port(name);
        let mut wire_ins = [None; 32];
        for &(addr, name) in WIRE_INS {
            wire_ins[addr as usize] = Some(p(&format!("host${name}"))?);
        }
        let mut wire_outs = [None; 32];
        for &(addr, name) in WIRE_OUTS {
            wire_outs[(addr - 0x20) as usize] = Some(p(&format!("host${name}"))?);
        }
        Ok(Ports {
            ti_clk: p("ti_clk")?,
            ui_clk: p("ui_clk")?,
            wire_ins,
            wire_outs,
            pipe_in_write: p("host$pipe_in_dram$write")?,
            pipe_in_data: p("host$pipe_in_dram$data")?,
            pipe_in_ready: p("host$pipe_in_dram$ready")?,
            pipe_out_read: p("host$pipe_out_dram$read")?,
            pipe_out_data: p("host$pipe_out_dram$data")?,
            pipe_out_ready: p("host$pipe_out_dram$ready")?,
            trigger_in: p("host$trigger_in_command")?,
            trigger_out: p("host$trigger_out_events")?,
            leds: p("leds")?,
            dram: VerilatedMigMaster::look_up(lib, "dram")?,
            sample_inputs: p(SAMPLE_INPUTS_PORT)?,
        })
    }
}

/// An accelerator's generated Verilog, compiled by Verilator with its inputs sampled
/// (`BuildOptions::sample_inputs`): inputs changed since the last evaluation are passed to
/// the design by a pulse of the sample input, before any clock moves.
pub struct VerilatorCircuit {
    model: VerilatedModel,
    ports: Ports,
    /// Inputs were set since they were last sampled.
    inputs_pending: bool,
    /// The sample input is high (the last evaluation was a sample pulse).
    sample_high: bool,
}

impl VerilatorCircuit {
    /// Instantiates a compiled accelerator (see [`VerilatorCircuit::library`]).
    pub fn new(library: &VerilatedLibrary) -> Result<VerilatorCircuit, VerilatorError> {
        let ports = Ports::look_up(library)?;
        Ok(VerilatorCircuit {
            model: library.instantiate(),
            ports,
            inputs_pending: false,
            sample_high: false,
        })
    }

    /// The compiled accelerator holding `engine`, with the transfer watchdog at
    /// `watchdog_cycles`, built from the current rust-hdl source (cached by content hash).
    /// `edit` may change the Verilog first (used to plant a deliberate difference in the
    /// cross-check test).
    pub fn library(
        engine: BoardEngine,
        watchdog_cycles: u32,
        options: BuildOptions,
        edit: Option<&dyn Fn(String) -> String>,
    ) -> Result<VerilatedLibrary, VerilatorError> {
        struct Build<'a> {
            watchdog_cycles: u32,
            options: BuildOptions,
            edit: Option<&'a dyn Fn(String) -> String>,
        }
        impl AcceleratorVisitor for Build<'_> {
            type Output = Result<VerilatedLibrary, VerilatorError>;
            fn visit<A: BoardAccelerator>(self) -> Self::Output {
                let mut core = A::new(A::ENGINE.info(), self.watchdog_cycles);
                core.connect_all();
                let options = BuildOptions {
                    sample_inputs: true,
                    edge_loaded: Some(EdgeLoaded {
                        prefix: "dram$",
                        clock: "ui_clk",
                    }),
                    ..self.options
                };
                VerilatedLibrary::for_block(&core, options, self.edit)
            }
        }
        engine.visit(Build {
            watchdog_cycles,
            options,
            edit,
        })
    }

    /// Evaluates, first passing pending inputs to the design: a sample pulse needs the
    /// sample input low at the evaluation before it.
    fn evaluate(&mut self) {
        if self.inputs_pending {
            if self.sample_high {
                self.model.set(self.ports.sample_inputs, 0);
                self.model.eval();
            }
            self.model.set(self.ports.sample_inputs, 1);
            self.sample_high = true;
            self.inputs_pending = false;
        } else if self.sample_high {
            self.model.set(self.ports.sample_inputs, 0);
            self.sample_high = false;
        }
        self.model.eval();
    }

    fn set_input(&mut self, port: PortIndex, value: u128) {
        self.model.set(port, value);
        self.inputs_pending = true;
    }

    /// Starts a VCD trace (the library must be built with `BuildOptions::trace`).
    pub fn trace_to(&mut self, path: &std::path::Path) -> std::io::Result<()> {
        self.model.trace_to(path)
    }
}

impl Circuit for VerilatorCircuit {
    fn set_wire_in(&mut self, addr: u8, value: u16) {
        if let Some(&Some(p)) = self.ports.wire_ins.get(addr as usize) {
            self.set_input(p, value as u128);
        }
    }
    fn wire_out(&self, addr: u8) -> u16 {
        match addr
            .checked_sub(0x20)
            .and_then(|k| self.ports.wire_outs.get(k as usize))
        {
            Some(Some(p)) => self.model.get(*p) as u16,
            _ => 0,
        }
    }
    fn set_pipe_in(&mut self, write: bool, data: u16) {
        self.set_input(self.ports.pipe_in_write, write as u128);
        self.set_input(self.ports.pipe_in_data, data as u128);
    }
    fn set_pipe_out_read(&mut self, read: bool) {
        self.set_input(self.ports.pipe_out_read, read as u128);
    }
    fn pipe_in_ready(&self) -> bool {
        self.model.get(self.ports.pipe_in_ready) != 0
    }
    fn pipe_out_ready(&self) -> bool {
        self.model.get(self.ports.pipe_out_ready) != 0
    }
    fn pipe_out_data(&self) -> u16 {
        self.model.get(self.ports.pipe_out_data) as u16
    }
    fn set_trigger_in(&mut self, value: u16) {
        self.set_input(self.ports.trigger_in, value as u128);
    }
    fn trigger_out(&self) -> u16 {
        self.model.get(self.ports.trigger_out) as u16
    }
    fn leds(&self) -> u8 {
        self.model.get(self.ports.leds) as u8
    }
    fn mig_request(&self) -> MigRequest {
        self.ports.dram.request(&self.model)
    }
    fn set_mig_response(&mut self, r: &MigResponse, at_next_ui_edge: bool) {
        self.ports.dram.respond(&mut self.model, r);
        self.inputs_pending |= !at_next_ui_edge;
    }
    fn latches_mig_response(&self) -> bool {
        true
    }
    fn set_clocks(&mut self, ui_clk: bool, ti_clk: bool) {
        // Inputs changed before an edge reach the design before it.
        if self.inputs_pending {
            self.evaluate();
        }
        self.model.set(self.ports.ui_clk, ui_clk as u128);
        self.model.set(self.ports.ti_clk, ti_clk as u128);
    }
    fn settle(&mut self) -> bool {
        self.evaluate();
        true
    }
    fn propagates_inputs_before_edges(&self) -> bool {
        true
    }
    fn trace_dump(&mut self, time_ps: u64) {
        self.model.trace_dump(time_ps);
    }
}
