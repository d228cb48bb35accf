//! How `featherlight bench` times things: a measurement's samples and their
//! median and minimum, quick operations timed in batches, slow ones one by
//! one.

use std::time::Instant;

/// How many batches quick operations are timed in.
const BATCHES: u32 = 20;

/// One measurement's samples.
#[derive(Debug)]
pub(super) struct Measurement {
    /// Its name.
    pub name: &'static str,
    /// The measurement its ratio is relative to.
    pub baseline: &'static str,
    /// Timed iterations, over all samples.
    pub iterations: u32,
    /// Nanoseconds per iteration of each sample.
    pub samples: Vec<f64>,
}

impl Measurement {
    /// The median of the samples (the mean of the middle two for an even count).
    pub(super) fn median(&self) -> f64 {
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        match sorted.len() {
            0 => f64::NAN,
            len if len % 2 == 0 => (sorted[middle - 1] + sorted[middle]) / 2.0,
            _ => sorted[middle],
        }
    }

    /// The smallest sample.
    pub(super) fn min(&self) -> f64 {
        self.samples.iter().copied().fold(f64::NAN, f64::min)
    }
}

/// Times `iterations` runs of `op` in [`BATCHES`] batches (fewer if there are fewer
/// iterations), after a warm-up of a tenth of them (at most 1000): one sample per batch,
/// its mean time per run.
pub(super) fn batched(iterations: u32, mut op: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Vec<f64>> {
    for _ in 0..(iterations / 10).clamp(1, 1000) {
        op()?;
    }
    let batches = iterations.min(BATCHES);
    let mut samples = Vec::new();
    for batch in 0..batches {
        // Spread the remainder over the first batches.
        let runs = iterations / batches + u32::from(batch < iterations % batches);
        let start = Instant::now();
        for _ in 0..runs {
            op()?;
        }
        samples.push(nanos(start) / f64::from(runs));
    }
    Ok(samples)
}

/// Times `iterations` runs of `op` one by one, after one warm-up run: one sample per run.
/// What `op` returns is dropped after its clock stops.
pub(super) fn one_by_one<T>(iterations: u32, mut op: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<Vec<f64>> {
    drop(op()?);
    let mut samples = Vec::new();
    for _ in 0..iterations {
        let start = Instant::now();
        let result = op()?;
        samples.push(nanos(start));
        drop(result);
    }
    Ok(samples)
}

/// Nanoseconds since `start`.
pub(super) fn nanos(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e9
}

/// A measurement of 10 iterations with `samples`, for tests.
#[cfg(test)]
pub(super) fn measurement(name: &'static str, baseline: &'static str, samples: &[f64]) -> Measurement {
    Measurement { name, baseline, iterations: 10, samples: samples.to_vec() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_min() {
        let odd = measurement("a", "a", &[5.0, 1.0, 3.0]);
        assert_eq!((odd.median(), odd.min()), (3.0, 1.0));
        let even = measurement("a", "a", &[4.0, 1.0, 3.0, 2.0]);
        assert_eq!((even.median(), even.min()), (2.5, 1.0));
    }

    #[test]
    fn batches_cover_every_iteration() {
        let mut runs = 0;
        let samples = batched(45, || {
            runs += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(samples.len(), 20);
        // 4 warm-up runs, then all 45.
        assert_eq!(runs, 4 + 45);
    }
}
