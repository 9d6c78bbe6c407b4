//! The cell unit against `numerics::Luts::gru_cell` / `lstm_cell`: one pass over H units
//! with the gate values written as the epilogue writes them.

use super::CellUnit;
use crate::sim::harness::SimHarness;
use crew_spec::numerics::Luts;
use rust_hdl::prelude::*;

/// Runs one cell pass over `hid` units with the given gates; returns the pushed words.
fn run_cell(lstm: bool, gx: &[Vec<i32>], gh: &[Vec<i32>], h: &[i8], c: &[i32]) -> Vec<(u32, u128)> {
    let hid = h.len();
    let mut sim = SimHarness::new(CellUnit::default()).unwrap();
    let u = &mut sim.uut;
    u.lstm.next = lstm;
    u.hidden.next = (hid as u32).to_bits();
    u.run_start.next = true;
    u.out_addr.next = 1000u32.to_bits();
    u.state_addr.next = 2000u32.to_bits();
    u.wr_room.next = true;
    sim.tick().unwrap();
    sim.uut.run_start.next = false;
    for (pass, gates) in [gx, gh].iter().enumerate() {
        for (g, values) in gates.iter().enumerate() {
            for (j, &v) in values.iter().enumerate() {
                let u = &mut sim.uut;
                u.gw_en.next = true;
                u.gw_pass.next = pass == 1;
                u.gw_gate.next = (g as u32).to_bits();
                u.gw_unit.next = (j as u32).to_bits();
                u.gw_value.next = (v as u32).to_bits();
                sim.tick().unwrap();
            }
        }
    }
    sim.uut.gw_en.next = false;
    sim.uut.start.next = true;
    sim.uut.last_step.next = true;
    sim.tick().unwrap();
    sim.uut.start.next = false;
    let mut pushed = vec![];
    let mut hbuf = vec![0u128; 32];
    let mut cbuf = vec![0u128; 128];
    for (j, &v) in h.iter().enumerate() {
        hbuf[j / 16] |= (v as u8 as u128) << (8 * (j % 16));
    }
    for (j, &v) in c.iter().enumerate() {
        cbuf[j / 4] |= (v as u32 as u128) << (32 * (j % 4));
    }
    for _ in 0..20 * hid + 100 {
        let u = &mut sim.uut;
        u.h_rd_data.next = hbuf[u.h_rd_addr.val().index()].to_bits();
        u.c_rd_data.next = cbuf[u.c_rd_addr.val().index()].to_bits();
        sim.tick().unwrap();
        let u = &sim.uut;
        if u.wr_push.val() {
            pushed.push((u.wr_addr.val().index() as u32, u.wr_data.val().to_u128()));
        }
        if u.h_wr_en.val() {
            hbuf[u.h_wr_addr.val().index()] = u.h_wr_data.val().to_u128();
        }
        if u.c_wr_en.val() {
            cbuf[u.c_wr_addr.val().index()] = u.c_wr_data.val().to_u128();
        }
        if !u.busy.val() {
            break;
        }
    }
    pushed
}

#[test]
fn gru_cell_matches_numerics() {
    let luts = Luts::default();
    let hid = 19;
    let g = |k: i32| -> Vec<i32> {
        (0..hid as i32)
            .map(|j| (j * 7919 + k * 104_729) % 60_000 - 30_000)
            .collect()
    };
    let gx = vec![g(1), g(2), g(3)];
    let gh = vec![g(4), g(5), g(6)];
    let h: Vec<i8> = (0..hid)
        .map(|j| (j as i32 * 37 % 256 - 128) as i8)
        .collect();
    let pushed = run_cell(false, &gx, &gh, &h, &[]);
    let expect: Vec<i8> = (0..hid)
        .map(|j| {
            luts.gru_cell(
                [gx[0][j], gx[1][j], gx[2][j]],
                [gh[0][j], gh[1][j], gh[2][j]],
                h[j],
            )
        })
        .collect();
    let out: Vec<i8> = pushed
        .iter()
        .filter(|(a, _)| *a >= 1000 && *a < 2000)
        .flat_map(|(_, w)| w.to_le_bytes())
        .take(hid)
        .map(|b| b as i8)
        .collect();
    assert_eq!(out, expect);
}

#[test]
fn lstm_cell_matches_numerics_and_writes_state() {
    let luts = Luts::default();
    let hid = 9;
    let g = |k: i32| -> Vec<i32> {
        (0..hid as i32)
            .map(|j| (j * 7919 + k * 104_729) % 50_000 - 25_000)
            .collect()
    };
    let gx = vec![g(1), g(2), g(3), g(4)];
    let gh = vec![g(5), g(6), g(7), g(8)];
    let h = vec![0i8; hid];
    let c: Vec<i32> = (0..hid as i32).map(|j| (j - 4) * 900_000).collect();
    let pushed = run_cell(true, &gx, &gh, &h, &c);
    let expect: Vec<(i8, i32)> = (0..hid)
        .map(|j| {
            luts.lstm_cell(
                [gx[0][j], gx[1][j], gx[2][j], gx[3][j]],
                [gh[0][j], gh[1][j], gh[2][j], gh[3][j]],
                c[j],
            )
        })
        .collect();
    let bytes: Vec<u8> = pushed
        .iter()
        .filter(|(a, _)| *a >= 1000 && *a < 2000)
        .flat_map(|(_, w)| w.to_le_bytes())
        .collect();
    let out_h: Vec<i8> = bytes.iter().take(hid).map(|&b| b as i8).collect();
    let c_words: Vec<u128> = pushed
        .iter()
        .filter(|(a, _)| *a >= 2001)
        .map(|(_, w)| *w)
        .collect();
    let out_c: Vec<i32> = (0..hid)
        .map(|j| (c_words[j / 4] >> (32 * (j % 4))) as u32 as i32)
        .collect();
    assert_eq!(out_h, expect.iter().map(|e| e.0).collect::<Vec<_>>());
    assert_eq!(out_c, expect.iter().map(|e| e.1).collect::<Vec<_>>());
    // Saturation of c is exercised (|c| grows past 2^24 for some units).
    assert!(c.iter().any(|&v| v.abs() > 3_000_000));
}
