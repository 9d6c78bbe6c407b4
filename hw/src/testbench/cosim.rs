//! Co-simulation against Icarus Verilog: record the ports of a rust-hdl block at every
//! settled state between clock edges of its rust-hdl simulation, replay the recorded inputs
//! on the block's generated Verilog (`generate_verilog`) in iverilog/vvp, and compare the
//! outputs bit for bit, state by state (so cycle counts and every output strobe must agree).
//!
//! A trace is a list of snapshots. Snapshot k holds the block's input and output ports as
//! settled between two edges, and which clocks rise at the edge that follows it. The
//! Verilog testbench applies the inputs of snapshot k, lets them settle, checks nothing
//! itself but writes the outputs, then raises the flagged clocks, lowers all clocks and
//! goes on to snapshot k + 1. Clock ports are not recorded as data.
//!
//! Everything here runs on the test host; the generated module is unchanged except for
//! the optional text mutation used to show that a mismatch is caught.

use crate::sim::ports::probe;
pub use crate::sim::ports::{verilog_of, zero_memories, Port};
use rust_hdl::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Errors of a co-simulation run.
#[derive(Debug, thiserror::Error)]
pub enum CosimError {
    #[error(
        "`{tool}` was not found; co-simulation needs Icarus Verilog: run scripts/test.sh \
         (it installs iverilog) or `apt-get install iverilog`"
    )]
    ToolMissing { tool: &'static str },
    #[error("{tool} failed ({status}):\n{output}")]
    ToolFailed {
        tool: &'static str,
        status: String,
        output: String,
    },
    #[error("I/O in the co-simulation directory {dir}: {error}")]
    Io { dir: PathBuf, error: std::io::Error },
    #[error("the Verilog simulation wrote {got} snapshots, the rust-hdl trace has {expected}")]
    Length { expected: usize, got: usize },
    #[error(
        "mismatch at snapshot {snapshot} (of {total}), output `{port}`: \
         rust-hdl {expected}, Verilog {got}"
    )]
    Mismatch {
        snapshot: usize,
        total: usize,
        port: String,
        expected: String,
        got: String,
    },
    #[error("the block has no port named `{0}`")]
    NoSuchPort(String),
}

/// Port-level trace of one block (see the module documentation).
#[derive(Clone, Debug)]
pub struct PortTrace {
    /// Clock inputs, in the order of each snapshot's edge flags.
    pub clocks: Vec<String>,
    pub inputs: Vec<Port>,
    pub outputs: Vec<Port>,
    /// Per snapshot: the clocks rising after it (one flag per clock), the concatenated
    /// input bits and the concatenated output bits (ports in order, MSB first).
    pub snapshots: Vec<(Vec<bool>, String, String)>,
}

impl PortTrace {
    /// An empty trace of `block`'s ports; `clocks` names its clock inputs.
    pub fn new<B: Block>(block: &B, clocks: &[&str]) -> PortTrace {
        let p = probe(block);
        PortTrace {
            clocks: clocks.iter().map(|c| c.to_string()).collect(),
            inputs: p
                .inputs
                .into_iter()
                .map(|(port, _)| port)
                .filter(|port| !clocks.contains(&port.name.as_str()))
                .collect(),
            outputs: p.outputs.into_iter().map(|(port, _)| port).collect(),
            snapshots: Vec::new(),
        }
    }

    /// Records the settled state of `block`; `rising` flags the clocks that rise next.
    pub fn snapshot<B: Block>(&mut self, block: &B, rising: &[bool]) {
        let p = probe(block);
        let inputs: String = p
            .inputs
            .into_iter()
            .filter(|(port, _)| !self.clocks.contains(&port.name))
            .map(|(_, bits)| bits)
            .collect();
        let outputs: String = p.outputs.into_iter().map(|(_, bits)| bits).collect();
        self.snapshots.push((rising.to_vec(), inputs, outputs));
    }

    fn input_bits(&self) -> usize {
        self.inputs.iter().map(|p| p.width).sum()
    }

