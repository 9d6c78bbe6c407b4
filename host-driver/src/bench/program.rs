//! The sequence-program rows of the benchmark: g2p_en decoded on the XEM7010 build's two
//! board engines (CREW and dense, the same board otherwise) through the driver, as
//! `crew-host infer` does it: one word alone (batch 1) and the 64 dev words as one queue.
//! Device time on the USB 2.0 cost model (docs/usb.md), the engine's share from its cycle
//! counter at 100 MHz, the rest USB; every step of every word compared with the same
//! program on the integer reference.

use crew_hw::board::engine::BoardEngine;

use crate::backend::lockstep::first_difference;
use crate::backend::program::run_by_steps;
use crate::backend::reference::Reference;
use crate::backend::Accelerator;
use crate::compiler::package::Package;
use crate::device::{Device, DeviceConfig};
use crate::error::{BenchError, Result, RunError};
use crate::runner::decode_program;
use crate::transport::sim::{SimBoardConfig, SimTransport, Simulator};
use crate::transport::Transport;

/// The dev words (the float model's phonemes beside them), built into the binary.
const DEV_WORDS: &str = include_str!("../../tests/data/g2p_dev_words.tsv");

/// One engine, one queue.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProgramRow {
    /// The board engine's name (`crew`, `dense`).
    pub engine: &'static str,
    /// Words in the queue (1: batch 1).
    pub words: usize,
    pub device_us_per_word: f64,
    pub engine_us_per_word: f64,
    pub usb_us_per_word: f64,
    pub words_per_second: f64,
    pub bit_exact: bool,
}

fn dev_words() -> Vec<&'static str> {
    DEV_WORDS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('\t').next())
        .collect()
}

/// Batch 1 and the dev-word queue on the XEM7010 build's CREW and dense engines.
pub fn program_rows(package: &Package) -> Result<Vec<ProgramRow>> {
    let queue = dev_words();
    let mut rows = vec![];
    for board in [BoardEngine::Crew, BoardEngine::Dense] {
        let failed = |error| BenchError::Device {
            engine: board.name(),
            doing: "running the g2p sequence program".into(),
            error,
        };
        let config = SimBoardConfig {
            engine: board,
            simulator: Simulator::Verilator,
            ..SimBoardConfig::default()
        };
        let transport = SimTransport::with_board(&[], config).map_err(|error| {
            failed(RunError::Transport {
                on: "simulated XEM7010".into(),
                error,
            })
        })?;
        let config = DeviceConfig {
            engine: Some(board.info()),
            ..DeviceConfig::sim()
        };
        let mut device = Device::open(transport, "sim", config).map_err(failed)?;
        device.load(package).map_err(failed)?;
        let mut reference = Reference::new();
        reference.load(package)?;
        for words in [&queue[..1], &queue[..]] {
            let start = device.transport().device_time();
            let (_, out) = decode_program(&mut device, package, words)?
                .expect("the bundled g2p package has a program");
            let device_us = (device.transport().device_time() - start).as_secs_f64() * 1e6;
            let spec = crate::backend::program::ProgramSpec::of(package)?.expect("a program");
            let sources = words
                .iter()
                .map(|w| crate::runner::source_token_ids(package, w))
                .collect::<Result<Vec<_>>>()?;
            let want = run_by_steps(&mut reference, &spec, &sources)?;
            let bit_exact = out
                .traces
                .iter()
                .zip(&want.traces)
                .all(|(g, w)| first_difference(g, w).is_none());
            let cycles = out.counters.map_or(0, |c| c.cycles as u64);
            let n = words.len() as f64;
            let engine_us = cycles as f64 / 100.0;
            rows.push(ProgramRow {
                engine: board.name(),
                words: words.len(),
                device_us_per_word: device_us / n,
                engine_us_per_word: engine_us / n,
                usb_us_per_word: (device_us - engine_us) / n,
                words_per_second: n / (device_us / 1e6),
                bit_exact,
            });
        }
    }
    Ok(rows)
}
