//! `crew-host infer MODEL_OR_PACKAGE --backend auto|board|sim|reference|float [--engine
//! crew|dense] (--words w1,w2 | --word-list FILE.tsv | --input X.npy --output Y.npy)`.
//!
//! On a device backend (board or simulator) the package's image for the device's engine
//! (the CREW image, or the dense image built from it) is streamed with a progress bar and
//! verified, and every layer run is compared bit for bit with the integer
//! reference ([`Lockstep`]); the engine's cycle counters give the time at the 100 MHz
//! design clock, and the device clock the time per word a board on USB 2.0 takes
//! (`crew_hw::board::sim_board::usb_timing`), the engine's share beside it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crew_host::backend::lockstep::{first_difference, Lockstep, LockstepStats};
use crew_host::backend::program::ProgramSpec;
use crew_host::backend::reference::Reference;
use crew_host::compiler::fit;
use crew_host::device::LoadProgress;
use crew_host::error::{Error, Result, RunError};
use crew_host::model::checkpoint::{read_npy, write_npy};
use crew_host::runner::{
    decode_float, decode_float_logits, decode_integer, decode_program, sequence_float,
    sequence_integer, sequence_integer_by_layers, unknown_characters,
};
use crew_host::transport::Transport;
use crew_host::{Accelerator, Package};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::backend::{self, AnyDevice, Backend, DeviceOptions};
use super::progress;
use super::source::{self, ModelOptions, Source};

/// The design's UI clock (DDR3-800 at 4:1), for converting cycles to time.
const DESIGN_CLOCK_HZ: f64 = 100e6;

#[derive(clap::Args)]
pub struct Args {
    /// A .crew package or a model (compiled in memory), or the name of a model in models/
    /// (g2p_en, g2p_en_k16); default: the bundled g2p_en model.
    pub model: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "reference")]
    pub backend: Backend,
    #[command(flatten)]
    pub device: DeviceOptions,
    /// Words to convert (sequence-to-sequence models), comma-separated.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["input", "output", "word_list"])]
    pub words: Vec<String>,
    /// Words to convert, one per line (`word<TAB>expected phonemes`, `#` comments); reports
    /// how many match the expected phonemes.
    #[arg(long, value_name = "FILE.tsv", conflicts_with_all = ["input", "output"])]
    pub word_list: Option<PathBuf>,
    /// Input tensor (steps x inputs, float32 .npy).
    #[arg(long, value_name = "X.npy", requires = "output")]
    pub input: Option<PathBuf>,
    /// Output tensor (steps x outputs, float32 .npy, dequantized).
    #[arg(long, value_name = "Y.npy", requires = "input")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub options: ModelOptions,
    /// Device backends: decode word by word with the host loop (a decoder step and a
    /// projection run per phoneme, argmax on the host) instead of the package's sequence
    /// program, which decodes the whole word list on the engine in one start; for
    /// --input/--output, one start per layer instead of the whole stack in one.
    #[arg(long)]
    pub host_loop: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct WordResult {
    word: String,
    phonemes: Vec<String>,
    /// The float model's phonemes, when a model (not a package) was given.
    float: Option<Vec<String>>,
    /// Expected phonemes from the word list.
    expected: Option<Vec<String>>,
    /// Device backends: every run equal to the integer reference.
    bit_exact: Option<bool>,
    /// Device backends: engine cycles of all runs of this word.
    cycles: Option<u64>,
    /// `cycles` at the 100 MHz design clock, microseconds.
    design_time_us: Option<f64>,
    /// Device backends: device time of the word (transfers, runs, USB calls), microseconds.
    device_time_us: Option<f64>,
}

#[derive(Serialize)]
struct Summary {
    backend: String,
    words: usize,
    bit_exact_words: Option<usize>,
    matches_expected: Option<usize>,
    total_cycles: Option<u64>,
    mean_cycles_per_word: Option<f64>,
    /// Device time per word, microseconds.
    mean_device_time_per_word_us: Option<f64>,
    /// The queued path (sequence program): words per second on the device clock, and the
    /// engine's and the USB's shares of a word's device time, microseconds.
    words_per_second: Option<f64>,
    engine_us_per_word: Option<f64>,
    usb_us_per_word: Option<f64>,
    load_seconds: Option<f64>,
    wall_seconds: f64,
}

