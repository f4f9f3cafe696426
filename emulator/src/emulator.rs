//! The emulator's state: the world, the sessions STS issued, the objects, the log.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use time::OffsetDateTime;

use crate::clock::Clock;
use crate::config::Config;
use crate::fault::Faults;
use crate::log::RequestLog;
use crate::propagation::Propagation;
use crate::sigv4::{CredentialScope, SigningKey};
use crate::store::{MemoryStore, Store};
use crate::util::splitmix;
use crate::world::{PolicyDoc, SessionOwner, TempCredentials, World};

/// Temporary credentials the emulator knows: issued by its STS, or pre-issued in the world.
#[derive(Debug, Clone)]
pub struct Session {
    /// ASIA…
    pub access_key_id: String,
    /// Secret.
    pub secret: String,
    /// Session token.
    pub token: String,
    /// When they were issued (`aws:TokenIssueTime`).
    pub issued_at: OffsetDateTime,
    /// When they expire.
    pub expires: OffsetDateTime,
    /// Whose session.
    pub owner: SessionOwner,
    /// Session policies passed to AssumeRole (inline `Policy` and `PolicyArns`).
    pub policies: Vec<PolicyDoc>,
    /// Session tags.
    pub tags: BTreeMap<String, String>,
    /// Transitive tag keys.
    pub transitive_tag_keys: Vec<String>,
    /// Source identity.
    pub source_identity: Option<String>,
    /// Region of the regional STS endpoint that issued it; `None` = the global endpoint.
    pub issued_in_region: Option<String>,
    /// Whether it came from role chaining (a session assuming a role).
    pub chained: bool,
}

impl Session {
    /// A session from pre-issued world credentials.
    pub fn from_world(c: &TempCredentials, now: OffsetDateTime) -> Self {
        Self {
            access_key_id: c.access_key_id.clone(),
            secret: c.secret.clone(),
            token: c.session_token.clone(),
            issued_at: now.min(c.expires),
            expires: c.expires,
            owner: c.owner.clone(),
            policies: Vec::new(),
            tags: BTreeMap::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            issued_in_region: c.issued_in_region.clone(),
            chained: false,
        }
    }
}

/// One emulator instance.
#[derive(Debug)]
pub struct Emulator {
    pub(crate) config: Config,
    pub(crate) clock: Arc<dyn Clock>,
    world: RwLock<crate::propagation::Worlds>,
    /// Whether a change is pending (the fast path of [`Emulator::world`] skips the clock).
    pending: std::sync::atomic::AtomicBool,
    /// Sessions by access key id; expired ones retired ([`crate::sessions`]).
    sessions: RwLock<crate::sessions::Sessions>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) log: RequestLog,
    pub(crate) faults: Faults,
    /// Multipart uploads in progress.
    pub(crate) uploads: crate::uploads::Uploads,
    ids: AtomicU64,
    id_seed: u64,
    /// Derived SigV4 keys by secret and scope: deriving one is four HMACs, and a
    /// client signs every request of a day with the same one.
    signing_keys: std::sync::Mutex<HashMap<KeyId, SigningKey, foldhash::fast::RandomState>>,
    /// The OIDC identity providers' key pairs (web identity tokens).
    pub(crate) oidc_keys: crate::oidc::Keyring,
}

/// A signing-key cache entry's key: the secret and the scope.
#[derive(Debug)]
struct KeyId(String, CredentialScope);

/// The parts of a [`KeyId`], owned or borrowed, so the cache is searched without
/// building one (`HashMap::get` through `Borrow<dyn KeyParts>`).
trait KeyParts {
    fn parts(&self) -> (&str, &str, &str, &str);
}

impl KeyParts for KeyId {
    fn parts(&self) -> (&str, &str, &str, &str) {
        (&self.0, &self.1.date, &self.1.region, &self.1.service)
    }
}

impl KeyParts for (&str, &CredentialScope) {
    fn parts(&self) -> (&str, &str, &str, &str) {
        (self.0, &self.1.date, &self.1.region, &self.1.service)
    }
}

