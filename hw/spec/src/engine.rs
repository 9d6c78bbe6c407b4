//! The engine contract: what an engine configuration is, declared once. A configuration
//! has a kind (CREW or the dense int8 baseline, [`EngineKind`]), a number of lanes, an
//! accumulator depth per lane, and the input and hidden-size limits of the shared engine
//! skeleton; the identity wire-outs report it ([`EngineInfo`]), and every run reports the
//! same performance counters ([`Counters`], on the wire-outs of [`COUNTER_WIRES`]).
//!
//! The RTL builds its engines and its limits from these values (`crew_hw::board`
//! instantiates each of [`CONFIGURATIONS`]; the input buffer and the cell unit's gate
//! buffers are sized by [`MAX_INPUTS`] and [`MAX_HIDDEN`]); the firmware writes the
//! configuration into the bitstream manifest; the driver checks a package against the
//! configuration a board reports ([`EngineConfig::check_layer`]) before streaming anything;
//! the compiler, the bench and the FrontPanel stand-in read their limits here.
//!
//! Adding a configuration: one entry in [`CONFIGURATIONS`], one variant of
//! `crew_hw::board::engine::BoardEngine` and one accelerator line in
//! `crew_hw::board::accelerator` (rust-hdl needs a concrete type per configuration).

use crate::image::LayerKind;
use crate::regmap;

/// Largest n_in (x vector) of a layer: the engine's input buffer holds this many values.
pub const MAX_INPUTS: usize = 2048;
/// Largest hidden size H of a recurrent layer: the cell unit's gate buffers hold this many
/// units.
pub const MAX_HIDDEN: usize = 512;

/// The kind of an engine: which DRAM image it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngineKind {
    /// CREW: gather-add lanes over per-column unique-weight tables.
    Crew,
    /// The dense int8 (TPU-like) MAC baseline.
    Dense,
}

impl EngineKind {
    /// The code on `regmap::WIRE_OUT_ENGINE_KIND` (`regmap::ENGINE_KIND_*`).
    pub const fn code(self) -> u16 {
        match self {
            EngineKind::Crew => regmap::ENGINE_KIND_CREW,
            EngineKind::Dense => regmap::ENGINE_KIND_DENSE,
        }
    }

    /// The kind a wire code names, `None` for codes no engine reports.
    pub fn from_code(code: u16) -> Option<EngineKind> {
        [EngineKind::Crew, EngineKind::Dense]
            .into_iter()
            .find(|k| k.code() == code)
    }

    /// Manifest and command-line name: `crew`, `dense`.
    pub fn name(self) -> &'static str {
        regmap::engine_kind_name(self.code()).expect("every kind is listed in the register map")
    }
}

/// What the identity wire-outs report about the engine a design holds (and a bitstream
/// manifest names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct EngineInfo {
    /// `regmap::ENGINE_KIND_CREW` or `regmap::ENGINE_KIND_DENSE`.
    pub kind: u16,
    /// Gather-add (or MAC) lanes.
    pub lanes: u16,
    /// Accumulators over all lanes: the largest number of outputs of one pass.
    pub acc_depth: u16,
}

/// One engine configuration a board design can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EngineConfig {
    /// Command-line and manifest name (`crew`, `dense-4x2048`).
    pub name: &'static str,
    pub kind: EngineKind,
    /// Gather-add (CREW) or MAC (dense) lanes.
    pub lanes: usize,
    /// log2 of the accumulators per lane.
    pub acc_bits: usize,
    /// Largest n_in of a layer ([`MAX_INPUTS`]: the skeleton is shared).
    pub max_inputs: usize,
    /// Largest H of a recurrent layer ([`MAX_HIDDEN`]).
    pub max_hidden: usize,
    /// What it is for, in a sentence.
    pub summary: &'static str,
}

/// The XEM7010 build's CREW engine (the default): 16 gather lanes of 64 accumulators.
pub const CREW: EngineConfig = EngineConfig {
    name: "crew",
    kind: EngineKind::Crew,
    lanes: 16,
    acc_bits: 6,
    max_inputs: MAX_INPUTS,
    max_hidden: MAX_HIDDEN,
    summary: "the XEM7010 build's CREW engine",
};

