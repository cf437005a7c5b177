//! What a measured window comes to: throughput, latency percentiles, CPU per request,
//! and the table rows the reports print.

use crate::load::Sample;

/// One measured window, summed up.
#[derive(Clone, Debug)]
pub struct Summary {
    /// What was measured, e.g. "(c) hub event create".
    pub label: String,
    /// Requests answered as expected per second.
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Server CPU seconds per 1,000 answered requests.
    pub cpu_per_1000: f64,
    /// Answers other than the expected one, e.g. "503×3 reset×1"; empty when none.
    pub unexpected: String,
}

impl Summary {
    /// Sums up `sample`, where `expected` is the status every request should get.
    pub fn of(label: &str, expected: u16, sample: &Sample) -> Self {
        let mut latencies = sample.latencies_us.clone();
        latencies.sort_unstable();
        let percentile = |p: f64| -> f64 {
            if latencies.is_empty() {
                return f64::NAN;
            }
            let rank = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len());
            f64::from(latencies[rank - 1]) / 1000.0
        };
        let answered: u64 = sample.answers.values().sum();
        let unexpected = sample
            .answers
            .iter()
            .filter(|(answer, _)| **answer != expected.to_string())
            .map(|(answer, count)| format!("{answer}×{count}"))
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            label: label.to_owned(),
            rps: latencies.len() as f64 / sample.window.as_secs_f64(),
            p50_ms: percentile(0.50),
            p99_ms: percentile(0.99),
            cpu_per_1000: if answered == 0 {
                f64::NAN
            } else {
                sample.cpu_seconds / answered as f64 * 1000.0
            },
            unexpected,
        }
    }

    /// The table header matching [`Summary::row`].
    pub fn header() -> String {
        format!(
            "{:<34} {:>9} {:>9} {:>9} {:>12}  {}",
            "", "req/s", "p50 ms", "p99 ms", "CPU s/1000", "other answers"
        )
    }

    /// One line of a table.
    pub fn row(&self) -> String {
        format!(
            "{:<34} {:>9.0} {:>9.2} {:>9.2} {:>12.3}  {}",
            self.label, self.rps, self.p50_ms, self.p99_ms, self.cpu_per_1000, self.unexpected
        )
    }
}

/// Megabytes, for memory figures.
pub fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
