//! The runner's memory (`--runner-pid`): its peak RSS (VmHWM) and RSS, read
//! from /proc/PID/status before phase D and at the end of the run.

use serde_json::{json, Value};

/// The runner's VmHWM / VmRSS (KiB) before phase D and at the end (`--runner-pid`).
#[derive(Default)]
pub struct RunnerMemory {
    pub before_d: Option<(u64, u64)>,
    pub end: Option<(u64, u64)>,
    error: Option<String>,
}

impl RunnerMemory {
    pub fn read(&mut self, pid: Option<u32>) -> Option<(u64, u64)> {
        match runner_memory(pid?) {
            Ok(memory) => Some(memory),
            Err(message) => {
                self.error.get_or_insert(message);
                None
            }
        }
    }

    pub fn to_json(&self, pid: u32) -> Value {
        json!({
            "pid": pid,
            "peak_rss_kib": self.end.map(|m| m.0),
            "rss_kib": self.end.map(|m| m.1),
            "peak_rss_kib_before_phase_d": self.before_d.map(|m| m.0),
            "rss_kib_before_phase_d": self.before_d.map(|m| m.1),
            "error": self.error,
        })
    }

    pub fn table(&self, pid: u32) -> String {
        let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
        let mut out = format!("\nRunner (pid {pid}) memory: ");
        match self.end {
            Some((hwm, rss)) => {
                out += &format!("peak RSS (VmHWM) {} at the end, RSS {}", mib(hwm), mib(rss));
                if let Some((hwm_d, rss_d)) = self.before_d {
                    out += &format!("; before phase D: peak {}, RSS {}", mib(hwm_d), mib(rss_d));
                }
                out += "\n";
            }
            None => {
                out += &format!(
                    "unknown ({})\n",
                    self.error.as_deref().unwrap_or("not read")
                )
            }
        }
        out
    }
}

/// VmHWM (peak RSS) and VmRSS of a process, in KiB, from /proc/PID/status.
fn runner_memory(pid: u32) -> Result<(u64, u64), String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| format!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmHWM:")?, field("VmRSS:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_memory_is_readable() {
        let (hwm, rss) = runner_memory(std::process::id()).unwrap();
        assert!(hwm >= rss && rss > 0);
    }
}