/// The XEM7010 build's dense baseline: 16 MAC lanes of 64 accumulators.
pub const DENSE: EngineConfig = EngineConfig {
    name: "dense",
    kind: EngineKind::Dense,
    lanes: 16,
    acc_bits: 6,
    max_inputs: MAX_INPUTS,
    max_hidden: MAX_HIDDEN,
    summary: "the XEM7010 build's dense int8 baseline",
};

/// The benchmark's CREW engine: 16 gather lanes of 512 accumulators.
pub const CREW_16X512: EngineConfig = EngineConfig {
    name: "crew-16x512",
    kind: EngineKind::Crew,
    lanes: 16,
    acc_bits: 9,
    max_inputs: MAX_INPUTS,
    max_hidden: MAX_HIDDEN,
    summary: "the benchmark's CREW engine",
};

/// The benchmark's dense baseline with CREW's DSP budget (the table unit's 4
/// multipliers): 4 MAC lanes of 2,048 accumulators.
pub const DENSE_4X2048: EngineConfig = EngineConfig {
    name: "dense-4x2048",
    kind: EngineKind::Dense,
    lanes: 4,
    acc_bits: 11,
    max_inputs: MAX_INPUTS,
    max_hidden: MAX_HIDDEN,
    summary: "the benchmark's dense baseline with CREW's DSP budget",
};

/// The benchmark's dense baseline with CREW's DRAM rate: 16 MAC lanes of 512 accumulators.
pub const DENSE_16X512: EngineConfig = EngineConfig {
    name: "dense-16x512",
    kind: EngineKind::Dense,
    lanes: 16,
    acc_bits: 9,
    max_inputs: MAX_INPUTS,
    max_hidden: MAX_HIDDEN,
    summary: "the benchmark's dense baseline with CREW's DRAM rate",
};

/// Every configuration a board design can hold.
pub const CONFIGURATIONS: [EngineConfig; 5] =
    [CREW, DENSE, CREW_16X512, DENSE_4X2048, DENSE_16X512];

impl EngineConfig {
    /// Accumulators over all lanes: the largest number of outputs of one pass.
    pub const fn acc_depth(&self) -> usize {
        self.lanes << self.acc_bits
    }

    /// What the identity wires report for this configuration.
    pub const fn info(&self) -> EngineInfo {
        EngineInfo {
            kind: self.kind.code(),
            lanes: self.lanes as u16,
            acc_depth: self.acc_depth() as u16,
        }
    }

    /// The configuration called `name`.
    pub fn by_name(name: &str) -> Option<&'static EngineConfig> {
        CONFIGURATIONS.iter().find(|c| c.name == name)
    }

    /// The configuration whose identity wires report `info`.
    pub fn by_info(info: EngineInfo) -> Option<&'static EngineConfig> {
        CONFIGURATIONS.iter().find(|c| c.info() == info)
    }

    /// How layer `name` (index `index` in the layer table) does not fit this
    /// configuration, `None` when it fits.
    pub fn misfit(&self, name: &str, index: usize, layer: &LayerShape) -> Option<LayerMisfit> {
        let exceeded = self.check_layer(layer);
        (!exceeded.is_empty()).then(|| LayerMisfit {
            layer: name.to_string(),
            index,
            engine: self.name,
            exceeded,
            holding: configurations_holding(layer)
                .into_iter()
                .map(|c| c.name)
                .collect(),
        })
    }

    /// The limits `layer` exceeds on this configuration (empty: it fits).
    pub fn check_layer(&self, layer: &LayerShape) -> Vec<Limit> {
        let mut exceeded = Vec::new();
        if layer.n_in > self.max_inputs {
            exceeded.push(Limit::Inputs {
                n_in: layer.n_in,
                max: self.max_inputs,
            });
        }
        if layer.kind != LayerKind::Fc && layer.n_hidden > self.max_hidden {
            exceeded.push(Limit::Hidden {
                n_hidden: layer.n_hidden,
                max: self.max_hidden,
            });
        }
        if let Some((pass, &n_out)) = layer
            .pass_outputs
            .iter()
            .enumerate()
            .find(|(_, &n)| n > self.acc_depth())
        {
            exceeded.push(Limit::PassOutputs {
                pass,
                n_out,
                max: self.acc_depth(),
            });
        }
        exceeded
    }
}