    fn output_bits(&self) -> usize {
        self.outputs.iter().map(|p| p.width).sum()
    }

    /// Number of snapshots.
    pub fn len(&self) -> usize {
        self.snapshots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.snapshots.is_empty()
    }

    /// The recorded value of output `port` at every snapshot (binary strings).
    pub fn output_values(&self, port: &str) -> Result<Vec<String>, CosimError> {
        let (lo, hi) = field(&self.outputs, port)?;
        Ok(self
            .snapshots
            .iter()
            .map(|(_, _, o)| o[lo..hi].to_string())
            .collect())
    }

    /// A Verilog testbench around module `top` replaying this trace from `stim.mem` and
    /// writing the outputs to `out.txt`, one line per snapshot.
    pub fn testbench(&self) -> String {
        let nc = self.clocks.len();
        let iw = self.input_bits().max(1);
        let ow = self.output_bits().max(1);
        let rw = nc + iw;
        let n = self.snapshots.len();
        let mut tb = String::new();
        let _ = writeln!(tb, "`timescale 1ns/1ps\nmodule cosim_tb;");
        let _ = writeln!(tb, "  reg [{}:0] stim [0:{}];", rw - 1, n.max(1) - 1);
        let _ = writeln!(tb, "  reg [{}:0] row;", rw - 1);
        let _ = writeln!(tb, "  reg [{}:0] clk;", nc.max(1) - 1);
        let _ = writeln!(tb, "  wire [{}:0] in_bits = row[{}:0];", iw - 1, iw - 1);
        let _ = writeln!(tb, "  wire [{}:0] out_bits;", ow - 1);
        let _ = writeln!(tb, "  integer k, f;");
        let mut conns = Vec::new();
        for (c, name) in self.clocks.iter().enumerate() {
            conns.push(format!(".{name}(clk[{c}])"));
        }
        // Ports are concatenated MSB first: the first port holds the highest bits.
        let mut hi = iw;
        for p in &self.inputs {
            conns.push(format!(".{}(in_bits[{}:{}])", p.name, hi - 1, hi - p.width));
            hi -= p.width;
        }
        let mut hi = ow;
        for p in &self.outputs {
            conns.push(format!(
                ".{}(out_bits[{}:{}])",
                p.name,
                hi - 1,
                hi - p.width
            ));
            hi -= p.width;
        }
        let _ = writeln!(tb, "  top dut(\n    {}\n  );", conns.join(",\n    "));
        let _ = writeln!(
            tb,
            "  initial begin\n    $readmemb(\"stim.mem\", stim);\n    f = $fopen(\"out.txt\", \"w\");\n    clk = 0;\n    row = 0;\n    for (k = 0; k < {n}; k = k + 1) begin\n      row = stim[k];\n      #1;\n      $fwrite(f, \"%b\\n\", out_bits);\n      clk = row[{}:{}];\n      #1;\n      clk = 0;\n      #1;\n    end\n    $fclose(f);\n    $finish;\n  end\nendmodule",
            rw - 1,
            iw
        );
        tb
    }

    /// The stimulus file: per snapshot the edge flags (last clock first) then the inputs.
    fn stimulus(&self) -> String {
        let mut s = String::with_capacity(self.snapshots.len() * (self.input_bits() + 8));
        for (rising, inputs, _) in &self.snapshots {
            for r in rising.iter().rev() {
                s.push(if *r { '1' } else { '0' });
            }
            if inputs.is_empty() {
                s.push('0');
            }
            s.push_str(inputs);
            s.push('\n');
        }
        s
    }

    /// Compares per-snapshot Verilog outputs with the recorded ones.
    pub fn compare(&self, verilog_outputs: &[String]) -> Result<(), CosimError> {
        if verilog_outputs.len() != self.snapshots.len() {
            return Err(CosimError::Length {
                expected: self.snapshots.len(),
                got: verilog_outputs.len(),
            });
        }
        for (k, ((_, _, expected), got)) in self.snapshots.iter().zip(verilog_outputs).enumerate() {
            if expected == got {
                continue;
            }
            let mut lo = 0;
            for p in &self.outputs {
                let (e, g) = (&expected[lo..lo + p.width], got.get(lo..lo + p.width));
                if Some(e) != g {
                    return Err(CosimError::Mismatch {
                        snapshot: k,
                        total: self.snapshots.len(),
                        port: p.name.clone(),
                        expected: show_bits(e),
                        got: g.map_or("(missing)".into(), show_bits),
                    });
                }
                lo += p.width;
            }
            return Err(CosimError::Length {
                expected: expected.len(),
                got: got.len(),
            });
        }
        Ok(())
    }
}