/// Parses a word list: `word<TAB>phonemes` lines, `#` comments, blank lines skipped.
fn read_word_list(path: &Path) -> Result<Vec<(String, Option<Vec<String>>)>> {
    let text = std::fs::read_to_string(path).map_err(|error| Error::Io {
        path: path.into(),
        error,
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.splitn(2, '\t');
            let word = parts.next().unwrap_or("").trim().to_string();
            let expected = parts
                .next()
                .map(|p| p.split_whitespace().map(String::from).collect());
            (word, expected)
        })
        .collect())
}

/// Opens the device, loads and verifies the package with a progress bar.
fn load_device(args: &Args, package: &Package) -> Result<Option<(Lockstep<AnyDevice>, f64)>> {
    let Some(opened) = backend::open(args.backend, &args.device)? else {
        return Ok(None);
    };
    if let Some(note) = &opened.note {
        eprintln!("{note}");
    }
    let mut device = opened.device;
    if let Some(label) = slow_simulation(&device) {
        // rust-hdl's simulation: minutes, not seconds; lines instead of a bar, whether or
        // not stderr is a terminal.
        eprintln!(
            "{label}: loading {} KB on rust-hdl's simulation (about 100x slower than \
             Verilator); a progress line every {} s",
            package.container.image.len() / 1024,
            progress::PERIOD.as_secs()
        );
        let mut lines = progress::LoadLines::new(&label);
        device.set_progress(Box::new(move |p| lines.event(p)));
        return finish_load(args, device, ProgressBar::hidden(), package);
    }
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(package.container.image.len() as u64 * 2)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {bytes}/{total_bytes} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let bar_events = bar.clone();
    device.set_progress(Box::new(move |p| match p {
        LoadProgress::Write { done, total } => {
            bar_events.set_message("loading");
            bar_events.set_length(2 * total as u64);
            bar_events.set_position(done as u64);
        }
        LoadProgress::Verify { done, total } => {
            bar_events.set_message("verifying");
            bar_events.set_position((total + done) as u64);
        }
    }));
    finish_load(args, device, bar, package)
}

/// The label of progress lines when the device is a simulated board on rust-hdl.
fn slow_simulation(device: &AnyDevice) -> Option<String> {
    device
        .transport()
        .simulation()
        .filter(|s| s.slow)
        .map(|_| "sim (rust-hdl)".to_string())
}

/// Loads and verifies the package, then clears the progress bar.
fn finish_load(
    args: &Args,
    device: AnyDevice,
    bar: ProgressBar,
    package: &Package,
) -> Result<Option<(Lockstep<AnyDevice>, f64)>> {
    let start = Instant::now();
    let mut lockstep = Lockstep::new(device);
    let loaded = lockstep.load(package);
    bar.finish_and_clear();
    loaded?;
    let seconds = start.elapsed().as_secs_f64();
    if !args.json {
        let device = lockstep.backend();
        eprintln!(
            "{}: loaded and verified {} bytes in {seconds:.2} s",
            device.transport().describe(),
            device.loaded_image_bytes().unwrap_or_default()
        );
    }
    Ok(Some((lockstep, seconds)))
}

/// Refuses a package the engine cannot hold before a device is opened or anything is
/// streamed, when the engine is known beforehand (the simulated board's, or `--engine`);
/// otherwise the driver checks it against the engine the board reports, also before
/// streaming.
fn check_engine_before_opening(args: &Args, package: &Package) -> Result<()> {
    let engine = match (args.backend, args.device.engine) {
        (Backend::Reference, _) => return Ok(()),
        (Backend::Sim, engine) => engine.unwrap_or_default(),
        (_, Some(engine)) => engine,
        (_, None) => return Ok(()),
    };
    fit::check(&package.info.layers, engine.config()).map_err(Error::DoesNotFit)
}

