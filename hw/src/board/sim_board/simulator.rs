//! Which simulator runs the simulated board's accelerator, chosen by name (the
//! `--simulator` option, `CREW_SIMULATOR`).

/// Which simulator runs the accelerator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Simulator {
    /// The generated Verilog compiled by Verilator (the default: fast).
    #[default]
    Verilator,
    /// rust-hdl's own `simulate()` (slow; the cross-check).
    RustHdl,
}

/// Environment variable choosing the simulator (`verilator` or `rust-hdl`).
pub const SIMULATOR_ENV: &str = "CREW_SIMULATOR";

impl Simulator {
    pub const NAMES: [&'static str; 2] = ["verilator", "rust-hdl"];

    pub fn name(self) -> &'static str {
        match self {
            Simulator::Verilator => "verilator",
            Simulator::RustHdl => "rust-hdl",
        }
    }

    /// The simulator named by `CREW_SIMULATOR`, else the default.
    pub fn from_env() -> Result<Simulator, String> {
        match std::env::var(SIMULATOR_ENV) {
            Ok(v) => v.parse(),
            Err(_) => Ok(Simulator::default()),
        }
    }
}

impl std::fmt::Display for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Simulator {
    type Err = String;
    fn from_str(s: &str) -> Result<Simulator, String> {
        match s {
            "verilator" => Ok(Simulator::Verilator),
            "rust-hdl" | "rusthdl" => Ok(Simulator::RustHdl),
            other => Err(format!(
                "unknown simulator `{other}` (expected one of: {})",
                Simulator::NAMES.join(", ")
            )),
        }
    }
}
