//! Hardware-in-the-loop: the driver against a real XEM7010 configured with a CREW
//! bitstream. Runs only when CREW_HIL_SERIAL names an attached board and the FrontPanel
//! library loads; otherwise every test prints why it was skipped and returns.
//! `scripts/hil.sh` runs them.

use std::path::PathBuf;

use crew_host::compiler::{compile, CompileOptions};
use crew_host::device::{Device, DeviceConfig};
use crew_host::lockstep::Lockstep;
use crew_host::model::Model;
use crew_host::runner::{decode_float, decode_integer};
use crew_host::transport::board::{attached_serials, BoardTransport};
use crew_host::Accelerator;
use crew_spec::regmap;

/// The board to test, or the reason there is none.
fn board_serial() -> Result<String, String> {
    let serial =
        std::env::var("CREW_HIL_SERIAL").map_err(|_| "CREW_HIL_SERIAL is not set".to_string())?;
    let attached = attached_serials().map_err(|e| format!("FrontPanel unavailable: {e}"))?;
    if attached.contains(&serial) {
        Ok(serial)
    } else {
        Err(format!(
            "board {serial} is not attached (attached: {attached:?})"
        ))
    }
}

fn open() -> Option<Device<BoardTransport>> {
    match board_serial() {
        Ok(serial) => {
            let t = BoardTransport::open(Some(&serial)).expect("open the board");
            Some(Device::open(t, "board", DeviceConfig::board()).expect("CREW bitstream"))
        }
        Err(why) => {
            eprintln!("skipped (hardware-in-the-loop): {why}");
            None
        }
    }
}

#[test]
fn hil_identity_and_dram_round_trip() {
    let Some(mut device) = open() else { return };
    let id = device.identity();
    assert_eq!(id.design_id, regmap::DESIGN_ID);
    assert_eq!(id.protocol_version, regmap::PROTOCOL_VERSION);
    let data: Vec<u8> = (0..64 * 1024 + 48).map(|i| (i * 7 + 3) as u8).collect();
    device.write_dram(4096, &data, "HIL write").unwrap();
    assert_eq!(
        device.read_dram(4096, data.len() / 16, "HIL read").unwrap(),
        data
    );
}

#[test]
fn hil_g2p_words_are_bit_exact_with_the_reference() {
    let Some(device) = open() else { return };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/g2p_en");
    let model = Model::from_description(&dir).unwrap();
    let package = compile(&model, &CompileOptions::default(), &mut |_| {}).unwrap();
    let mut lockstep = Lockstep::new(device);
    lockstep.load(&package).unwrap();
    for word in ["hello", "world", "accelerator"] {
        let phonemes = decode_integer(&mut lockstep, &package, word).unwrap();
        let stats = lockstep.take_stats();
        assert!(stats.bit_exact(), "{word}: {:?}", stats.first_mismatch);
        eprintln!(
            "{word}: {} ({} cycles; float: {})",
            phonemes.join(" "),
            stats.counters.cycles,
            decode_float(&model, word).unwrap().join(" ")
        );
    }
}