/// The shape of a layer, as far as the engine's limits go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerShape {
    pub kind: LayerKind,
    pub n_in: usize,
    /// H of a recurrent layer (FC: its outputs).
    pub n_hidden: usize,
    /// Outputs of each pass (GRU: 3H then 3H; LSTM: 4H then 4H; FC: n_out).
    pub pass_outputs: Vec<usize>,
}

impl LayerShape {
    /// A layer of `kind` with `n_in` inputs and `n_hidden` units (FC: outputs), its passes
    /// as the compiler lays them out.
    pub fn new(kind: LayerKind, n_in: usize, n_hidden: usize) -> LayerShape {
        let pass_outputs = match kind {
            LayerKind::Fc => vec![n_hidden],
            LayerKind::Gru => vec![3 * n_hidden; 2],
            LayerKind::Lstm => vec![4 * n_hidden; 2],
        };
        LayerShape {
            kind,
            n_in,
            n_hidden,
            pass_outputs,
        }
    }
}

/// A limit of an engine configuration that a layer exceeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// More inputs than the input buffer holds.
    Inputs { n_in: usize, max: usize },
    /// A larger hidden size than the cell unit's gate buffers hold.
    Hidden { n_hidden: usize, max: usize },
    /// A pass with more outputs than the engine has accumulators.
    PassOutputs {
        pass: usize,
        n_out: usize,
        max: usize,
    },
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Limit::Inputs { n_in, max } => write!(
                f,
                "{n_in} inputs exceed the input limit of {max} (the engine's x buffer)"
            ),
            Limit::Hidden { n_hidden, max } => write!(
                f,
                "hidden size {n_hidden} exceeds the hidden-size limit of {max} (the cell \
                 unit's gate buffers)"
            ),
            Limit::PassOutputs { pass, n_out, max } => write!(
                f,
                "pass {pass} has {n_out} outputs, more than the {max} accumulators (lanes x \
                 accumulators per lane)"
            ),
        }
    }
}

/// The configurations that hold `layer`.
pub fn configurations_holding(layer: &LayerShape) -> Vec<&'static EngineConfig> {
    CONFIGURATIONS
        .iter()
        .filter(|c| c.check_layer(layer).is_empty())
        .collect()
}

/// A layer that does not fit an engine configuration: which limits it exceeds and which
/// configurations would hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerMisfit {
    /// The layer's name (and index in the layer table).
    pub layer: String,
    pub index: usize,
    /// The configuration it was checked against.
    pub engine: &'static str,
    pub exceeded: Vec<Limit>,
    /// The configurations that hold it (may be empty).
    pub holding: Vec<&'static str>,
}

impl std::fmt::Display for LayerMisfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let limits: Vec<String> = self.exceeded.iter().map(Limit::to_string).collect();
        write!(
            f,
            "layer {} does not fit the {} engine: {}; ",
            self.layer,
            self.engine,
            limits.join("; ")
        )?;
        if self.holding.is_empty() {
            let all: Vec<&str> = CONFIGURATIONS.iter().map(|c| c.name).collect();
            write!(
                f,
                "no engine configuration holds it ({}); make the layer smaller or split it",
                all.join(", ")
            )
        } else {
            write!(
                f,
                "configurations that hold it: {} (--engine NAME)",
                self.holding.join(", ")
            )
        }
    }
}

/// The performance counters of one run (`u32`, as the wire-outs carry them) or of several
/// (`u64` sums): the one declaration the RTL's counter block, the wire-outs, the driver,
/// the engine testbench and the bench reports share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash, serde::Serialize)]
pub struct Counters<T> {
    /// Engine cycles from start to done.
    pub cycles: T,
    /// Cycles the datapath did work.
    pub busy_cycles: T,
    /// Cycles stalled on DRAM.
    pub stall_cycles: T,
    /// 128-bit DRAM words moved.
    pub dram_words: T,
    /// Multiplications.
    pub mults: T,
    /// Additions.
    pub adds: T,
}