/// The words of `--words`, refusing empty ones (`hello,,world`, a trailing comma).
fn command_line_words(words: &[String]) -> Result<Vec<(String, Option<Vec<String>>)>> {
    if let Some(k) = words.iter().position(|w| w.is_empty()) {
        return Err(Error::Usage(format!(
            "--words: word {} of {} is empty (doubled or trailing comma in \"{}\")",
            k + 1,
            words.len(),
            words.join(",")
        )));
    }
    Ok(words.iter().map(|w| (w.clone(), None)).collect())
}

/// Says once which characters the model does not know and what they become.
fn note_unknown_characters(
    package: &Package,
    words: &[(String, Option<Vec<String>>)],
) -> Result<()> {
    let words: Vec<&str> = words.iter().map(|(w, _)| w.as_str()).collect();
    let (unknown, unk) = unknown_characters(package, &words)?;
    if !unknown.is_empty() {
        let listed: Vec<String> = unknown.iter().map(|c| format!("{c:?}")).collect();
        eprintln!(
            "note: outside the model's source vocabulary, read as {unk}: {}",
            listed.join(", ")
        );
    }
    Ok(())
}

pub fn run(args: Args) -> Result<()> {
    let wall = Instant::now();
    if let (Backend::Reference | Backend::Float, Some(engine)) = (args.backend, args.device.engine)
    {
        return Err(Error::Usage(format!(
            "--engine {engine} needs a device backend (--backend sim, board or auto); the \
             reference and float backends run in software"
        )));
    }
    let src = source::load(args.model.as_deref(), &args.options)?;
    if args.backend == Backend::Float {
        return run_float(&args, &src, wall);
    }
    let package = source::package(&src, &args.options)?;
    check_engine_before_opening(&args, &package)?;
    let mut device = load_device(&args, &package)?;
    let load_seconds = device.as_ref().map(|(_, s)| *s);
    let mut reference = Reference::new();
    let accel: &mut dyn Accelerator = match device.as_mut() {
        Some((d, _)) => d,
        None => {
            reference.load(&package)?;
            &mut reference
        }
    };
    let backend_name = accel.name().to_string();

    if let (Some(input), Some(output)) = (&args.input, &args.output) {
        let x = read_npy(input)?;
        // A device runs the whole stack in one start; --host-loop one start per layer.
        let y = if args.host_loop {
            sequence_integer_by_layers(accel, &package, &x)?
        } else {
            sequence_integer(accel, &package, &x)?
        };
        let stats = device.as_mut().map(|(d, _)| d.take_stats());
        write_npy(output, &y)?;
        let cycles = stats.as_ref().map(|s| s.counters.cycles);
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "output": output, "shape": y.shape, "backend": backend_name,
                    "bit_exact": stats.as_ref().map(|s| s.bit_exact()), "cycles": cycles,
                })
            );
        } else {
            eprintln!(
                "wrote {} ({:?}) with the {backend_name} backend",
                output.display(),
                y.shape,
            );
            if let (Some(s), Some(c)) = (&stats, cycles) {
                eprintln!(
                    "{}; {c} cycles ({:.1} us at 100 MHz)",
                    if s.bit_exact() {
                        "bit-exact with the integer reference"
                    } else {
                        "DIFFERS from the integer reference"
                    },
                    c as f64 / DESIGN_CLOCK_HZ * 1e6
                );
            }
        }
        return match stats {
            Some(s) => Ok(s.check(&backend_name)?),
            None => Ok(()),
        };
    }

    let words: Vec<(String, Option<Vec<String>>)> = match &args.word_list {
        Some(path) => read_word_list(path)?,
        None => command_line_words(&args.words)?,
    };
    if words.is_empty() {
        return Err(Error::Usage(
            "give --words w1,w2 or --word-list FILE (sequence-to-sequence models), or \
             --input X.npy --output Y.npy"
                .into(),
        ));
    }
    note_unknown_characters(&package, &words)?;
    let mut lines = match device
        .as_ref()
        .and_then(|(d, _)| slow_simulation(d.backend()))
    {
        Some(label) => {
            let list: Vec<&str> = words.iter().map(|(w, _)| w.as_str()).collect();
            Some(progress::WordLines::new(&label, &package, &list)?)
        }
        None => None,
    };
    if let (Some((lockstep, _)), false) = (device.as_mut(), args.host_loop) {
        if ProgramSpec::of(&package)?.is_some() {
            return run_queue(
                &args,
                &src,
                &package,
                lockstep,
                lines.as_mut(),
                words,
                (load_seconds, wall),
            );
        }
    }
    let mut results = Vec::new();
    let mut all_stats = LockstepStats::default();
    for (word, expected) in words {
        let device_time = |d: &Option<(Lockstep<AnyDevice>, f64)>| {
            d.as_ref()
                .map(|(d, _)| d.backend().transport().device_time())
        };
        let device_start = device_time(&device);
        let phonemes = match (device.as_mut(), lines.as_mut()) {
            (Some((lockstep, _)), Some(lines)) => {
                let mut observed = progress::Observed { lockstep, lines };
                decode_integer(&mut observed, &package, &word)?
            }
            (Some((d, _)), None) => decode_integer(d, &package, &word)?,
            (None, _) => decode_integer(&mut reference, &package, &word)?,
        };
        if let (Some(lines), Some((d, _))) = (lines.as_mut(), device.as_ref()) {
            lines.word_done(&word, d.backend());
        }
        let lockstep = device.is_some();
        let device_time_us = device_time(&device)
            .zip(device_start)
            .map(|(end, start)| (end - start).as_secs_f64() * 1e6);
        let stats = match (lockstep, device.as_mut()) {
            (true, Some((d, _))) => Some(d.take_stats()),
            _ => None,
        };
        let float = match &src {
            Source::Model(m) => Some(decode_float(m, &word)?),
            Source::Package(_) => None,
        };
        let cycles = stats.as_ref().map(|s| s.counters.cycles);
        if let Some(s) = &stats {
            all_stats.runs += s.runs;
            all_stats.mismatched_runs += s.mismatched_runs;
            all_stats.counters.cycles += s.counters.cycles;
            if all_stats.first_mismatch.is_none() {
                all_stats.first_mismatch = s
                    .first_mismatch
                    .as_ref()
                    .map(|m| format!("word {word}: {m}"));
            }
        }
        results.push(WordResult {
            word,
            phonemes,
            float,
            expected,
            bit_exact: stats.as_ref().map(|s| s.bit_exact()),
            cycles,
            design_time_us: cycles.map(|c| c as f64 / DESIGN_CLOCK_HZ * 1e6),
            device_time_us,
        });
    }
    let n = results.len();
    let summary = Summary {
        backend: backend_name.clone(),
        words: n,
        bit_exact_words: device
            .as_ref()
            .map(|_| results.iter().filter(|r| r.bit_exact == Some(true)).count()),
        matches_expected: results.iter().any(|r| r.expected.is_some()).then(|| {
            results
                .iter()
                .filter(|r| r.expected.as_ref() == Some(&r.phonemes))
                .count()
        }),
        total_cycles: device.as_ref().map(|_| all_stats.counters.cycles),
        mean_cycles_per_word: device
            .as_ref()
            .map(|_| all_stats.counters.cycles as f64 / n as f64),
        mean_device_time_per_word_us: device
            .as_ref()
            .map(|_| results.iter().filter_map(|r| r.device_time_us).sum::<f64>() / n as f64),
        words_per_second: None,
        engine_us_per_word: None,
        usb_us_per_word: None,
        load_seconds,
        wall_seconds: wall.elapsed().as_secs_f64(),
    };
    if args.json {
        // The reference gives the plain list of words; device backends add the summary.
        let v = if device.is_some() {
            serde_json::json!({ "words": results, "summary": summary })
        } else {
            serde_json::to_value(&results).expect("serializes")
        };
        println!("{}", serde_json::to_string_pretty(&v).expect("serializes"));
    } else {
        print_words(&results, &summary);
    }
    Ok(all_stats.check(&backend_name)?)
}