fn field(ports: &[Port], name: &str) -> Result<(usize, usize), CosimError> {
    let mut lo = 0;
    for p in ports {
        if p.name == name {
            return Ok((lo, lo + p.width));
        }
        lo += p.width;
    }
    Err(CosimError::NoSuchPort(name.to_string()))
}

/// A binary string as hex when it holds only 0/1, as is otherwise (x/z bits).
fn show_bits(bits: &str) -> String {
    if bits.chars().all(|c| c == '0' || c == '1') && bits.len() <= 128 {
        format!("0x{:x}", u128::from_str_radix(bits, 2).unwrap_or(0))
    } else {
        format!("0b{bits}")
    }
}

/// Replaces the `occurrence`-th (0-based) appearance of `from` by `to` in Verilog text;
/// None when there are not that many. Used to plant a deliberate RTL bug.
pub fn mutate(verilog: &str, from: &str, to: &str, occurrence: usize) -> Option<String> {
    let (at, _) = verilog.match_indices(from).nth(occurrence)?;
    Some(format!(
        "{}{}{}",
        &verilog[..at],
        to,
        &verilog[at + from.len()..]
    ))
}

fn tool(name: &'static str) -> Result<PathBuf, CosimError> {
    let paths = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(CosimError::ToolMissing { tool: name })
}

fn run_tool(tool_name: &'static str, cmd: &mut Command) -> Result<(), CosimError> {
    let out = cmd.output().map_err(|error| CosimError::Io {
        dir: PathBuf::from("."),
        error,
    })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() || text.contains("ERROR") {
        return Err(CosimError::ToolFailed {
            tool: tool_name,
            status: out.status.to_string(),
            output: text.chars().take(4000).collect(),
        });
    }
    Ok(())
}

/// Simulates `verilog` (defining module `top`) in Icarus Verilog with the trace's inputs, in
/// directory `dir` (created; files: dut.v, tb.v, stim.mem, out.txt), and returns the
/// output bits per snapshot.
pub fn run_iverilog(
    verilog: &str,
    trace: &PortTrace,
    dir: &Path,
) -> Result<Vec<String>, CosimError> {
    let iverilog = tool("iverilog")?;
    let vvp = tool("vvp")?;
    let io = |error| CosimError::Io {
        dir: dir.to_path_buf(),
        error,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::write(dir.join("dut.v"), verilog).map_err(io)?;
    std::fs::write(dir.join("tb.v"), trace.testbench()).map_err(io)?;
    std::fs::write(dir.join("stim.mem"), trace.stimulus()).map_err(io)?;
    let _ = std::fs::remove_file(dir.join("out.txt"));
    run_tool(
        "iverilog",
        Command::new(iverilog).current_dir(dir).args([
            "-g2001-noconfig",
            "-s",
            "cosim_tb",
            "-o",
            "sim.vvp",
            "tb.v",
            "dut.v",
        ]),
    )?;
    run_tool(
        "vvp",
        Command::new(vvp).current_dir(dir).args(["-n", "sim.vvp"]),
    )?;
    let out = std::fs::read_to_string(dir.join("out.txt")).map_err(io)?;
    Ok(out.lines().map(|l| l.trim().to_string()).collect())
}

/// [`run_iverilog`] then [`PortTrace::compare`].
pub fn cosimulate(verilog: &str, trace: &PortTrace, dir: &Path) -> Result<(), CosimError> {
    let outputs = run_iverilog(verilog, trace, dir)?;
    trace.compare(&outputs)
}
