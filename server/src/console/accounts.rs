//! Console users: created by `vigil-server admin create-user`, with an Argon2id
//! passphrase hash and a TOTP secret; a login needs both.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use zeroize::Zeroizing;

use super::store::UserRecord;
use super::totp;
use crate::error::ServerError;
use crate::Storage;

/// Shortest passphrase accepted.
pub const MIN_PASSPHRASE: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Reads everything of the team, issues enrollment codes, revokes devices, exports.
    Leader,
    /// Reads everything of the team; changes nothing.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "leader" => Some(Role::Leader),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("no team with this id or name")]
    NoTeam,
    #[error("a console user with this name exists")]
    NameTaken,
    #[error("the name must be 1 to 64 characters: letters, digits, '.', '-', '_', '@'")]
    BadName,
    #[error("the passphrase must have at least {MIN_PASSPHRASE} characters")]
    WeakPassphrase,
    #[error(transparent)]
    Server(#[from] ServerError),
}

/// What `create-user` prints once: the TOTP secret as an authenticator app takes it.
pub struct NewUser {
    pub team_name: String,
    pub otpauth_uri: String,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
}

fn random_error<E>(_: E) -> ServerError {
    ServerError::Storage("random".into())
}

/// Hashes a passphrase with Argon2id (the `argon2` crate's defaults: m = 19 MiB, t = 2,
/// p = 1, OWASP's floor) under a random salt, as a PHC string.
pub fn hash_passphrase(passphrase: &str) -> Result<String, ServerError> {
    let salt = vigil_core::crypto::random::bytes::<16>().map_err(random_error)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| ServerError::Storage("salt".into()))?;
    Argon2::default()
        .hash_password(passphrase.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| ServerError::Storage("argon2".into()))
}

/// Whether `passphrase` matches the stored PHC string (false for a malformed one).
pub fn verify_passphrase(passphrase: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(passphrase.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Creates a console user of `team` (id or name) with `role`.
pub fn create_user(
    storage: &dyn Storage,
    name: &str,
    role: Role,
    team: &str,
    passphrase: &str,
    now_ms: u64,
) -> Result<NewUser, AccountError> {
    if !valid_name(name) {
        return Err(AccountError::BadName);
    }
    if passphrase.chars().count() < MIN_PASSPHRASE {
        return Err(AccountError::WeakPassphrase);
    }
    let team = storage.team(team)?.ok_or(AccountError::NoTeam)?;
    let secret = Zeroizing::new(
        vigil_core::crypto::random::bytes::<{ totp::SECRET_LEN }>().map_err(random_error)?,
    );
    let user = UserRecord {
        id: uuid::Uuid::new_v4().to_string(),
        team_id: team.id,
        name: name.to_string(),
        role: role.as_str().to_string(),
        passphrase_hash: hash_passphrase(passphrase)?,
        totp_secret: secret.to_vec(),
        totp_last_step: 0,
    };
    if !storage.create_user(&user, now_ms)? {
        return Err(AccountError::NameTaken);
    }
    Ok(NewUser {
        team_name: team.name,
        otpauth_uri: totp::otpauth_uri(name, &secret[..]),
    })
}

/// A PHC string of a passphrase no one knows: an unknown user name costs a login the same
/// Argon2id time as a known one.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_passphrase("decoy passphrase, never valid").unwrap_or_default())
}

/// Checks a login: the user exists, the passphrase matches and the TOTP code is valid now
/// and not used before. One answer for every failure (no hint which part was wrong).
pub fn check_login(
    storage: &dyn Storage,
    name: &str,
    passphrase: &str,
    code: &str,
    now_ms: u64,
) -> Result<Option<UserRecord>, ServerError> {
    let user = storage.user_by_name(name)?;
    let phc = user
        .as_ref()
        .map(|u| u.passphrase_hash.as_str())
        .unwrap_or_else(|| decoy_hash());
    let pass_ok = verify_passphrase(passphrase, phc);
    let Some(user) = user else {
        return Ok(None);
    };
    if !pass_ok {
        return Ok(None);
    }
    let Some(step) = totp::verify(&user.totp_secret, code, now_ms) else {
        return Ok(None);
    };
    if !storage.use_totp_step(&user.id, step)? {
        return Ok(None);
    }
    Ok(Some(user))
}
