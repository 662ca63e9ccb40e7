//! Where the batch's CPU goes: the CPU time (utime + stime of /proc/PID/stat)
//! of each `--cpu-pid NAME=PID` process and of the load tool itself, read when
//! the batch's extract is accepted and when the job is seen terminal, and how
//! busy they kept the machine over that window.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::stats::round;

/// The name the load tool's own process is reported under.
pub const SELF_NAME: &str = "self";

/// Clock ticks per second of the times in /proc/PID/stat. The kernel reports
/// them in USER_HZ, which is 100 on the architectures this runs on (x86-64,
/// arm64); `sysconf(_SC_CLK_TCK)` would say so too, but libc is not a
/// dependency of this tool, and a constant is not worth one (nor an unsafe call).
const TICKS_PER_SEC: f64 = 100.0;

/// A process's CPU time and start time, in clock ticks.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Times {
    /// utime + stime (fields 14 and 15).
    cpu: u64,
    /// starttime (field 22): tells a reused pid from the process first read.
    start: u64,
}

/// The times of a /proc/PID/stat line.
fn parse_stat(stat: &str) -> Result<Times, String> {
    // Field 2 is the command name in parentheses, and may itself hold spaces
    // and parentheses: the fields are counted after the last ')', where field 3 starts.
    let (_, rest) = stat
        .rsplit_once(')')
        .ok_or("no ')' after the command name")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Result<u64, String> {
        let text = fields.get(n - 3).ok_or_else(|| format!("no field {n}"))?;
        text.parse()
            .map_err(|_| format!("field {n} is not a number: {text}"))
    };
    Ok(Times {
        cpu: field(14)? + field(15)?,
        start: field(22)?,
    })
}

/// `cpu_s` as a percentage of `cores` cores over `window_s` (0 for no window).
fn busy_pct(cpu_s: f64, window_s: f64, cores: usize) -> f64 {
    let capacity = window_s * cores as f64;
    if capacity > 0.0 {
        cpu_s / capacity * 100.0
    } else {
        0.0
    }
}

/// One watched process.
struct Process {
    name: String,
    pid: u32,
    /// Its /proc/…/stat.
    stat: String,
}

impl Process {
    fn read(&self) -> Result<Times, String> {
        std::fs::read_to_string(&self.stat)
            .map_err(|e| e.to_string())
            .and_then(|text| parse_stat(&text))
            .map_err(|e| format!("{}: {e}", self.stat))
    }
}

/// The watched processes' times at the start of the window.
pub struct CpuWindow {
    started: Instant,
    processes: Vec<(Process, Result<Times, String>)>,
}

impl CpuWindow {
    /// Reads the `--cpu-pid` processes, then the load tool's own.
    pub fn start(pids: &[(String, u32)]) -> Self {
        let own = Process {
            name: SELF_NAME.into(),
            pid: std::process::id(),
            stat: "/proc/self/stat".into(),
        };
        let watched = pids.iter().map(|(name, pid)| Process {
            name: name.clone(),
            pid: *pid,
            stat: format!("/proc/{pid}/stat"),
        });
        let started = Instant::now();
        let processes = watched
            .chain([own])
            .map(|process| {
                let times = process.read();
                (process, times)
            })
            .collect();
        Self { started, processes }
    }

    /// The CPU time each process used since `start`, for a batch of `files` files.
    pub fn finish(self, files: usize) -> CpuReport {
        let window = self.started.elapsed();
        let processes = self
            .processes
            .into_iter()
            .map(|(process, before)| {
                let cpu_s = before.and_then(|before| {
                    let after = process.read()?;
                    if after.start != before.start {
                        return Err(format!(
                            "pid {} is another process than at the start of the window",
                            process.pid
                        ));
                    }
                    Ok(after.cpu.saturating_sub(before.cpu) as f64 / TICKS_PER_SEC)
                });
                ProcessCpu {
                    name: process.name,
                    pid: process.pid,
                    cpu_s,
                }
            })
            .collect();
        CpuReport {
            window,
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            files,
            processes,
        }
    }
}

struct ProcessCpu {
    name: String,
    pid: u32,
    /// CPU seconds in the window, or why they could not be read.
    cpu_s: Result<f64, String>,
}

/// The CPU time of the watched processes over the window.
pub struct CpuReport {
    window: Duration,
    cores: usize,
    files: usize,
    processes: Vec<ProcessCpu>,
}

impl CpuReport {
    /// The CPU seconds of every process that could be read.
    fn total_cpu_s(&self) -> f64 {
        self.processes
            .iter()
            .filter_map(|p| p.cpu_s.as_ref().ok())
            .sum()
    }

    fn ms_per_file(&self, cpu_s: f64) -> Option<f64> {
        (self.files > 0).then(|| cpu_s * 1000.0 / self.files as f64)
    }

