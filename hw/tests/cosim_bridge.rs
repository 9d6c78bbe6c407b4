//! Co-simulation of the host bridge: the simulated board (bridge + DDR3 model, two clocks)
//! does a DRAM write and a read back through the block pipes while the bridge's ports are
//! recorded before every clock edge (wire-ins, trigger-ins, pipe strobes and data, MIG
//! responses, every output); then the bridge's generated Verilog runs in Icarus Verilog on
//! the recorded inputs and must give the same outputs at every edge.

mod common;

use common::board::arm;
use crew_hw::board::sim_board::{SimBoard, SimBoardConfig, Simulator};
use crew_hw::testbench::cosim::{self, PortTrace};
use crew_spec::regmap::{self, ErrorCode};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

const MAX_WAIT: u64 = 200_000;

fn wait_xfer_done(b: &mut SimBoard) {
    b.wait_trigger_out(
        regmap::TRIGGER_OUT_EVENTS,
        1 << regmap::TRIG_OUT_XFER_DONE,
        MAX_WAIT,
    )
    .unwrap();
    b.update_wire_outs().unwrap();
    let code = b.get_wire_out(regmap::WIRE_OUT_ERROR_CODE).unwrap();
    assert_eq!(ErrorCode::from_u16(code), Some(ErrorCode::None));
}

#[test]
fn dram_write_and_read_verilog_matches_rust_hdl_edge_by_edge() {
    let mut b = SimBoard::new(SimBoardConfig {
        simulator: Simulator::RustHdl,
        ..SimBoardConfig::default()
    })
    .unwrap();
    let bridge = b.bridge().expect("the rust-hdl backend exposes its bridge");
    // Before simulating: rust-hdl writes a RAM's live contents as its initial block.
    let verilog = cosim::verilog_of(bridge);
    let trace = Arc::new(Mutex::new(PortTrace::new(bridge, &["ti_clk", "ui_clk"])));
    let recorder = trace.clone();
    b.set_edge_observer(Some(Box::new(move |bridge, ui, ti| {
        recorder.lock().unwrap().snapshot(bridge, &[ti, ui]);
    })));
    b.wait_calibrated(10_000).unwrap();

    // 40 words (640 bytes): one whole 512-byte block and a 128-byte one; read back padded.
    let addr = 0x1234;
    let data: Vec<u8> = (0..640u32).map(|i| (i * 37 + 11) as u8).collect();
    arm(&mut b, regmap::TRIG_START_DRAM_WRITE, addr, 40);
    assert_eq!(
        b.write_to_block_pipe_in(regmap::PIPE_IN_DRAM, 128, &data)
            .unwrap(),
        data.len()
    );
    wait_xfer_done(&mut b);
    assert_eq!(
        b.dram_read_bytes(addr as u64, 40),
        data,
        "rust-hdl DRAM write"
    );

    arm(&mut b, regmap::TRIG_START_DRAM_READ, addr, 40);
    let mut back = vec![0u8; 1024];
    assert_eq!(
        b.read_from_block_pipe_out(regmap::PIPE_OUT_DRAM, 512, &mut back)
            .unwrap(),
        back.len()
    );
    wait_xfer_done(&mut b);
    assert_eq!(&back[..640], &data[..], "rust-hdl DRAM read");
    b.set_edge_observer(None);

    let trace = trace.lock().unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cosim/bridge");
    let outs = cosim::run_iverilog(&verilog, &trace, &dir).unwrap_or_else(|e| panic!("{e}"));
    trace.compare(&outs).unwrap_or_else(|e| panic!("{e}"));

    // The MIG commands the Verilog bridge issued (enable && ready at a UI edge): 40
    // writes then 40 reads, counted on the Verilog outputs themselves.
    let field = |ports: &[cosim::Port], name: &str| {
        let mut lo = 0;
        for p in ports {
            if p.name == name {
                return lo..lo + p.width;
            }
            lo += p.width;
        }
        panic!("no port {name}");
    };
    let enable = field(&trace.outputs, "dram$enable");
    let command = field(&trace.outputs, "dram$command");
    let ready = field(&trace.inputs, "dram$ready");
    let (mut writes, mut reads) = (0, 0);
    for ((rising, inputs, _), out) in trace.snapshots.iter().zip(&outs) {
        if rising[1] && &out[enable.clone()] == "1" && &inputs[ready.clone()] == "1" {
            match &out[command.clone()] {
                "000" => writes += 1,
                "001" => reads += 1,
                other => panic!("MIG command {other}"),
            }
        }
    }
    assert_eq!(
        (writes, reads),
        (40, 40),
        "MIG commands of the Verilog bridge"
    );
}
