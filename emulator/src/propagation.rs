//! IAM's eventual consistency: a change to the world that requests do not see at once.
//!
//! "Changes that you make in IAM … take time to become visible from all possible
//! endpoints … Changes are made to IAM entities … can take some time to propagate"
//! (IAM user guide, "Troubleshoot IAM", *Changes that I make are not always
//! immediately visible*). A role clicked seconds after it was created, a trust
//! policy edited a moment ago and a key used right after `CreateAccessKey` are
//! refused for a while (misconfigs.md M15: AssumeRole `AccessDenied`; M62: S3
//! `InvalidAccessKeyId` for about 5–15 s).
//!
//! The model: a change made with a [`Propagation`] becomes a pending world, visible
//! to requests only once its delay has passed on the emulator's clock. Until then
//! every decision is taken on the world before it, and a refused request's log entry
//! says which change it did not see yet. Changes are seen in the order they were
//! made (a later change never overtakes an earlier one): each pending world is the
//! one before it plus its change. A delay of zero is an ordinary edit.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use crate::world::World;

/// How long a change takes to be seen: a fixed delay, or one drawn from a range
/// by a seed (so a fuzz run or a scenario replays the same delay).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Propagation {
    min: Duration,
    max: Duration,
    seed: u64,
}

impl Propagation {
    /// Exactly `delay`.
    pub fn fixed(delay: Duration) -> Self {
        Self {
            min: delay,
            max: delay,
            seed: 0,
        }
    }

    /// `15s`, or a range `5s..30s` from which `seed` picks whole seconds.
    pub fn parse(text: &str, seed: Option<u64>) -> Result<Self, String> {
        let one = |t: &str| {
            crate::util::parse_duration(t)
                .and_then(|s| u64::try_from(s).ok())
                .map(Duration::from_secs)
                .ok_or_else(|| format!("`{t}` is not a duration like 15s, 2m"))
        };
        let (min, max) = match text.split_once("..") {
            Some((a, b)) => (one(a)?, one(b)?),
            None => {
                let d = one(text)?;
                (d, d)
            }
        };
        if max < min {
            return Err(format!("propagation range `{text}` ends before it starts"));
        }
        Ok(Self {
            min,
            max,
            seed: seed.unwrap_or(0),
        })
    }

    /// The delay: `min` for a fixed one, else `min` plus a whole number of seconds
    /// drawn from the seed, at most `max`.
    pub fn delay(&self) -> Duration {
        let span = self.max.saturating_sub(self.min).as_secs();
        if span == 0 {
            return self.min;
        }
        self.min + Duration::from_secs(crate::util::splitmix(self.seed) % (span + 1))
    }
}

/// A change not yet seen by requests.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) world: Arc<World>,
    pub(crate) change: PendingChange,
}

/// What the admin API and the log say about a pending change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingChange {
    /// What changed, as the caller named it (`world.edit role customer/transfer-role`).
    pub label: String,
    /// When it was made, on the emulator's clock.
    #[serde(with = "time::serde::rfc3339")]
    pub made_at: OffsetDateTime,
    /// When requests start to see it.
    #[serde(with = "time::serde::rfc3339")]
    pub visible_at: OffsetDateTime,
}

impl PendingChange {
    /// The note a refused request's log entry carries while the change is pending.
    pub fn note(&self, now: OffsetDateTime) -> String {
        let age = (now - self.made_at).whole_seconds().max(0);
        let left = (self.visible_at - now).whole_seconds().max(0);
        format!(
            "IAM change `{}` is {age} s old and not yet visible (in {left} s): this request was decided on the state before it; IAM may not have propagated it",
            self.label
        )
    }
}

/// The world requests see, and the changes still on their way.
#[derive(Debug)]
pub(crate) struct Worlds {
    pub(crate) current: Arc<World>,
    /// In the order made; `visible_at` never decreases along it.
    pub(crate) pending: Vec<Pending>,
}

impl Worlds {
    pub(crate) fn new(world: World) -> Self {
        Self {
            current: Arc::new(world),
            pending: Vec::new(),
        }
    }

    /// Whether a pending change is due at `now`.
    pub(crate) fn due(&self, now: OffsetDateTime) -> bool {
        self.pending.first().is_some_and(|p| p.change.visible_at <= now)
    }

    /// Make every change due at `now` the current world.
    pub(crate) fn promote(&mut self, now: OffsetDateTime) {
        let due = self
            .pending
            .iter()
            .take_while(|p| p.change.visible_at <= now)
            .count();
        if let Some(last) = self.pending.drain(..due).next_back() {
            self.current = last.world;
        }
    }

    /// The newest world, seen or not: what the next change builds on.
    pub(crate) fn newest(&self) -> &Arc<World> {
        self.pending.last().map_or(&self.current, |p| &p.world)
    }

    /// Queue `world` to be seen after `delay`, never before an earlier change.
    pub(crate) fn push(&mut self, world: World, label: String, now: OffsetDateTime, delay: Duration) {
        let mut visible_at = now + delay;
        if let Some(last) = self.pending.last() {
            visible_at = visible_at.max(last.change.visible_at);
        }
        self.pending.push(Pending {
            world: Arc::new(world),
            change: PendingChange {
                label,
                made_at: now,
                visible_at,
            },
        });
    }

    /// The changes not yet seen.
    pub(crate) fn changes(&self) -> Vec<PendingChange> {
        self.pending.iter().map(|p| p.change.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_delay_and_a_seeded_range() {
        assert_eq!(
            Propagation::parse("15s", None).unwrap().delay(),
            Duration::from_secs(15)
        );
        let range = |seed| Propagation::parse("5s..30s", Some(seed)).unwrap().delay();
        for seed in 0..200 {
            let d = range(seed);
            assert!(
                d >= Duration::from_secs(5) && d <= Duration::from_secs(30),
                "{d:?}"
            );
            assert_eq!(d, range(seed), "the same seed, the same delay");
        }
        let distinct: std::collections::BTreeSet<_> = (0..200).map(range).collect();
        assert!(distinct.len() > 10, "seeds spread over the range: {distinct:?}");
        assert!(Propagation::parse("30s..5s", None).is_err());
        assert!(Propagation::parse("soon", None).is_err());
    }

    #[test]
    fn changes_are_seen_in_order_and_never_early() {
        let t0 = time::macros::datetime!(2026-01-01 00:00:00 UTC);
        let mut worlds = Worlds::new(World::default());
        let mut a = World::default();
        a.now = Some(t0);
        worlds.push(a, "a".into(), t0, Duration::from_secs(20));
        // A later change with a shorter delay waits for the earlier one.
        worlds.push(World::default(), "b".into(), t0, Duration::from_secs(5));
        assert_eq!(worlds.pending[1].change.visible_at, t0 + Duration::from_secs(20));
        assert!(!worlds.due(t0 + Duration::from_secs(19)));
        worlds.promote(t0 + Duration::from_secs(19));
        assert_eq!(worlds.pending.len(), 2);
        assert!(worlds.due(t0 + Duration::from_secs(20)));
        worlds.promote(t0 + Duration::from_secs(20));
        assert!(worlds.pending.is_empty());
        assert!(worlds.current.now.is_none(), "the last due change is current");
    }
}
