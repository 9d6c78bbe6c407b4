//! The top-level ports of a rust-hdl block as its generated Verilog names them, and that
//! Verilog as a stand-alone module: what the compiled simulators (Verilator, iverilog)
//! instantiate.

use rust_hdl::prelude::*;
use std::fmt::Write as _;

/// A top-level port of the recorded block, named as in the generated Verilog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub width: usize,
    /// A `Clock` signal.
    pub clock: bool,
}

/// Collects the top-level ports of a block (its own atoms and those of its interfaces,
/// not those of sub-blocks) with their values as binary strings, MSB first.
#[derive(Default)]
pub(crate) struct PortProbe {
    depth: usize,
    namespace: Vec<String>,
    pub(crate) inputs: Vec<(Port, String)>,
    pub(crate) outputs: Vec<(Port, String)>,
}

impl Probe for PortProbe {
    fn visit_start_scope(&mut self, _name: &str, _node: &dyn Block) {
        self.depth += 1;
    }
    fn visit_start_namespace(&mut self, name: &str, _node: &dyn Block) {
        self.namespace.push(name.to_string());
    }
    fn visit_atom(&mut self, name: &str, signal: &dyn Atom) {
        if self.depth != 1 {
            return;
        }
        let mut full = self.namespace.join("$");
        if !full.is_empty() {
            full.push('$');
        }
        full.push_str(name);
        let bits = vcd_bits(signal.vcd());
        let port = Port {
            name: full,
            width: bits.len(),
            clock: signal.descriptor().name == "clock",
        };
        match signal.kind() {
            AtomKind::InputParameter => self.inputs.push((port, bits)),
            AtomKind::OutputParameter => self.outputs.push((port, bits)),
            _ => {}
        }
    }
    fn visit_end_namespace(&mut self, _name: &str, _node: &dyn Block) {
        self.namespace.pop();
    }
    fn visit_end_scope(&mut self, _name: &str, _node: &dyn Block) {
        self.depth -= 1;
    }
}

fn vcd_bits(v: VCDValue) -> String {
    match v {
        VCDValue::Single(b) => b.to_string(),
        VCDValue::Vector(bits) => bits.iter().map(|b| b.to_string()).collect(),
        VCDValue::String(s) => s,
        VCDValue::Composite(parts) => parts.into_iter().map(|p| vcd_bits(*p)).collect(),
    }
}

pub(crate) fn probe<B: Block>(block: &B) -> PortProbe {
    let mut p = PortProbe::default();
    block.accept("top", &mut p);
    p
}

/// The block's input and output ports (its own atoms and its interfaces' atoms), in
/// declaration order.
pub fn top_ports<B: Block>(block: &B) -> (Vec<Port>, Vec<Port>) {
    let p = probe(block);
    (
        p.inputs.into_iter().map(|(port, _)| port).collect(),
        p.outputs.into_iter().map(|(port, _)| port).collect(),
    )
}

/// Generated Verilog of `block` as a top-level module named `top` (its ports not driven by
/// a parent, so the connection check of `generate_verilog` does not apply), with the
/// power-up state of [`zero_memories`]. Call it before simulating: rust-hdl writes a RAM's
/// current simulation contents as its Verilog initial contents.
pub fn verilog_of<B: Block>(block: &B) -> String {
    zero_memories(&generate_verilog_unchecked(block))
}

/// Makes the power-up state of rust-hdl's `RAM` modules what rust-hdl simulates and a
/// Xilinx FPGA configures (all zero: BRAM and LUT RAM INIT default to 0): every memory
/// word not given by an initial block, and the registered read port, start at 0 instead
/// of Verilog's x. The loop goes first in the module's own initial block (or a new one),
/// so given contents still override it in a defined order.
pub fn zero_memories(verilog: &str) -> String {
    let mut out = String::with_capacity(verilog.len() + 1024);
    let mut lines = verilog.lines().peekable();
    let mut k = 0;
    let mut has_read_data = false;
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let t = line.trim();
        if t.starts_with("module ") {
            has_read_data = false;
        }
        if t.starts_with("output reg") && t.ends_with(" read_data;") {
            has_read_data = true;
        }
        let Some(rest) = t.strip_prefix("reg[") else {
            continue;
        };
        let Some(depth) = rest
            .split_once("mem[")
            .and_then(|(_, d)| d.strip_suffix(":0];"))
        else {
            continue;
        };
        while lines.peek().is_some_and(|l| l.trim().is_empty()) {
            lines.next();
        }
        let own_initial = lines.peek().is_some_and(|l| l.trim() == "initial begin");
        if own_initial {
            lines.next();
        }
        let _ = writeln!(out, "integer cosim_zero_{k};\ninitial begin");
        let _ = writeln!(
            out,
            "for (cosim_zero_{k} = 0; cosim_zero_{k} <= {depth}; cosim_zero_{k} = cosim_zero_{k} + 1) mem[cosim_zero_{k}] = 0;"
        );
        if has_read_data {
            let _ = writeln!(out, "read_data = 0;");
        }
        if !own_initial {
            let _ = writeln!(out, "end");
        }
        k += 1;
    }
    out
}
