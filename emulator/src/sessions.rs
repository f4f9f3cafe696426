//! The sessions the emulator knows: live ones whole, expired ones retired to what
//! an answer still needs.
//!
//! A session keeps its token (316 characters), secret, owner, policies and tags:
//! about a kilobyte, and every AssumeRole adds one. Kept whole for the process's
//! life, a long-running emulator grew without bound (a benchmark round of
//! AssumeRole adds some 190,000). An expired session cannot simply be forgotten:
//! AWS answers an expired token `ExpiredToken` whenever it is presented (the token
//! carries its own expiry), and a forgotten key id would answer
//! `InvalidAccessKeyId` / `InvalidClientTokenId` instead. So an issued session,
//! once past its expiry, is retired to its access key id, the SHA-256 of its token
//! and its expiry: all that decides between `ExpiredToken` (the token is the
//! session's) and `InvalidToken` (it is not), in about 80 bytes.
//!
//! Sessions are retired when a new one is issued (the only time the table grows):
//! every issued session whose expiry has passed on the clock, soonest first from a
//! queue, so issuing stays O(log n). Credentials from the world file are never
//! retired (they are few, and a world replace adds them again). A clock moved back
//! before a retired session's expiry does not revive it; real time does not move
//! back.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use compact_str::CompactString;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::emulator::Session;

type Map<V> = HashMap<CompactString, V, foldhash::fast::RandomState>;

/// What the table holds for an access key id.
#[derive(Debug, Clone)]
pub(crate) enum Found {
    /// A session in full (expired or not: retiring happens when a session is issued).
    Live(Arc<Session>),
    /// An issued session past its expiry.
    Retired(Retired),
}

/// An issued session past its expiry: enough to answer its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retired {
    token_sha256: [u8; 32],
    /// When the session expired.
    pub expires: OffsetDateTime,
}

impl Retired {
    fn of(session: &Session) -> Self {
        Self {
            token_sha256: Sha256::digest(session.token.as_bytes()).into(),
            expires: session.expires,
        }
    }

    /// Whether `token` is the retired session's token (compared in constant time,
    /// as a live session's token is).
    pub(crate) fn token_matches(&self, token: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        bool::from(subtle::ConstantTimeEq::ct_eq(&digest[..], &self.token_sha256[..]))
    }
}

/// An issued session in the expiry queue: `BinaryHeap` is a max-heap, so the
/// order is reversed to pop the soonest expiry first.
#[derive(Debug)]
struct Expiring(Arc<Session>);

impl PartialEq for Expiring {
    fn eq(&self, other: &Self) -> bool {
        self.0.expires == other.0.expires
    }
}

impl Eq for Expiring {}

impl PartialOrd for Expiring {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Expiring {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.expires.cmp(&self.0.expires)
    }
}

/// Sessions by access key id. foldhash, not SipHash: the ids are looked up on every
/// session-signed request and inserted on every AssumeRole, where SipHash cost
/// about 3% of the request; foldhash is seeded per map, as SipHash is.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    live: Map<Arc<Session>>,
    /// The issued sessions in `live`, soonest expiry first.
    expiring: BinaryHeap<Expiring>,
    retired: Map<Retired>,
}

impl Sessions {
    /// What the table holds for `access_key_id`.
    pub(crate) fn find(&self, access_key_id: &str) -> Option<Found> {
        if let Some(s) = self.live.get(access_key_id) {
            return Some(Found::Live(Arc::clone(s)));
        }
        self.retired.get(access_key_id).copied().map(Found::Retired)
    }

    /// A live session (expired or not).
    pub(crate) fn live(&self, access_key_id: &str) -> Option<Arc<Session>> {
        self.live.get(access_key_id).cloned()
    }

    /// Record a session STS issued at `now`, after retiring those expired by then.
    pub(crate) fn issue(&mut self, session: Session, now: OffsetDateTime) -> Arc<Session> {
        self.retire_expired(now);
        let session = Arc::new(session);
        let id = CompactString::from(session.access_key_id.as_str());
        self.retired.remove(&id);
        self.live.insert(id, Arc::clone(&session));
        self.expiring.push(Expiring(Arc::clone(&session)));
        session
    }

    /// Add pre-issued credentials from the world, keeping a session already known
    /// under the same key id. Never queued for retiring.
    pub(crate) fn adopt(&mut self, session: impl FnOnce() -> Session, access_key_id: &str) {
        if !self.live.contains_key(access_key_id) && !self.retired.contains_key(access_key_id) {
            self.live.insert(access_key_id.into(), Arc::new(session()));
        }
    }

