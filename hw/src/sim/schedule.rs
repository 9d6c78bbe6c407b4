//! Verilog transforms that let Verilator schedule rust-hdl's output well. Both keep the
//! design's behaviour; the cross-check (hw/tests/sim_backends.rs) compares the result
//! with rust-hdl's own simulation after every host call.

use crate::sim::ports::Port;
use crate::sim::verilator::EdgeLoaded;
use std::fmt::Write as _;

/// The input that, on its rising edge, passes the other inputs to the design when the
/// model is built with [`crate::sim::verilator::BuildOptions::sample_inputs`].
pub const SAMPLE_INPUTS_PORT: &str = "crew_sim$sample_inputs";

/// A top module around `top` whose data inputs reach `top` through registers loaded on
/// the rising edge of [`SAMPLE_INPUTS_PORT`]; clocks and outputs pass straight through.
///
/// Why: Verilator re-evaluates all logic fed by a top-level input at every `eval`,
/// changed or not, and rust-hdl's update blocks are a few large `always @(*)` each, so
/// the DRAM response inputs pull nearly the whole design into that set: every clock edge
/// and every falling edge paid a full combinational pass. Behind the registers the
/// logic is evaluated only after an edge that changed something it reads. Equivalent as
/// long as the driver pulses the sample input after changing inputs and before the next
/// clock edge, which `VerilatorCircuit` does. The `edge_loaded` inputs also load on their
/// clock's rising edge: a value set before that edge's evaluation reaches the design just
/// after it, without a pulse (the MIG response, which the MIG itself registers).
pub(crate) fn sampling_wrapper(
    inputs: &[Port],
    outputs: &[Port],
    edge_loaded: Option<EdgeLoaded>,
) -> String {
    let width = |p: &Port| match p.width {
        1 => String::new(),
        w => format!("[{}:0] ", w - 1),
    };
    let mut v = String::new();
    let names: Vec<&str> = inputs
        .iter()
        .chain(outputs)
        .map(|p| p.name.as_str())
        .chain([SAMPLE_INPUTS_PORT])
        .collect();
    let _ = writeln!(v, "module {SAMPLED_TOP}({});", names.join(","));
    let _ = writeln!(v, "    input wire {SAMPLE_INPUTS_PORT};");
    let mut connections = Vec::new();
    let mut loads = String::new();
    let mut edge_loads = String::new();
    for p in inputs {
        let _ = writeln!(v, "    input wire {}{};", width(p), p.name);
        if p.clock {
            connections.push(format!(".{0}({0})", p.name));
        } else {
            let _ = writeln!(v, "    reg {}{}$sampled = 0;", width(p), p.name);
            let at_edge = edge_loaded.is_some_and(|e| p.name.starts_with(e.prefix));
            let to = if at_edge { &mut edge_loads } else { &mut loads };
            let _ = writeln!(to, "        {0}$sampled <= {0};", p.name);
            connections.push(format!(".{0}({0}$sampled)", p.name));
        }
    }
    if let Some(e) = edge_loaded {
        let _ = writeln!(
            v,
            "    always @(posedge {SAMPLE_INPUTS_PORT} or posedge {}) begin\n{edge_loads}    end",
            e.clock
        );
    }
    for p in outputs {
        let _ = writeln!(v, "    output wire {}{};", width(p), p.name);
        connections.push(format!(".{0}({0})", p.name));
    }
    let _ = writeln!(
        v,
        "    always @(posedge {SAMPLE_INPUTS_PORT}) begin\n{loads}    end"
    );
    let _ = writeln!(v, "    top wrapped({});\nendmodule", connections.join(","));
    v
}

/// Marks every register `isolate_assignments`, so Verilator schedules each one's
/// assignments as its own block. rust-hdl writes a module's whole update as one
/// `always @(*)`; two such blocks that read each other's outputs (the engine's core and
/// datapath, a FIFO's read and write logic) form a loop at block level although no signal
/// depends on itself, and Verilator re-runs such loops until they settle (its UNOPTFLAT
/// warning). Only a scheduling hint: the comment means nothing to other tools.
pub(crate) fn isolate_assignments(verilog: &str) -> String {
    let mut out = String::with_capacity(verilog.len() + verilog.len() / 4);
    for line in verilog.lines() {
        let t = line.trim_start();
        match line.strip_suffix(';') {
            Some(decl) if t.starts_with("reg ") || t.starts_with("output reg ") => {
                out.push_str(decl);
                out.push_str(" /*verilator isolate_assignments*/;");
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The top module's name with [`crate::sim::verilator::BuildOptions::sample_inputs`].
pub(crate) const SAMPLED_TOP: &str = "crew_sim_sampled";