/// The queued path: every word in one start of the package's sequence program, every step
/// of every word compared with the same program on the integer reference.
fn run_queue(
    args: &Args,
    src: &Source,
    package: &Package,
    lockstep: &mut Lockstep<AnyDevice>,
    lines: Option<&mut progress::WordLines>,
    words: Vec<(String, Option<Vec<String>>)>,
    (load_seconds, wall): (Option<f64>, Instant),
) -> Result<()> {
    let list: Vec<&str> = words.iter().map(|(w, _)| w.as_str()).collect();
    let start = lockstep.backend().transport().device_time();
    let (phonemes, out) =
        decode_program(lockstep.backend_mut(), package, &list)?.expect("the package has a program");
    let device_us = (lockstep.backend().transport().device_time() - start).as_secs_f64() * 1e6;
    // On a slow simulation, the progress lines: every word finished with the program.
    if let Some(lines) = lines {
        for w in &list {
            lines.word_done(w, lockstep.backend());
        }
    }
    // The same program on the integer reference (a host loop), compared step by step.
    let mut reference = Reference::new();
    reference.load(package)?;
    let (ref_phonemes, expected) =
        decode_program(&mut reference, package, &list)?.expect("the package has a program");
    let n = words.len();
    let cycles = out.counters.map(|c| c.cycles as u64).unwrap_or(0);
    let engine_us = cycles as f64 / DESIGN_CLOCK_HZ * 1e6;
    let mut first_mismatch = None;
    let mut results = Vec::with_capacity(n);
    for (k, ((word, expected_phonemes), got)) in words.into_iter().zip(phonemes).enumerate() {
        let difference = first_difference(&out.traces[k], &expected.traces[k]);
        if let (Some(d), None) = (&difference, &first_mismatch) {
            first_mismatch = Some(format!(
                "word {word}: {d} differs from the integer reference"
            ));
        }
        let float = match src {
            Source::Model(m) => Some(decode_float(m, &word)?),
            Source::Package(_) => None,
        };
        debug_assert!(difference.is_some() || got == ref_phonemes[k]);
        results.push(WordResult {
            word,
            phonemes: got,
            float,
            expected: expected_phonemes,
            bit_exact: Some(difference.is_none()),
            // The queue's counters are the whole program's: a word's share.
            cycles: Some(cycles / n as u64),
            design_time_us: Some(engine_us / n as f64),
            device_time_us: Some(device_us / n as f64),
        });
    }
    let summary = Summary {
        backend: lockstep.name().to_string(),
        words: n,
        bit_exact_words: Some(results.iter().filter(|r| r.bit_exact == Some(true)).count()),
        matches_expected: results.iter().any(|r| r.expected.is_some()).then(|| {
            results
                .iter()
                .filter(|r| r.expected.as_ref() == Some(&r.phonemes))
                .count()
        }),
        total_cycles: Some(cycles),
        mean_cycles_per_word: Some(cycles as f64 / n as f64),
        mean_device_time_per_word_us: Some(device_us / n as f64),
        words_per_second: Some(n as f64 / (device_us / 1e6)),
        engine_us_per_word: Some(engine_us / n as f64),
        usb_us_per_word: Some((device_us - engine_us) / n as f64),
        load_seconds,
        wall_seconds: wall.elapsed().as_secs_f64(),
    };
    if args.json {
        let v = serde_json::json!({ "words": results, "summary": summary });
        println!("{}", serde_json::to_string_pretty(&v).expect("serializes"));
    } else {
        print_words(&results, &summary);
    }
    match first_mismatch {
        None => Ok(()),
        Some(first) => Err(RunError::DiffersFromReference {
            on: summary.backend,
            runs: n as u64,
            mismatched: results
                .iter()
                .filter(|r| r.bit_exact == Some(false))
                .count() as u64,
            first,
        }
        .into()),
    }
}

