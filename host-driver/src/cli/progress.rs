//! Progress lines for a slow simulated board (rust-hdl's simulation, where Verilator is
//! missing or `--simulator rust-hdl` asks for it): plain lines on stderr, whether or not
//! it is a terminal, so a log or a CI run shows how far a long command has got. The
//! library reports (load events, runs, simulated cycles); this file prints.
//!
//! Load: a line at least every [`PERIOD`] with bytes written or verified and the time
//! left at the rate so far. Words: a line when each word is done and at least every
//! [`PERIOD`] during one, with the layer runs done of those the words need (counted
//! beforehand on the integer reference), the UI cycles simulated and the time left at
//! the rate so far.

use std::time::{Duration, Instant};

use crew_host::backend::lockstep::Lockstep;
use crew_host::backend::reference::Reference;
use crew_host::backend::{Accelerator, LayerState, RunOutput};
use crew_host::device::LoadProgress;
use crew_host::error::{Result, RunError};
use crew_host::runner::decode_integer;
use crew_host::transport::Transport;
use crew_host::Package;

use super::backend::AnyDevice;

/// Longest time between two progress lines.
pub const PERIOD: Duration = Duration::from_secs(5);

/// "1 min 05 s", "12 s".
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, s / 60 % 60),
    }
}

/// The time left when `done` of `total` took `elapsed`.
fn time_left(elapsed: Duration, done: u64, total: u64) -> String {
    if done == 0 {
        return "time left unknown yet".into();
    }
    let left = elapsed.as_secs_f64() * (total.saturating_sub(done)) as f64 / done as f64;
    format!("about {} left", duration(Duration::from_secs_f64(left)))
}

/// Load progress as lines (the progress bar's stand-in on a slow board).
pub struct LoadLines {
    label: String,
    start: Instant,
    last: Instant,
}

impl LoadLines {
    pub fn new(label: &str) -> LoadLines {
        let now = Instant::now();
        LoadLines {
            label: label.into(),
            start: now,
            last: now,
        }
    }

    pub fn event(&mut self, p: LoadProgress) {
        let (what, done, total) = match p {
            LoadProgress::Write { done, total } => ("written", done, total),
            LoadProgress::Verify { done, total } => ("read back", done, total),
        };
        if self.last.elapsed() < PERIOD {
            return;
        }
        self.last = Instant::now();
        // Writing and reading back take about as long: the whole load is 2 x total.
        let overall = match p {
            LoadProgress::Write { .. } => done,
            LoadProgress::Verify { .. } => total + done,
        };
        eprintln!(
            "{}: loading: {} of {} KB {what}, {}",
            self.label,
            done / 1024,
            total / 1024,
            time_left(self.start.elapsed(), overall as u64, 2 * total as u64)
        );
    }
}

/// Counts the layer runs of a decode on the integer reference.
struct RunCounter<'a> {
    reference: &'a mut Reference,
    runs: u64,
}

impl Accelerator for RunCounter<'_> {
    fn name(&self) -> &str {
        "reference"
    }
    fn load(&mut self, package: &Package) -> Result<(), RunError> {
        self.reference.load(package)
    }
    fn run(
        &mut self,
        layer: usize,
        inputs: &[Vec<i8>],
        state: &mut LayerState,
    ) -> Result<RunOutput, RunError> {
        self.runs += 1;
        self.reference.run(layer, inputs, state)
    }
}

/// Word progress as lines.
pub struct WordLines {
    label: String,
    words: usize,
    words_done: usize,
    /// Layer runs all words need, counted on the reference.
    total_runs: u64,
    runs_done: u64,
    start: Instant,
    last: Instant,
}

impl WordLines {
    /// Counts the runs `words` need (on the integer reference, well under a second).
    pub fn new(label: &str, package: &Package, words: &[&str]) -> Result<WordLines> {
        let mut reference = Reference::new();
        reference.load(package)?;
        let mut counter = RunCounter {
            reference: &mut reference,
            runs: 0,
        };
        for word in words {
            decode_integer(&mut counter, package, word)?;
        }
        let now = Instant::now();
        Ok(WordLines {
            label: label.into(),
            words: words.len(),
            words_done: 0,
            total_runs: counter.runs,
            runs_done: 0,
            start: now,
            last: now,
        })
    }

    fn cycles(device: &AnyDevice) -> String {
        device
            .transport()
            .simulation()
            .map_or_else(String::new, |s| {
                format!(", {} UI cycles simulated", s.ui_cycles)
            })
    }

    fn left(&self) -> String {
        time_left(self.start.elapsed(), self.runs_done, self.total_runs)
    }

    fn run_done(&mut self, device: &AnyDevice) {
        self.runs_done += 1;
        if self.last.elapsed() < PERIOD {
            return;
        }
        self.last = Instant::now();
        eprintln!(
            "{}: word {}/{}: {} of {} layer runs done{}, {}",
            self.label,
            self.words_done + 1,
            self.words,
            self.runs_done,
            self.total_runs,
            Self::cycles(device),
            self.left()
        );
    }

    /// Says that `word` is done.
    pub fn word_done(&mut self, word: &str, device: &AnyDevice) {
        self.words_done += 1;
        self.last = Instant::now();
        let left = if self.words_done == self.words {
            "all words done".to_string()
        } else {
            self.left()
        };
        eprintln!(
            "{}: word {}/{} ({word}) done after {}{}, {left}",
            self.label,
            self.words_done,
            self.words,
            duration(self.start.elapsed()),
            Self::cycles(device),
        );
    }
}

/// A device in lockstep with the reference that reports each run to [`WordLines`].
pub struct Observed<'a> {
    pub lockstep: &'a mut Lockstep<AnyDevice>,
    pub lines: &'a mut WordLines,
}

impl Accelerator for Observed<'_> {
    fn name(&self) -> &str {
        self.lockstep.name()
    }
    fn load(&mut self, package: &Package) -> Result<(), RunError> {
        self.lockstep.load(package)
    }
    fn run(
        &mut self,
        layer: usize,
        inputs: &[Vec<i8>],
        state: &mut LayerState,
    ) -> Result<RunOutput, RunError> {
        let out = self.lockstep.run(layer, inputs, state)?;
        self.lines.run_done(self.lockstep.backend());
        Ok(out)
    }
    fn run_program(
        &mut self,
        spec: &crew_host::backend::program::ProgramSpec,
        sources: &[Vec<u16>],
    ) -> Result<Option<crew_host::backend::program::ProgramOutput>, RunError> {
        self.lockstep.run_program(spec, sources)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_estimates_read_as_time() {
        assert_eq!(duration(Duration::from_secs(12)), "12 s");
        assert_eq!(duration(Duration::from_secs(65)), "1 min 05 s");
        assert_eq!(duration(Duration::from_secs(3 * 3600 + 120)), "3 h 02 min");
        // A quarter done in 10 s: 30 s left.
        assert_eq!(
            time_left(Duration::from_secs(10), 25, 100),
            "about 30 s left"
        );
        assert_eq!(
            time_left(Duration::from_secs(10), 0, 100),
            "time left unknown yet"
        );
    }
}
