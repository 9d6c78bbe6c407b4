//! Every broken input gives a clear error naming the file and the part at fault.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use crew_host::compiler::{compile, CompileOptions};
use crew_host::model::{Model, QuantSettings};
use crew_host::{Error, ErrorClass, Package};

fn g2p_package(dir: &Path) -> (PathBuf, Vec<u8>) {
    let model = Model::from_description(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/g2p_en"),
    )
    .unwrap();
    let path = dir.join("g2p.crew");
    compile(&model, &CompileOptions::default(), &mut |_| {})
        .unwrap()
        .write(&path)
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

fn read_err(path: &Path, bytes: &[u8]) -> String {
    std::fs::write(path, bytes).unwrap();
    let e = Package::read(path).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Model, "{e}");
    let msg = e.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    msg
}

/// Offset of the section with `id` (reads the section table).
fn section_offset(bytes: &[u8], id: u16) -> usize {
    let count = u16::from_le_bytes([bytes[12], bytes[13]]) as usize;
    (0..count)
        .map(|k| 24 + 24 * k)
        .find(|&e| u16::from_le_bytes([bytes[e], bytes[e + 1]]) == id)
        .map(|e| u64::from_le_bytes(bytes[e + 8..e + 16].try_into().unwrap()) as usize)
        .unwrap()
}

#[test]
fn corrupt_truncated_and_unknown_version_packages_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (path, good) = g2p_package(dir.path());
    let bad_path = dir.path().join("bad.crew");
    assert!(Package::read(&path).is_ok());

    let mut corrupt = good.clone();
    let image = section_offset(&good, 3);
    corrupt[image + 1000] ^= 0x01;
    let msg = read_err(&bad_path, &corrupt);
    assert!(
        msg.contains("section image") && msg.contains("CRC32"),
        "{msg}"
    );

    let mut corrupt_model = good.clone();
    corrupt_model[section_offset(&good, 1) + 5] ^= 0x20;
    let msg = read_err(&bad_path, &corrupt_model);
    assert!(
        msg.contains("section model") && msg.contains("CRC32"),
        "{msg}"
    );

    let mut corrupt_header = good.clone();
    corrupt_header[16] ^= 0x01; // load address
    let msg = read_err(&bad_path, &corrupt_header);
    assert!(msg.contains("header CRC32"), "{msg}");

    let msg = read_err(&bad_path, &good[..good.len() / 2]);
    assert!(msg.contains("runs past the end of the file"), "{msg}");
    let msg = read_err(&bad_path, &good[..30]);
    assert!(
        msg.contains("truncated") && msg.contains("section table"),
        "{msg}"
    );
    let msg = read_err(&bad_path, &good[..3]);
    assert!(msg.contains("truncated") && msg.contains("header"), "{msg}");

    let mut v9 = good.clone();
    v9[8] = 9;
    let msg = read_err(&bad_path, &v9);
    assert!(msg.contains("format_version is 9"), "{msg}");

    let mut img_v = good.clone();
    img_v[10] = 7;
    let msg = read_err(&bad_path, &img_v);
    assert!(msg.contains("image_format_version is 7"), "{msg}");

    let msg = read_err(
        &bad_path,
        b"PK\x03\x04 not a package at all, just some zip-like bytes",
    );
    assert!(msg.contains("not a CREW package"), "{msg}");
}

#[test]
fn a_consistent_but_wrong_descriptor_is_rejected() {
    // Rewrite a record header inside the image and fix the CRCs: the structural check
    // must still catch it.
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = g2p_package(dir.path());
    let mut p = Package::read(&path).unwrap();
    let d = p.descriptor(0).unwrap();
    // Pass 1 (the h pass): the encoder's x pass is folded and has no records.
    let at = (d.passes[1].records_addr - p.container.load_addr) as usize * 16;
    p.container.image[at + 1] = 9; // b_0 = 9 > 8
    let bad = dir.path().join("bad.crew");
    std::fs::write(&bad, p.container.to_bytes()).unwrap();
    let msg = Package::read(&bad).unwrap_err().to_string();
    assert!(
        msg.contains("layer 0") && msg.contains("pass 1 column record 0"),
        "{msg}"
    );
}

