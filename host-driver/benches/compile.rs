//! Compile-time benchmark: a 4096 x 4096 Linear layer (random Gaussian-like weights) through
//! quantization, the CREW transform, record encoding and package validation.
//! Run: `cargo bench -p crew-host --bench compile`. Prints figures; no timing assertions.

use std::time::Instant;

use crew_host::compiler::crew::CrewMatrix;
use crew_host::compiler::quant;
use crew_host::compiler::{compile, CompileOptions};
use crew_host::model::checkpoint::Tensor;
use crew_host::model::{Granularity, IndexWidth, Kind, Layer, Model, QuantSettings};
use crew_host::Package;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() {
    let n = 4096;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    // Sum of uniforms: a bell-shaped weight distribution like trained layers.
    let data: Vec<f32> = (0..n * n)
        .map(|_| (0..4).map(|_| rng.gen_range(-0.5f32..0.5)).sum::<f32>() * 0.05)
        .collect();
    let bias: Vec<f32> = (0..n).map(|_| rng.gen_range(-0.1f32..0.1)).collect();
    let model = Model {
        name: "bench".into(),
        source: "bench".into(),
        layers: vec![Layer {
            name: "fc".into(),
            kind: Kind::Linear,
            n_in: n,
            n_hidden: n,
            weights: vec![Tensor::new(vec![n, n], data)],
            biases: vec![bias],
            input: None,
            quant: QuantSettings::default(),
        }],
        embeddings: Vec::new(),
        decoding: None,
    };
    // Stage breakdown (one run).
    let w = &model.layers[0].weights[0];
    let t = Instant::now();
    let scales = quant::weight_scales(w, Granularity::PerTensor);
    let q = quant::quantize_weights(w, &scales);
    let t_quant = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let m = CrewMatrix::from_int8(&q, n, n, IndexWidth::PerColumn);
    let t_crew = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let records = m.records();
    let t_records = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let image = crew_spec::image::words_to_bytes(&records);
    let t_bytes = t.elapsed().as_secs_f64();
    println!(
        "stages: quantize {t_quant:.3} s, CREW tables+indices {t_crew:.3} s, records {t_records:.3} s, \
         image bytes {t_bytes:.3} s ({} bytes)",
        image.len()
    );
    let runs = 5;
    let mut times = Vec::new();
    let mut package = None;
    for _ in 0..runs {
        let start = Instant::now();
        package = Some(compile(&model, &CompileOptions::default(), &mut |_| {}).unwrap());
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let package = package.unwrap();
    let bytes = package.to_bytes();
    let start = Instant::now();
    let back = Package::from_bytes(&bytes, "bench.crew".as_ref()).unwrap();
    let load = start.elapsed().as_secs_f64();
    assert_eq!(back.container, package.container);
    let stats = crew_host::compiler::inspect::inspect(&package).unwrap();
    println!(
        "compile 4096x4096 Linear: median {:.3} s, best {:.3} s over {runs} runs",
        times[runs / 2],
        times[0]
    );
    println!(
        "package: {} bytes ({:.2}x int8 dense), read + validate {:.3} s, unique per input mean {:.1} max {}",
        bytes.len(),
        (n * n) as f64 / package.container.image.len() as f64,
        load,
        stats[0].unique_mean,
        stats[0].unique_max
    );
}