    /// Retire every issued session whose expiry is at or before `now` (the instant
    /// authentication starts answering ExpiredToken).
    fn retire_expired(&mut self, now: OffsetDateTime) {
        while self.expiring.peek().is_some_and(|e| e.0.expires <= now) {
            let Some(Expiring(session)) = self.expiring.pop() else {
                break;
            };
            let id = session.access_key_id.as_str();
            // Only the session queued: a key id issued again is another session.
            if self.live.get(id).is_some_and(|s| Arc::ptr_eq(s, &session)) {
                self.live.remove(id);
                self.retired.insert(id.into(), Retired::of(&session));
            }
        }
    }

    /// How many sessions are held whole, and how many retired.
    pub(crate) fn counts(&self) -> (usize, usize) {
        (self.live.len(), self.retired.len())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use time::macros::datetime;
    use time::Duration;

    use super::*;
    use crate::world::SessionOwner;

    fn session(id: &str, token: &str, expires: OffsetDateTime) -> Session {
        Session {
            access_key_id: id.to_string(),
            secret: "secret".to_string(),
            token: token.to_string(),
            issued_at: expires - Duration::hours(1),
            expires,
            owner: SessionOwner::Role {
                account: "222222222222".into(),
                role: "r".into(),
                session_name: "s".into(),
            },
            policies: Vec::new(),
            tags: BTreeMap::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            issued_in_region: None,
            chained: false,
        }
    }

    const T0: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

    fn retired(s: &Sessions, id: &str) -> Option<Retired> {
        match s.find(id) {
            Some(Found::Retired(r)) => Some(r),
            _ => None,
        }
    }

    #[test]
    fn expired_sessions_are_retired_when_the_next_is_issued() {
        let mut s = Sessions::default();
        s.issue(session("ASIA1", "tok-1", T0 + Duration::minutes(15)), T0);
        s.issue(session("ASIA2", "tok-2", T0 + Duration::hours(1)), T0);
        s.issue(session("ASIA3", "tok-3", T0 + Duration::minutes(30)), T0);
        assert_eq!(s.counts(), (3, 0));

        // At its expiry exactly, ASIA1 is expired (authentication's `now >= expires`).
        s.issue(
            session("ASIA4", "tok-4", T0 + Duration::hours(2)),
            T0 + Duration::minutes(15),
        );
        assert_eq!(s.counts(), (3, 1));
        let r = retired(&s, "ASIA1").expect("ASIA1 retired");
        assert_eq!(r.expires, T0 + Duration::minutes(15));
        assert!(r.token_matches("tok-1"));
        assert!(!r.token_matches("tok-2"));
        assert!(!r.token_matches(""));
        assert!(matches!(s.find("ASIA3"), Some(Found::Live(_))));

        // Nothing is retired before a session is issued, however late the clock.
        assert!(matches!(s.find("ASIA2"), Some(Found::Live(_))));
        s.issue(
            session("ASIA5", "tok-5", T0 + Duration::hours(9)),
            T0 + Duration::hours(3),
        );
        assert_eq!(s.counts(), (1, 4));
        assert!(s.live("ASIA5").is_some());
        assert!(s.find("ASIA6").is_none());
    }

    #[test]
    fn a_key_id_issued_again_is_the_new_session() {
        let mut s = Sessions::default();
        s.issue(session("ASIA1", "old", T0 + Duration::minutes(15)), T0);
        // The same id again (a collision of random ids): the newer session is live,
        // and retiring the older one's queue entry leaves it alone.
        s.issue(session("ASIA1", "new", T0 + Duration::hours(1)), T0);
        s.issue(
            session("ASIA2", "x", T0 + Duration::hours(1)),
            T0 + Duration::minutes(20),
        );
        assert_eq!(s.live("ASIA1").map(|x| x.token.clone()).as_deref(), Some("new"));
        assert_eq!(s.counts(), (2, 0));
        // Retired, then issued again: live again.
        s.issue(
            session("ASIA9", "y", T0 + Duration::hours(9)),
            T0 + Duration::hours(2),
        );
        assert!(retired(&s, "ASIA1").is_some_and(|r| r.token_matches("new")));
        s.issue(
            session("ASIA1", "third", T0 + Duration::hours(9)),
            T0 + Duration::hours(2),
        );
        assert_eq!(s.live("ASIA1").map(|x| x.token.clone()).as_deref(), Some("third"));
        assert!(retired(&s, "ASIA1").is_none());
    }

    #[test]
    fn world_credentials_are_never_retired() {
        let mut s = Sessions::default();
        s.adopt(|| session("ASIAWORLD", "w", T0), "ASIAWORLD");
        s.adopt(|| session("ASIAWORLD", "other", T0), "ASIAWORLD");
        s.issue(
            session("ASIA2", "x", T0 + Duration::hours(1)),
            T0 + Duration::hours(5),
        );
        assert_eq!(s.live("ASIAWORLD").map(|x| x.token.clone()).as_deref(), Some("w"));
        assert_eq!(s.counts(), (2, 0));
    }
}