fn write_model(dir: &Path, tensors: &Tensors) -> PathBuf {
    let path = dir.join("m.safetensors");
    write_safetensors(&path, tensors);
    path
}

fn load_err(path: &Path, prefix: &str) -> Error {
    let e = Model::from_checkpoint(path, prefix, QuantSettings::default()).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Model);
    assert!(e.to_string().contains(&path.display().to_string()), "{e}");
    e
}

#[test]
fn missing_misshapen_and_non_finite_tensors_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let good = recurrent(&mut rng(1), "rnn", "_l0", 3, 8, 4);

    let path = write_model(dir.path(), &good);
    let msg = load_err(&path, "encoder").to_string();
    assert!(
        msg.contains("encoder.weight_ih_l0") && msg.contains("rnn.weight_hh_l0"),
        "{msg}"
    );

    let mut missing = good.clone();
    missing.remove("rnn.weight_hh_l0");
    let path = write_model(dir.path(), &missing);
    let msg = load_err(&path, "rnn").to_string();
    assert!(msg.contains("tensor rnn.weight_hh_l0 is missing"), "{msg}");

    let mut misshapen = good.clone();
    misshapen.insert("rnn.bias_ih_l0".into(), random(&mut rng(2), &[11], 1.0));
    let path = write_model(dir.path(), &misshapen);
    let msg = load_err(&path, "rnn").to_string();
    assert!(
        msg.contains("rnn.bias_ih_l0 has shape [11], expected [12]"),
        "{msg}"
    );

    let mut wrong_rows = good.clone();
    wrong_rows.insert(
        "rnn.weight_hh_l0".into(),
        random(&mut rng(2), &[10, 4], 1.0),
    );
    let path = write_model(dir.path(), &wrong_rows);
    let msg = load_err(&path, "rnn").to_string();
    assert!(msg.contains("rnn.weight_hh_l0 has shape [10, 4]"), "{msg}");

    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut t = good.clone();
        t.get_mut("rnn.weight_ih_l0").unwrap().1[5] = bad;
        let path = write_model(dir.path(), &t);
        let msg = load_err(&path, "rnn").to_string();
        assert!(
            msg.contains("tensor rnn.weight_ih_l0 element 5 is") && msg.contains("finite"),
            "{msg}"
        );
    }
}

#[test]
fn description_errors_name_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = recurrent(&mut rng(3), "g", "", 3, 6, 5);
    t.insert("emb".into(), random(&mut rng(4), &[10, 6], 1.0));
    write_model(dir.path(), &t);
    let desc = |body: &str| {
        let p = dir.path().join("model.toml");
        std::fs::write(
            &p,
            format!("name = \"t\"\ncheckpoint = \"m.safetensors\"\n{body}"),
        )
        .unwrap();
        p
    };
    let layer = "[[layers]]\nname = \"g\"\nkind = \"gru\"\nweight_ih = \"g.weight_ih\"\nweight_hh = \"g.weight_hh\"\n";
    // Good description compiles.
    let ok = desc(&format!(
        "[[embeddings]]\nname = \"emb\"\n{layer}input = {{ embedding = \"emb\" }}\n"
    ));
    compile(
        &Model::from_description(&ok).unwrap(),
        &CompileOptions::default(),
        &mut |_| {},
    )
    .unwrap();

    let p = desc(&format!("{layer}bias_ih = \"g.nope\"\n"));
    let msg = Model::from_description(&p).unwrap_err().to_string();
    assert!(msg.contains("tensor g.nope is missing"), "{msg}");

    let p = desc(&format!("{layer}input = {{ embedding = \"emb\" }}\n"));
    let msg = Model::from_description(&p).unwrap_err().to_string();
    assert!(
        msg.contains("model.toml") && msg.contains("unknown embedding emb"),
        "{msg}"
    );

    let p = desc(&format!("{layer}colour = \"blue\"\n"));
    let msg = Model::from_description(&p).unwrap_err().to_string();
    assert!(
        msg.contains("model.toml") && msg.contains("colour"),
        "{msg}"
    );

    let p = desc("[[layers]]\nname = \"g\"\nkind = \"gru\"\nweight_ih = \"g.weight_ih\"\n");
    let msg = Model::from_description(&p).unwrap_err().to_string();
    assert!(msg.contains("need `weight_hh`"), "{msg}");
}