#[derive(Serialize)]
struct FloatWord {
    word: String,
    phonemes: Vec<String>,
    expected: Option<Vec<String>>,
    /// The projection's float logits of every decoder step.
    logits: Vec<Vec<f32>>,
}

/// `--backend float`: the float model (no quantization) over the words or the tensor.
fn run_float(args: &Args, src: &Source, wall: Instant) -> Result<()> {
    let Source::Model(model) = src else {
        return Err(Error::Usage(
            "--backend float runs a model (description or checkpoint); a .crew package holds \
             only integers"
                .into(),
        ));
    };
    if let (Some(input), Some(output)) = (&args.input, &args.output) {
        let y = sequence_float(model, &read_npy(input)?)?;
        write_npy(output, &y)?;
        if args.json {
            println!(
                "{}",
                serde_json::json!({ "output": output, "shape": y.shape, "backend": "float" })
            );
        } else {
            eprintln!(
                "wrote {} ({:?}) with the float model",
                output.display(),
                y.shape
            );
        }
        return Ok(());
    }
    let words = match &args.word_list {
        Some(path) => read_word_list(path)?,
        None => command_line_words(&args.words)?,
    };
    if words.is_empty() {
        return Err(Error::Usage(
            "give --words w1,w2 or --word-list FILE, or --input X.npy --output Y.npy".into(),
        ));
    }
    let mut results = Vec::with_capacity(words.len());
    for (word, expected) in words {
        let (phonemes, logits) = decode_float_logits(model, &word)?;
        results.push(FloatWord {
            word,
            phonemes,
            expected,
            logits,
        });
    }
    if args.json {
        println!("{}", serde_json::to_string(&results).expect("serializes"));
        return Ok(());
    }
    for r in &results {
        let mut line = format!("{}\t{}", r.word, r.phonemes.join(" "));
        if let Some(e) = r.expected.as_ref().filter(|e| **e != r.phonemes) {
            line += &format!("   (expected: {})", e.join(" "));
        }
        println!("{line}");
    }
    if results.iter().any(|r| r.expected.is_some()) {
        let m = results
            .iter()
            .filter(|r| r.expected.as_ref() == Some(&r.phonemes))
            .count();
        println!("{m}/{} words match the expected phonemes", results.len());
    }
    eprintln!("wall time {:.2} s", wall.elapsed().as_secs_f64());
    Ok(())
}

