//! Progress of `intake submit`: a bar on a terminal (indicatif), otherwise a
//! plain line on stderr at most once a second and at the end of each phase.

use std::io::Write;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

const PLAIN_EVERY: Duration = Duration::from_secs(1);

/// What the numbers count now: uploads, then processing by the API.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Uploading,
    Processing,
}

pub struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    uploaded: u64,
    processed: u64,
    failed: u64,
    phase: Phase,
    phase_started: Instant,
    last_line: Option<Instant>,
}

impl Progress {
    pub fn new(total: usize, terminal: bool) -> Self {
        let total = total as u64;
        let bar = terminal.then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {rate} ETA {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .with_key(
                        "rate",
                        |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                            let _ = write!(out, "{:.1} files/s", state.per_sec());
                        },
                    )
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self {
            bar,
            total,
            uploaded: 0,
            processed: 0,
            failed: 0,
            phase: Phase::Uploading,
            phase_started: Instant::now(),
            last_line: None,
        }
    }

    /// Counting starts again for `phase` (its rate and ETA are its own).
    pub fn start(&mut self, phase: Phase, err: &mut dyn Write) {
        self.line(err, true);
        self.phase = phase;
        self.phase_started = Instant::now();
        if let Some(bar) = &self.bar {
            bar.reset();
        }
        self.show(err, true);
    }

    /// Files uploaded so far (a resumed session's earlier uploads count).
    pub fn uploaded(&mut self, uploaded: u64, err: &mut dyn Write) {
        self.uploaded = uploaded;
        self.show(err, false);
    }

    /// The jobs' files in a terminal state so far, and of those the failed.
    pub fn processed(&mut self, processed: u64, failed: u64, err: &mut dyn Write) {
        self.processed = processed;
        self.failed = failed;
        self.show(err, false);
    }

    pub fn finish(&mut self, err: &mut dyn Write) {
        if let Some(bar) = &self.bar {
            bar.finish_with_message(self.message());
        }
        self.line(err, true);
    }

    fn count(&self) -> u64 {
        match self.phase {
            Phase::Uploading => self.uploaded,
            Phase::Processing => self.processed,
        }
    }

    fn message(&self) -> String {
        format!(
            "uploaded {}/{} · processed {}/{} · failed {}",
            self.uploaded, self.total, self.processed, self.total, self.failed
        )
    }

    fn show(&mut self, err: &mut dyn Write, force: bool) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(self.count());
                bar.set_message(self.message());
            }
            None => self.line(err, force),
        }
    }

    /// The plain line, when there is no bar and a second has passed.
    fn line(&mut self, err: &mut dyn Write, force: bool) {
        if self.bar.is_some() {
            return;
        }
        let due = self.last_line.is_none_or(|at| at.elapsed() >= PLAIN_EVERY);
        if !(force || due) {
            return;
        }
        self.last_line = Some(Instant::now());
        let elapsed = self.phase_started.elapsed().as_secs_f64();
        let count = self.count();
        let rate = if elapsed > 0.0 {
            count as f64 / elapsed
        } else {
            0.0
        };
        let eta = if rate > 0.0 {
            format!("{:.0} s", self.total.saturating_sub(count) as f64 / rate)
        } else {
            "unknown".to_owned()
        };
        let _ = writeln!(
            err,
            "intake: {} · {rate:.1} files/s · ETA {eta}",
            self.message()
        );
    }
}
