//! The workloads: g2p_en's layers and one layer of each network of the CREW paper's
//! evaluation, and two tiny ones for a smoke test.

use super::*;

/// The benchmark's workloads: g2p_en's two GRUs and one layer of each network of the CREW
/// paper's evaluation (shapes: docs/dense-baseline.md).
pub fn standard_workloads() -> Vec<Workload> {
    use LayerKind::*;
    let syn = |name, kind, n_in, hidden, origin| Workload {
        name,
        kind,
        n_in,
        hidden,
        source: Source::Synthetic,
        origin,
    };
    vec![
        Workload {
            name: "g2p_en encoder",
            kind: Gru,
            n_in: 256,
            hidden: 256,
            source: Source::G2p { layer: "encoder" },
            origin: "models/g2p_en",
        },
        Workload {
            name: "g2p_en decoder",
            kind: Gru,
            n_in: 256,
            hidden: 256,
            source: Source::G2p { layer: "decoder" },
            origin: "models/g2p_en",
        },
        syn(
            "DeepSpeech2 GRU",
            Gru,
            800,
            800,
            "DS2 (deepspeech.pytorch), 800-unit GRU",
        ),
        syn("GNMT LSTM", Lstm, 1024, 1024, "GNMT, 1024-unit LSTM"),
        syn(
            "Transformer FC",
            Fc,
            512,
            2048,
            "Transformer base, FFN 512->2048",
        ),
        syn(
            "Kaldi FC",
            Fc,
            1024,
            1024,
            "Kaldi nnet DNN, 1024-wide affine",
        ),
        syn(
            "PTBLM LSTM",
            Lstm,
            1500,
            1500,
            "PTB LM (Zaremba large), 1500-unit LSTM",
        ),
    ]
}

/// Tiny workloads for a smoke test.
pub fn tiny_workloads() -> Vec<Workload> {
    vec![
        Workload {
            name: "tiny FC",
            kind: LayerKind::Fc,
            n_in: 24,
            hidden: 40,
            source: Source::Synthetic,
            origin: "smoke test",
        },
        Workload {
            name: "tiny GRU",
            kind: LayerKind::Gru,
            n_in: 16,
            hidden: 20,
            source: Source::Synthetic,
            origin: "smoke test",
        },
    ]
}
