//! Where "now" comes from. The store's functions take times as Unix milliseconds; whoever calls them reads
//! the time from a [`Clock`], so tests can move it by hand to check expiry without waiting.

use std::sync::Mutex;

use jiff::Timestamp;

/// Where "now" comes from; tests set it to check expiry without waiting.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock tests move by hand.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: Timestamp) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: jiff::SignedDuration) {
        let mut now = self.0.lock().expect("clock lock poisoned");
        *now = now.checked_add(by).expect("clock overflow");
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock lock poisoned")
    }
}
