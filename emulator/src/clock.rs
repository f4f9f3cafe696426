//! The one place the emulator reads time.
//!
//! Signing dates, the 15-minute skew window, presign expiry and session expiry all
//! read [`Clock::now`]. Tests and scenarios use a [`ManualClock`] and move it with
//! [`ManualClock::advance`]; nothing in the emulator sleeps to make time pass.

use std::sync::Mutex;
use std::time::Duration;

use time::OffsetDateTime;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant, in UTC.
    fn now(&self) -> OffsetDateTime;

    /// Set the clock, where the clock can be set (the system clock cannot).
    fn set(&self, _to: OffsetDateTime) -> Result<(), ClockError> {
        Err(ClockError::NotSettable)
    }

    /// Move the clock forward, where the clock can be moved.
    fn advance(&self, _by: Duration) -> Result<OffsetDateTime, ClockError> {
        Err(ClockError::NotSettable)
    }
}

/// Why a clock could not be changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockError {
    /// The system clock follows the machine; start the emulator with `--clock` to control time.
    NotSettable,
}

impl std::fmt::Display for ClockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotSettable => {
                f.write_str("the emulator runs on the system clock; start it with a manual clock to set time")
            }
        }
    }
}

impl std::error::Error for ClockError {}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until it is set or advanced.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock frozen at `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        Self { now: Mutex::new(at) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OffsetDateTime> {
        // A poisoned lock still holds a valid instant: recover it rather than fail.
        self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.lock()
    }

    fn set(&self, to: OffsetDateTime) -> Result<(), ClockError> {
        *self.lock() = to;
        Ok(())
    }

    fn advance(&self, by: Duration) -> Result<OffsetDateTime, ClockError> {
        let mut now = self.lock();
        *now += by;
        Ok(*now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(datetime!(2026-01-01 00:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-01-01 00:00 UTC));
        clock.advance(Duration::from_secs(3600)).unwrap();
        assert_eq!(clock.now(), datetime!(2026-01-01 01:00 UTC));
        clock.set(datetime!(2025-06-01 12:00 UTC)).unwrap();
        assert_eq!(clock.now(), datetime!(2025-06-01 12:00 UTC));
    }

    #[test]
    fn system_clock_cannot_be_set() {
        assert_eq!(
            SystemClock.set(datetime!(2026-01-01 00:00 UTC)),
            Err(ClockError::NotSettable)
        );
    }
}