impl<'a> std::borrow::Borrow<dyn KeyParts + 'a> for KeyId {
    fn borrow(&self) -> &(dyn KeyParts + 'a) {
        self
    }
}

impl std::hash::Hash for dyn KeyParts + '_ {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl PartialEq for dyn KeyParts + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn KeyParts + '_ {}

impl std::hash::Hash for KeyId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl PartialEq for KeyId {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for KeyId {}

/// Past this many cached signing keys the cache starts over (a bound, not an LRU:
/// a real client uses a handful of scopes).
const SIGNING_KEY_CACHE: usize = 4096;

impl Emulator {
    /// An emulator serving `world`, reading time from `clock`, keeping objects in memory.
    pub fn new(config: Config, world: World, clock: Arc<dyn Clock>) -> Self {
        Self::with_store(config, world, clock, Arc::new(MemoryStore::new()))
    }

    /// An emulator with another object store.
    pub fn with_store(config: Config, world: World, clock: Arc<dyn Clock>, store: Arc<dyn Store>) -> Self {
        let now = clock.now();
        for b in &world.buckets {
            store.create_bucket(&b.name);
        }
        let mut sessions = crate::sessions::Sessions::default();
        for c in &world.credentials {
            sessions.adopt(|| Session::from_world(c, now), &c.access_key_id);
        }
        let log = RequestLog::new(config.log_capacity);
        let faults = Faults::default();
        for rule in &world.faults {
            faults.add(rule.clone());
        }
        // Request ids only need to be unique per emulator and differ between
        // emulators started at different instants; the seed mixes in the start time.
        let id_seed = splitmix(now.unix_timestamp_nanos() as u64);
        Self {
            config,
            clock,
            world: RwLock::new(crate::propagation::Worlds::new(world)),
            pending: std::sync::atomic::AtomicBool::new(false),
            sessions: RwLock::new(sessions),
            store,
            log,
            faults,
            uploads: crate::uploads::Uploads::default(),
            ids: AtomicU64::new(1),
            id_seed,
            signing_keys: std::sync::Mutex::new(HashMap::default()),
            oidc_keys: crate::oidc::Keyring::default(),
        }
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The token the admin API requires (`Authorization: Bearer TOKEN`), if any.
    pub fn admin_token(&self) -> Option<&str> {
        self.config.admin.token()
    }

    fn worlds(&self) -> std::sync::RwLockWriteGuard<'_, crate::propagation::Worlds> {
        self.world
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The world requests see now: pending changes whose delay has passed on the
    /// clock are part of it, the others are not ([`crate::propagation`]).
    pub fn world(&self) -> Arc<World> {
        use std::sync::atomic::Ordering;
        if self.pending.load(Ordering::Acquire) {
            let now = self.clock.now();
            let due = self
                .world
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .due(now);
            if due {
                let mut worlds = self.worlds();
                worlds.promote(now);
                self.pending.store(!worlds.pending.is_empty(), Ordering::Release);
            }
        }
        self.world
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .current
            .clone()
    }

    /// The newest world, pending changes included: what the next change builds on.
    pub fn newest_world(&self) -> Arc<World> {
        self.world
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .newest()
            .clone()
    }

    /// A web identity token as the OIDC provider for `issuer` (`https://…` or the
    /// bare host) would issue it, with `claims` (`iss`, `iat` and a one-hour `exp`
    /// filled in when absent), signed with its key `kid` (default: its first).
    /// What a test or the harness hands a client for `AssumeRoleWithWebIdentity`.
    ///
    /// # Errors
    /// No provider for `issuer` in the newest world, or a key failure.
    pub fn mint_web_identity_token(
        &self,
        issuer: &str,
        kid: Option<&str>,
        claims: serde_json::Map<String, serde_json::Value>,
    ) -> Result<String, String> {
        let world = self.newest_world();
        let wanted = crate::world::oidc::issuer_of(issuer);
        let provider = world
            .oidc_providers
            .iter()
            .find(|p| p.issuer == wanted)
            .ok_or_else(|| format!("no OIDC provider `{issuer}` in the world ([[oidc_providers]])"))?;
        self.oidc_keys.mint(provider, kid, claims, self.clock.now())
    }

    /// The changes requests do not see yet, oldest first.
    pub fn pending_changes(&self) -> Vec<crate::propagation::PendingChange> {
        // Through `world()`, so changes already due are not reported as pending.
        let _ = self.world();
        self.world
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .changes()
    }

    /// Buckets new to `world` get a place in the store; its pre-issued credentials
    /// are added to the sessions.
    fn adopt(&self, world: &World) {
        let now = self.clock.now();
        for b in &world.buckets {
            self.store.create_bucket(&b.name);
        }
        let mut sessions = self
            .sessions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for c in &world.credentials {
            sessions.adopt(|| Session::from_world(c, now), &c.access_key_id);
        }
    }

    /// Replace the world at once; objects and issued sessions are kept, buckets new
    /// to the world start empty, pre-issued credentials of the new world are added,
    /// and changes still pending are dropped (they were made to the old world).
    pub fn replace_world(&self, world: World) {
        self.adopt(&world);
        let mut worlds = self.worlds();
        worlds.current = Arc::new(world);
        worlds.pending.clear();
        self.pending.store(false, std::sync::atomic::Ordering::Release);
    }

    /// Replace the world as IAM does: requests see the new one only after
    /// `propagation`'s delay on the clock, and are decided on the old one until then.
    pub fn replace_world_propagating(
        &self,
        world: World,
        label: impl Into<String>,
        propagation: Propagation,
    ) {
        self.change(label.into(), propagation, move |w| *w = world);
    }

    /// Edit the world at once (e.g. remove `s3:DeleteObject` from a role
    /// mid-scenario, or a bucket CreateBucket made). Changes still pending get the
    /// edit too, so they do not undo it when they are seen.
    pub fn edit_world(&self, edit: impl Fn(&mut World)) {
        let mut worlds = self.worlds();
        let mut world = (*worlds.current).clone();
        edit(&mut world);
        world.reindex();
        self.adopt(&world);
        worlds.current = Arc::new(world);
        for p in &mut worlds.pending {
            let mut w = (*p.world).clone();
            edit(&mut w);
            w.reindex();
            p.world = Arc::new(w);
        }
    }

    /// Edit the world as IAM does: the edit is seen after `propagation`'s delay
    /// ([`crate::propagation`]); a zero delay is [`Emulator::edit_world`].
    pub fn edit_world_propagating(
        &self,
        label: impl Into<String>,
        propagation: Propagation,
        edit: impl FnOnce(&mut World),
    ) {
        self.change(label.into(), propagation, edit);
    }

    fn change(&self, label: String, propagation: Propagation, edit: impl FnOnce(&mut World)) {
        let now = self.clock.now();
        let delay = propagation.delay();
        let mut worlds = self.worlds();
        let mut world = (**worlds.newest()).clone();
        edit(&mut world);
        world.reindex();
        self.adopt(&world);
        if delay.is_zero() && worlds.pending.is_empty() {
            worlds.current = Arc::new(world);
            return;
        }
        worlds.push(world, label, now, delay);
        self.pending.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Add a bucket CreateBucket made to the world and the store.
    pub(crate) fn create_bucket(&self, bucket: crate::world::Bucket) {
        let name = bucket.name.clone();
        self.edit_world(move |w| {
            if w.bucket(&name).is_none() {
                w.buckets.push(bucket.clone());
            }
        });
    }

    /// Multipart uploads in progress.
    pub fn uploads(&self) -> &crate::uploads::Uploads {
        &self.uploads
    }

    /// The session holding an access key id.
    pub fn session(&self, access_key_id: &str) -> Option<Arc<Session>> {
        self.sessions().live(access_key_id)
    }

    /// What is known of `access_key_id`'s session: whole, or retired past its expiry.
    pub(crate) fn find_session(&self, access_key_id: &str) -> Option<crate::sessions::Found> {
        self.sessions().find(access_key_id)
    }

    /// How many sessions are held whole, and how many are retired to their key id,
    /// token digest and expiry ([`crate::sessions`]).
    pub fn session_counts(&self) -> (usize, usize) {
        self.sessions().counts()
    }

    fn sessions(&self) -> std::sync::RwLockReadGuard<'_, crate::sessions::Sessions> {
        self.sessions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Record a session STS issued, retiring those expired by now.
    pub(crate) fn add_session(&self, session: Session) -> Arc<Session> {
        let now = self.clock.now();
        self.sessions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .issue(session, now)
    }

    /// `kSigning` for `secret` and `scope`, derived once and then cached. Keyed by
    /// the secret itself, so a rotated or edited secret never meets a stale key.
    pub fn signing_key(&self, secret: &str, scope: &CredentialScope) -> SigningKey {
        let mut cache = self
            .signing_keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Looked up by borrowed parts: an owned key per request was four allocations.
        let wanted: &dyn KeyParts = &(secret, scope);
        if let Some(key) = cache.get(wanted) {
            return key.clone();
        }
        if cache.len() >= SIGNING_KEY_CACHE {
            cache.clear();
        }
        let key = SigningKey::derive(secret, scope);
        cache.insert(KeyId(secret.to_string(), scope.clone()), key.clone());
        key
    }

    /// The object store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The request log.
    pub fn log(&self) -> &RequestLog {
        &self.log
    }

    /// The fault rules.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// A fresh counter value, mixed so ids look random but never repeat.
    pub(crate) fn next_id(&self) -> u64 {
        splitmix(self.id_seed ^ self.ids.fetch_add(1, Ordering::Relaxed))
    }

    /// An S3 request id for counter value `n` ([`crate::util::s3_request_id`]).
    pub(crate) fn s3_request_id(&self, n: u64) -> crate::util::StackText<16> {
        crate::util::s3_request_id(n)
    }

    /// An S3 host id (`x-amz-id-2`) for `n` ([`crate::util::host_id`]).
    pub(crate) fn host_id(&self, n: u64) -> crate::util::StackText<64> {
        crate::util::host_id(n)
    }

    /// An STS request id (a UUID) for `n` ([`crate::util::uuid`]).
    pub(crate) fn uuid(&self, n: u64) -> crate::util::StackText<36> {
        crate::util::uuid(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use time::macros::datetime;

    fn emulator() -> Emulator {
        Emulator::new(
            Config::default(),
            World::default(),
            Arc::new(ManualClock::new(datetime!(2026-01-01 00:00 UTC))),
        )
    }

    #[test]
    fn ids_have_aws_shapes() {
        let e = emulator();
        let n = e.next_id();
        let rid = e.s3_request_id(n);
        assert_eq!(rid.len(), 16);
        assert!(rid.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        let uuid = e.uuid(n);
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.matches('-').count(), 4);
        assert_ne!(e.next_id(), n);
    }

    #[test]
    fn a_uuid_is_its_two_words_in_hex_with_version_and_variant() {
        let e = emulator();
        for n in [0, 1, 7, u64::MAX] {
            let a = splitmix(n);
            let b = splitmix(a);
            let digits = format!("{a:016x}{b:016x}");
            let uuid = e.uuid(n);
            let groups: Vec<&str> = uuid.split('-').collect();
            assert_eq!(
                groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert_eq!(groups[0], &digits[0..8]);
            assert_eq!(groups[1], &digits[8..12]);
            assert_eq!(groups[2], format!("4{}", &digits[13..16]));
            assert_eq!(groups[3], format!("a{}", &digits[17..20]));
            assert_eq!(groups[4], &digits[20..32]);
        }
    }
}