    pub fn to_json(&self) -> Value {
        let window_s = self.window.as_secs_f64();
        let processes: Vec<Value> = self
            .processes
            .iter()
            .map(|p| {
                let cpu_s = p.cpu_s.as_ref().ok().copied();
                json!({
                    "name": p.name,
                    "pid": p.pid,
                    "cpu_s": cpu_s.map(round),
                    "pct_of_one_core": cpu_s.map(|s| round(busy_pct(s, window_s, 1))),
                    "cpu_ms_per_file": cpu_s.and_then(|s| self.ms_per_file(s)).map(round),
                    "error": p.cpu_s.as_ref().err(),
                })
            })
            .collect();
        json!({
            "window_s": round(window_s),
            "cores": self.cores,
            "processes": processes,
            "total_cpu_s": round(self.total_cpu_s()),
            "busy_pct_of_machine": round(busy_pct(self.total_cpu_s(), window_s, self.cores)),
        })
    }

    /// The text block; `terminal` is false when the wait for the batch gave up.
    pub fn table(&self, terminal: bool) -> String {
        let window_s = self.window.as_secs_f64();
        let mut out = format!(
            "  CPU during extract -> {} ({window_s:.1} s, {} cores): machine {:.0}% busy with these processes\n",
            if terminal { "terminal" } else { "giving up (NOT terminal)" },
            self.cores,
            busy_pct(self.total_cpu_s(), window_s, self.cores)
        );
        let width = self
            .processes
            .iter()
            .map(|p| p.name.len())
            .max()
            .unwrap_or(0)
            .max(12);
        for p in &self.processes {
            let line = match &p.cpu_s {
                Ok(cpu_s) => format!(
                    "{cpu_s:>6.1} s {:>4.0}% of a core {:>6.1} ms/file",
                    busy_pct(*cpu_s, window_s, 1),
                    self.ms_per_file(*cpu_s).unwrap_or(0.0)
                ),
                Err(error) => format!("unknown (pid {}): {error}", p.pid),
            };
            out += &format!("    {:<width$} {line}\n", p.name);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A /proc/PID/stat line with the given command name, utime 250, stime 50, starttime 777.
    fn stat_line(comm: &str) -> String {
        format!(
            "4242 ({comm}) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 4 0 777 1000 10"
        )
    }

    #[test]
    fn stat_is_parsed_after_the_last_parenthesis() {
        let want = Times {
            cpu: 300,
            start: 777,
        };
        for comm in [
            "moto_server",
            "tokio worker 1",
            "a) b (c",
            ")) 1 2 3 ((",
            "",
        ] {
            assert_eq!(parse_stat(&stat_line(comm)), Ok(want), "{comm:?}");
        }
    }

    #[test]
    fn bad_stat_lines_are_errors() {
        assert!(parse_stat("").is_err());
        assert!(parse_stat("4242 (x S 1 2").is_err());
        assert!(parse_stat("4242 (x) S 1 2 3")
            .unwrap_err()
            .contains("field 14"));
        let bad = stat_line("x").replace(" 250 ", " 2x0 ");
        assert!(parse_stat(&bad).unwrap_err().contains("field 14"));
    }

    #[test]
    fn busy_percentage_is_cpu_over_window_times_cores() {
        assert_eq!(busy_pct(36.0, 20.0, 2), 90.0);
        assert_eq!(busy_pct(21.3, 36.9, 1), 21.3 / 36.9 * 100.0);
        assert_eq!(busy_pct(1.0, 0.0, 2), 0.0);
        assert_eq!(busy_pct(1.0, 1.0, 0), 0.0);
        let report = CpuReport {
            window: Duration::from_secs(20),
            cores: 2,
            files: 2000,
            processes: vec![
                ProcessCpu {
                    name: "moto-s3".into(),
                    pid: 1,
                    cpu_s: Ok(21.0),
                },
                ProcessCpu {
                    name: "runner".into(),
                    pid: 2,
                    cpu_s: Ok(15.0),
                },
                ProcessCpu {
                    name: "dynamodb".into(),
                    pid: 3,
                    cpu_s: Err("gone".into()),
                },
            ],
        };
        let json = report.to_json();
        assert_eq!(json["total_cpu_s"], 36.0);
        assert_eq!(json["busy_pct_of_machine"], 90.0);
        assert_eq!(json["processes"][0]["pct_of_one_core"], 105.0);
        assert_eq!(json["processes"][0]["cpu_ms_per_file"], 10.5);
        assert_eq!(json["processes"][2]["cpu_s"], Value::Null);
        assert_eq!(json["processes"][2]["error"], "gone");
        let text = report.table(true);
        assert!(
            text.contains("(20.0 s, 2 cores): machine 90% busy"),
            "{text}"
        );
        assert!(
            text.contains("    moto-s3        21.0 s  105% of a core   10.5 ms/file\n"),
            "{text}"
        );
        assert!(
            text.contains("    dynamodb     unknown (pid 3): gone\n"),
            "{text}"
        );
    }

    #[test]
    fn a_process_that_cannot_be_read_is_an_error_not_a_panic() {
        // Above any pid_max: /proc/4294967295 never exists.
        let report = CpuWindow::start(&[("gone".into(), u32::MAX)]).finish(10);
        assert_eq!(report.processes.len(), 2);
        assert!(report.processes[0].cpu_s.is_err());
        assert_eq!(report.processes[1].name, SELF_NAME);
        assert!(report.processes[1].cpu_s.is_ok());
    }
}