/// The wire-outs of each counter, low half then high half, in [`Counters`] field order.
pub const COUNTER_WIRES: [(&str, u8, u8); 6] = [
    (
        "cycles",
        regmap::WIRE_OUT_CYCLES_LO,
        regmap::WIRE_OUT_CYCLES_HI,
    ),
    (
        "busy_cycles",
        regmap::WIRE_OUT_BUSY_CYCLES_LO,
        regmap::WIRE_OUT_BUSY_CYCLES_HI,
    ),
    (
        "stall_cycles",
        regmap::WIRE_OUT_STALL_CYCLES_LO,
        regmap::WIRE_OUT_STALL_CYCLES_HI,
    ),
    (
        "dram_words",
        regmap::WIRE_OUT_DRAM_WORDS_LO,
        regmap::WIRE_OUT_DRAM_WORDS_HI,
    ),
    (
        "mults",
        regmap::WIRE_OUT_MULTS_LO,
        regmap::WIRE_OUT_MULTS_HI,
    ),
    ("adds", regmap::WIRE_OUT_ADDS_LO, regmap::WIRE_OUT_ADDS_HI),
];

impl<T: Copy> Counters<T> {
    /// The counters in [`COUNTER_WIRES`] order.
    pub fn to_array(&self) -> [T; 6] {
        [
            self.cycles,
            self.busy_cycles,
            self.stall_cycles,
            self.dram_words,
            self.mults,
            self.adds,
        ]
    }

    /// Counters from values in [`COUNTER_WIRES`] order.
    pub fn from_array(v: [T; 6]) -> Counters<T> {
        let [cycles, busy_cycles, stall_cycles, dram_words, mults, adds] = v;
        Counters {
            cycles,
            busy_cycles,
            stall_cycles,
            dram_words,
            mults,
            adds,
        }
    }
}

impl Counters<u64> {
    /// Adds one run's counters.
    pub fn add(&mut self, run: &Counters<u32>) {
        let sums = self.to_array();
        let run = run.to_array();
        *self = Counters::from_array(std::array::from_fn(|k| sums[k] + run[k] as u64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_have_distinct_names_and_identities() {
        for (i, a) in CONFIGURATIONS.iter().enumerate() {
            for b in &CONFIGURATIONS[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.info(), b.info(), "{} and {}", a.name, b.name);
            }
            assert_eq!(EngineConfig::by_name(a.name), Some(a));
            assert_eq!(EngineConfig::by_info(a.info()), Some(a));
            assert_eq!(EngineKind::from_code(a.info().kind), Some(a.kind));
            // The identity wires are 16 bits wide.
            assert!(a.acc_depth() <= u16::MAX as usize, "{}", a.name);
        }
    }

    #[test]
    fn a_large_lstm_exceeds_the_hidden_and_accumulator_limits() {
        // H = 600: 4H = 2400 outputs per pass; 256 inputs are within every input limit.
        let lstm = LayerShape::new(LayerKind::Lstm, 256, 600);
        let on_crew = CREW.check_layer(&lstm);
        assert_eq!(
            on_crew,
            vec![
                Limit::Hidden {
                    n_hidden: 600,
                    max: 512
                },
                Limit::PassOutputs {
                    pass: 0,
                    n_out: 2400,
                    max: 1024
                }
            ]
        );
        assert!(configurations_holding(&lstm).is_empty());
        // An FC layer of 2400 outputs fits the benchmark's 8,192-accumulator engines only.
        let fc = LayerShape::new(LayerKind::Fc, 2048, 2400);
        let names: Vec<&str> = configurations_holding(&fc).iter().map(|c| c.name).collect();
        assert_eq!(names, ["crew-16x512", "dense-4x2048", "dense-16x512"]);
        assert_eq!(
            CREW.check_layer(&LayerShape::new(LayerKind::Fc, 2049, 10)),
            vec![Limit::Inputs {
                n_in: 2049,
                max: 2048
            }]
        );
    }

    #[test]
    fn counters_add_field_by_field() {
        let run = Counters::<u32>::from_array([1, 2, 3, 4, 5, u32::MAX]);
        let mut sum = Counters::<u64>::default();
        sum.add(&run);
        sum.add(&run);
        assert_eq!(sum.adds, 2 * u32::MAX as u64);
        assert_eq!(sum.busy_cycles, 4);
        assert_eq!(sum.to_array(), [2, 4, 6, 8, 10, 2 * u32::MAX as u64]);
    }
}
