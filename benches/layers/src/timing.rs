//! Samples of one operation and their summary.

use std::time::Duration;

/// The durations of the measured runs of one operation on one library.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    durations: Vec<Duration>,
}

impl Samples {
    /// Records one measured run.
    pub fn push(&mut self, duration: Duration) {
        self.durations.push(duration);
    }

    /// The median run (the mean of the two middle runs for an even count), or
    /// `None` without samples.
    #[must_use]
    pub fn median(&self) -> Option<Duration> {
        let mut sorted = self.durations.clone();
        sorted.sort_unstable();
        let middle = sorted.len() / 2;
        match sorted.len() {
            0 => None,
            len if len % 2 == 1 => Some(sorted[middle]),
            _ => Some((sorted[middle - 1] + sorted[middle]) / 2),
        }
    }

    /// The fastest and the slowest run, or `None` without samples.
    #[must_use]
    pub fn range(&self) -> Option<(Duration, Duration)> {
        Some((*self.durations.iter().min()?, *self.durations.iter().max()?))
    }
}

/// Microseconds per layer of a run over `layers` layers.
#[must_use]
pub fn micros_per_layer(duration: Duration, layers: usize) -> f64 {
    // Layer counts stay far below 2^52, where f64 would lose integers.
    #[expect(clippy::cast_precision_loss, reason = "layer counts are small")]
    let layers = layers.max(1) as f64;
    duration.as_secs_f64() * 1e6 / layers
}

#[cfg(test)]
mod tests {
    use super::Samples;
    use std::time::Duration;

    fn samples(millis: &[u64]) -> Samples {
        let mut samples = Samples::default();
        for &ms in millis {
            samples.push(Duration::from_millis(ms));
        }
        samples
    }

    #[test]
    fn median_of_odd_count_is_the_middle_run() {
        assert_eq!(samples(&[9, 1, 5]).median(), Some(Duration::from_millis(5)));
    }

    #[test]
    fn median_of_even_count_is_the_mean_of_the_middle_runs() {
        assert_eq!(
            samples(&[8, 1, 4, 2]).median(),
            Some(Duration::from_millis(3))
        );
    }

    #[test]
    fn no_samples_have_no_median() {
        assert_eq!(samples(&[]).median(), None);
        assert_eq!(samples(&[]).range(), None);
    }
}
