//! What an accept loop (webhook or gRPC) does when `accept` fails: pause with a growing delay
//! when the process is out of a resource (descriptors, buffers), so it does
//! not spin, and log at most one line a second, with the count of the
//! failures it did not log.

use std::{
    io,
    time::{Duration, Instant},
};

/// The first pause after a resource error.
const FIRST_PAUSE: Duration = Duration::from_millis(10);
/// The longest pause.
const MAX_PAUSE: Duration = Duration::from_secs(1);
/// At most one log line per this interval.
const LOG_INTERVAL: Duration = Duration::from_secs(1);

/// The state of consecutive accept failures.
#[derive(Debug, Default)]
pub(crate) struct AcceptErrors {
    listener: &'static str,
    pause: Option<Duration>,
    last_logged: Option<Instant>,
    unlogged: u64,
}

impl AcceptErrors {
    /// The failures of the listener named `listener` (for the log).
    pub(crate) fn new(listener: &'static str) -> Self {
        Self { listener, ..Self::default() }
    }

    /// An accept succeeded: the next failure starts from the first pause.
    pub(crate) fn succeeded(&mut self) {
        self.pause = None;
    }

    /// An accept failed with `error`: logs it if no line was written in the
    /// last second, and returns how long to wait before accepting again.
    pub(crate) fn failed(&mut self, error: &io::Error) -> Duration {
        self.failed_at(error, Instant::now())
    }

    fn failed_at(&mut self, error: &io::Error, now: Instant) -> Duration {
        if self.last_logged.is_none_or(|at| now.duration_since(at) >= LOG_INTERVAL) {
            tracing::warn!(
                listener = self.listener,
                error = %error,
                not_logged = self.unlogged,
                "accept failed (the count is of failures since the last line)"
            );
            self.last_logged = Some(now);
            self.unlogged = 0;
        } else {
            self.unlogged += 1;
        }
        if !is_resource_error(error) {
            // The peer went away before we accepted it: nothing to wait for.
            return Duration::ZERO;
        }
        let pause = self.pause.map_or(FIRST_PAUSE, |p| (p * 2).min(MAX_PAUSE));
        self.pause = Some(pause);
        pause
    }
}

/// Whether `error` means the process or the system is out of something, as
/// opposed to one connection that failed.
fn is_resource_error(error: &io::Error) -> bool {
    !matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emfile() -> io::Error {
        io::Error::from_raw_os_error(24)
    }

    #[test]
    fn resource_errors_pause_longer_each_time_up_to_a_second_and_reset_on_success() {
        let mut errors = AcceptErrors::default();
        let now = Instant::now();
        let pauses: Vec<_> = (0..10).map(|_| errors.failed_at(&emfile(), now)).collect();
        assert_eq!(pauses[0], FIRST_PAUSE);
        assert!(pauses.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(*pauses.last().unwrap(), MAX_PAUSE);
        errors.succeeded();
        assert_eq!(errors.failed_at(&emfile(), now), FIRST_PAUSE);
        let aborted = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert_eq!(errors.failed_at(&aborted, now), Duration::ZERO);
    }

    #[test]
    fn at_most_one_line_a_second_counting_the_rest() {
        let mut errors = AcceptErrors::default();
        let start = Instant::now();
        errors.failed_at(&emfile(), start);
        for _ in 0..5 {
            errors.failed_at(&emfile(), start + Duration::from_millis(500));
        }
        assert_eq!(errors.unlogged, 5);
        errors.failed_at(&emfile(), start + Duration::from_secs(1));
        assert_eq!(errors.unlogged, 0, "a second later a line is written and the count starts over");
    }
}
