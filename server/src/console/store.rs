//! What the console needs from the database: its users, their sessions, the audit log and
//! the team's devices. A supertrait of [`crate::Storage`], so both back ends implement it
//! (`store_sqlite.rs`, `store_pg.rs`) and the console's queries run on either.

use vigil_core::sync::protocol::Pending;

use crate::error::ServerError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamRecord {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    pub team_id: String,
    pub name: String,
    /// `leader` or `viewer` ([`super::accounts::Role`]).
    pub role: String,
    /// Argon2id PHC string.
    pub passphrase_hash: String,
    pub totp_secret: Vec<u8>,
    pub totp_last_step: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// Lowercase hex SHA-256 of the session id (the id itself is only in the cookie).
    pub id_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_ms: u64,
    pub last_seen_ms: u64,
    pub expires_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub at_ms: u64,
    pub user_name: String,
    pub action: String,
    pub subject: String,
}

/// A device of the team as the Team page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRow {
    pub id: String,
    pub officer: String,
    pub enrolled_ms: u64,
    pub revoked_ms: Option<u64>,
    /// When the server last stored a change of this device.
    pub last_change_ms: Option<u64>,
    /// The last sequence number the device pushed.
    pub last_seq: u64,
    /// What the device last reported it still has to send; none from an app that does
    /// not report (an older release) or before its first sync.
    pub reported: Option<PendingReport>,
}

/// A device's report of what it still has to send, with the server's time of receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingReport {
    pub pending: Pending,
    pub reported_ms: u64,
}

/// The report of a `device_pending` row (all three columns, or none: no report).
pub(crate) fn report(
    changes: Option<i64>,
    attachments: Option<i64>,
    reported_ms: Option<i64>,
) -> Option<PendingReport> {
    Some(PendingReport {
        pending: Pending {
            changes: changes?.max(0) as u64,
            attachments: attachments?.max(0) as u64,
        },
        reported_ms: reported_ms?.max(0) as u64,
    })
}

/// A console user's passkey (WebAuthn credential): its public key only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyRecord {
    /// The console's own id of the passkey (a UUID: the remove form names it).
    pub id: String,
    pub user_id: String,
    pub credential_id: Vec<u8>,
    pub name: String,
    /// COSE algorithm ([`super::webauthn::ES256`] or [`super::webauthn::EDDSA`]).
    pub alg: i64,
    pub public_key: Vec<u8>,
    pub sign_count: u32,
    pub backed_up: bool,
    pub created_ms: u64,
    pub last_used_ms: Option<u64>,
}

/// A sign-in with passkey `id`: its counter goes from `from` to `to`, its backup state
/// becomes `backed_up`, at `at_ms`.
#[derive(Clone, Copy, Debug)]
pub struct PasskeyUse<'a> {
    pub id: &'a str,
    pub from: u32,
    pub to: u32,
    pub backed_up: bool,
    pub at_ms: u64,
}

pub trait ConsoleStorage {
    /// The team with this id, else the one with this name.
    fn team(&self, id_or_name: &str) -> Result<Option<TeamRecord>, ServerError>;
    /// Stores a new user; `Ok(false)` when the name is taken (names are unique server-wide).
    fn create_user(&self, user: &UserRecord, now_ms: u64) -> Result<bool, ServerError>;
    fn user_by_name(&self, name: &str) -> Result<Option<UserRecord>, ServerError>;
    fn user(&self, id: &str) -> Result<Option<UserRecord>, ServerError>;
    /// Records that a TOTP code of `step` was accepted, only if `step` is later than the
    /// last one accepted: `Ok(false)` for a replayed (or older) code.
    fn use_totp_step(&self, user_id: &str, step: u64) -> Result<bool, ServerError>;
    /// Stores a new session and drops the sessions expired at `now_ms`.
    fn session_insert(&self, session: &SessionRecord, now_ms: u64) -> Result<(), ServerError>;
    fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, ServerError>;
    fn session_touch(&self, id_hash: &str, now_ms: u64) -> Result<(), ServerError>;
    fn session_delete(&self, id_hash: &str) -> Result<(), ServerError>;
    fn audit_add(&self, team_id: &str, record: &AuditRecord) -> Result<(), ServerError>;
    /// The team's audit log, newest first, at most `limit` records.
    fn audit_list(&self, team_id: &str, limit: u32) -> Result<Vec<AuditRecord>, ServerError>;
    /// The team's devices with their officers, most recently enrolled first.
    fn team_devices(&self, team_id: &str) -> Result<Vec<DeviceRow>, ServerError>;
    /// Stores a new passkey; `Ok(false)` when its credential id is registered already.
    fn passkey_add(&self, passkey: &PasskeyRecord) -> Result<bool, ServerError>;
    /// The user's passkeys, oldest first.
    fn passkeys_of(&self, user_id: &str) -> Result<Vec<PasskeyRecord>, ServerError>;
    fn passkey_by_credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<PasskeyRecord>, ServerError>;
    /// Records a sign-in with a passkey; `Ok(false)` when its counter was not `from` any
    /// more (two sign-ins racing with one counter value: one loses).
    fn passkey_use(&self, used: &PasskeyUse<'_>) -> Result<bool, ServerError>;
    /// Removes passkey `id` of `user_id`; `Ok(None)` when the user has no such passkey,
    /// else its name.
    fn passkey_remove(&self, user_id: &str, id: &str) -> Result<Option<String>, ServerError>;
}
