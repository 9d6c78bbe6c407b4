//! Whether a model fits an engine configuration (`crew_spec::engine`: input buffer,
//! cell unit and accumulator limits), checked before anything is streamed to a device,
//! and whether its CREW form is worth it (larger than the int8 form: the dense engine
//! serves it better).

use crew_spec::engine::{EngineConfig, LayerMisfit, LayerShape};

use crate::compiler::inspect::PassStats;
use crate::compiler::package::LayerInfo;

/// The shape of a compiled layer, as the engine limits see it.
pub fn layer_shape(layer: &LayerInfo) -> LayerShape {
    LayerShape::new(layer.kind.spec(), layer.n_in, layer.n_hidden)
}

/// Every layer that does not fit `engine`, in layer order.
pub fn misfits(layers: &[LayerInfo], engine: &EngineConfig) -> Vec<LayerMisfit> {
    layers
        .iter()
        .enumerate()
        .filter_map(|(index, layer)| engine.misfit(&layer.name, index, &layer_shape(layer)))
        .collect()
}

/// The first layer that does not fit `engine`, as an error.
pub fn check(layers: &[LayerInfo], engine: &EngineConfig) -> Result<(), LayerMisfit> {
    match misfits(layers, engine).into_iter().next() {
        Some(m) => Err(m),
        None => Ok(()),
    }
}

/// A layer whose CREW form is larger than its int8 form.
#[derive(Debug, Clone, PartialEq)]
pub struct LargerThanInt8 {
    pub layer: String,
    pub crew_bytes: u64,
    pub int8_bytes: u64,
}

impl LargerThanInt8 {
    /// CREW bytes over int8 bytes (> 1).
    pub fn ratio(&self) -> f64 {
        self.crew_bytes as f64 / self.int8_bytes as f64
    }
}

impl std::fmt::Display for LargerThanInt8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "layer {}: its CREW form is {:.2}x its int8 form ({} bytes against {}, {} bytes \
             more): its columns hold many distinct weights (as an untrained layer's do); \
             the dense int8 engine (--engine dense) streams fewer bytes for it",
            self.layer,
            self.ratio(),
            self.crew_bytes,
            self.int8_bytes,
            self.crew_bytes - self.int8_bytes
        )
    }
}

/// The layers (all passes summed) whose CREW form is larger than their int8 form.
pub fn larger_than_int8(stats: &[PassStats]) -> Vec<LargerThanInt8> {
    let mut layers: Vec<LargerThanInt8> = Vec::new();
    for s in stats {
        match layers.last_mut() {
            Some(l) if l.layer == s.layer => {
                l.crew_bytes += s.crew_bytes;
                l.int8_bytes += s.dense_bytes;
            }
            _ => layers.push(LargerThanInt8 {
                layer: s.layer.clone(),
                crew_bytes: s.crew_bytes,
                int8_bytes: s.dense_bytes,
            }),
        }
    }
    layers.retain(|l| l.crew_bytes > l.int8_bytes);
    layers
}
