//! The figures of a sample, and how the report writes them.

use std::time::Duration;

/// Nearest-rank percentile (`p` in 0..=100) of a sample.
pub(super) fn percentile(sample: &[Duration], p: f64) -> Duration {
    assert!(!sample.is_empty(), "an empty sample");
    let mut sorted = sample.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub(super) fn median_u64(sample: &[u64]) -> u64 {
    let mut sorted = sample.to_vec();
    sorted.sort_unstable();
    sorted[(sorted.len() - 1) / 2]
}

pub(super) fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.1}")
    }
}

pub(super) fn mib(bytes: u64) -> String {
    format!("{:.2}", bytes as f64 / f64::from(1 << 20))
}

pub(super) fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let sample: Vec<Duration> = (1..=10).rev().map(Duration::from_millis).collect();
        assert_eq!(percentile(&sample, 50.0), Duration::from_millis(5));
        assert_eq!(percentile(&sample, 90.0), Duration::from_millis(9));
        assert_eq!(percentile(&sample, 99.0), Duration::from_millis(10));
        assert_eq!(percentile(&sample, 0.0), Duration::from_millis(1));
        assert_eq!(median_u64(&[4, 1, 3, 2]), 2);
    }

    #[test]
    fn milliseconds_have_two_decimals_below_ten_and_one_above() {
        assert_eq!(ms(Duration::from_micros(1_234)), "1.23");
        assert_eq!(ms(Duration::from_micros(12_345)), "12.3");
        assert_eq!(mib(3 << 19), "1.50");
    }
}
