//! `crew-host inspect PACKAGE_OR_MODEL [--json]`.

use std::path::PathBuf;

use super::source::{self, ModelOptions};

#[derive(clap::Args)]
pub struct Args {
    /// A .crew package, or a model (compiled in memory) or the name of one in models/;
    /// default: the bundled g2p model.
    pub package: Option<PathBuf>,
    #[command(flatten)]
    pub options: ModelOptions,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> crew_host::Result<()> {
    let src = source::load(args.package.as_deref(), &args.options)?;
    let package = source::package(&src, &args.options)?;
    let stats = crew_host::compiler::inspect::inspect(&package)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&stats).expect("serializes")
        );
        return Ok(());
    }
    println!(
        "{:<10} {:>4} {:>11} {:>16} {:>12} {:>24} {:>24} {:>18}",
        "layer",
        "pass",
        "shape",
        "unique mean/max",
        "bits",
        "bytes CREW/int8 (gain)",
        "mults CREW/dense (gain)",
        "UCNN mults/adds"
    );
    for s in &stats {
        if s.folded_tokens > 0 {
            println!(
                "{:<10} {:>4} {:>11} folded: {} tokens x {} epilogue rows (bias = the x pass sum); a step loads \
                 its token's rows ({} bytes), no records, no multiplies",
                s.layer,
                s.pass,
                format!("{}x-", s.n_out),
                s.folded_tokens,
                s.n_out,
                s.n_out * 16
            );
            continue;
        }
        println!(
            "{:<10} {:>4} {:>11} {:>16} {:>12} {:>24} {:>24} {:>18}",
            s.layer,
            s.pass,
            format!("{}x{}", s.n_out, s.n_in),
            format!("{:.1}/{}", s.unique_mean, s.unique_max),
            format!("{}-{} ({:.2})", s.bits_min, s.bits_max, s.bits_mean),
            format!(
                "{}/{} ({:.2}x)",
                s.crew_bytes,
                s.dense_bytes,
                s.dense_bytes as f64 / s.crew_bytes as f64
            ),
            format!(
                "{}/{} ({:.1}x)",
                s.crew_mults,
                s.dense_mults,
                s.dense_mults as f64 / s.crew_mults.max(1) as f64
            ),
            format!("{}/{}", s.ucnn_mults, s.ucnn_adds),
        );
    }
    for larger in crew_host::compiler::fit::larger_than_int8(&stats) {
        println!("note: {larger}");
    }
    Ok(())
}