fn print_words(results: &[WordResult], s: &Summary) {
    for r in results {
        let mut line = format!("{}\t{}", r.word, r.phonemes.join(" "));
        if let (Some(exact), Some(c), Some(us), Some(device_us)) =
            (r.bit_exact, r.cycles, r.design_time_us, r.device_time_us)
        {
            let verdict = if exact {
                "bit-exact"
            } else {
                "DIFFERS from reference"
            };
            line += &format!(
                "\t[{verdict}, {device_us:.1} us on the device, engine {c} cycles = {us:.1} us \
                 at 100 MHz]"
            );
        }
        match (&r.expected, &r.float) {
            (Some(e), _) if *e != r.phonemes => line += &format!("   (expected: {})", e.join(" ")),
            (None, Some(f)) if *f != r.phonemes => {
                line += &format!("   (float model: {})", f.join(" "))
            }
            _ => {}
        }
        println!("{line}");
    }
    if let (Some(exact), Some(total), Some(mean), Some(device_us)) = (
        s.bit_exact_words,
        s.total_cycles,
        s.mean_cycles_per_word,
        s.mean_device_time_per_word_us,
    ) {
        println!(
            "{}: {exact}/{} words bit-exact with the integer reference; {device_us:.1} us per \
             word on the device clock (docs/usb.md), of which the engine \
             {:.1} us ({mean:.0} cycles at 100 MHz); {total} engine cycles in all",
            s.backend,
            s.words,
            mean / DESIGN_CLOCK_HZ * 1e6
        );
    }
    if let (Some(wps), Some(engine), Some(usb)) =
        (s.words_per_second, s.engine_us_per_word, s.usb_us_per_word)
    {
        println!(
            "sequence program: {} words in one start; engine {engine:.1} us and USB {usb:.1} us \
             per word\nwords_per_second={wps:.1}",
            s.words
        );
    }
    if let Some(m) = s.matches_expected {
        println!(
            "{m}/{} words match the expected (float model) phonemes",
            s.words
        );
    }
    eprintln!("wall time {:.2} s", s.wall_seconds);
}
