//! Console sessions: a random 256-bit id in an `HttpOnly; Secure; SameSite=Strict` cookie,
//! stored only as its SHA-256; an absolute lifetime and an idle timeout; a synchronizer
//! CSRF token per session that every form carries back.

use axum::http::HeaderMap;
use ring::digest;

use super::accounts::Role;
use super::store::{SessionRecord, TeamRecord, UserRecord};
use crate::error::ServerError;
use crate::Storage;

pub const SESSION_COOKIE: &str = "vigil_console";
/// The login form's own token (double submit: cookie and form field), before a session.
pub const LOGIN_COOKIE: &str = "vigil_console_login";
/// The console's path: cookies are sent only under it.
pub const PATH: &str = "/console";

/// How long sessions last: `lifetime_ms` at most, `idle_ms` without a request.
#[derive(Clone, Copy, Debug)]
pub struct SessionLimits {
    pub lifetime_ms: u64,
    pub idle_ms: u64,
}

impl Default for SessionLimits {
    /// 12 hours (a shift), 30 minutes idle.
    fn default() -> Self {
        SessionLimits {
            lifetime_ms: 12 * 60 * 60 * 1000,
            idle_ms: 30 * 60 * 1000,
        }
    }
}

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct Current {
    pub user: UserRecord,
    pub role: Role,
    pub team: TeamRecord,
    pub session: SessionRecord,
}

impl Current {
    pub fn is_leader(&self) -> bool {
        self.role == Role::Leader
    }
}

fn random_hex<const N: usize>() -> Result<String, ServerError> {
    vigil_core::crypto::random::bytes::<N>()
        .map(hex::encode)
        .map_err(|_| ServerError::Storage("random".into()))
}

pub fn hash_id(id: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, id.as_bytes()))
}

/// A fresh token for the login form (cookie and hidden field).
pub fn login_token() -> Result<String, ServerError> {
    random_hex::<32>()
}

/// Opens a session for `user`: returns the id for the cookie (stored only hashed).
pub fn open(
    storage: &dyn Storage,
    user: &UserRecord,
    limits: SessionLimits,
    now_ms: u64,
) -> Result<String, ServerError> {
    let id = random_hex::<32>()?;
    storage.session_insert(
        &SessionRecord {
            id_hash: hash_id(&id),
            user_id: user.id.clone(),
            csrf_token: random_hex::<32>()?,
            created_ms: now_ms,
            last_seen_ms: now_ms,
            expires_ms: now_ms.saturating_add(limits.lifetime_ms),
        },
        now_ms,
    )?;
    Ok(id)
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` for a console cookie; `None` clears it.
pub fn set_cookie(name: &str, value: Option<&str>, max_age_s: u64) -> String {
    match value {
        Some(v) => format!(
            "{name}={v}; Path={PATH}; Max-Age={max_age_s}; HttpOnly; Secure; SameSite=Strict"
        ),
        None => format!("{name}=; Path={PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Strict"),
    }
}

/// Adds to `r` the cookies of a sign-in that opened session `id` (however the user proved
/// who they are): the session's, for its lifetime, and the sign-in form's token cleared.
pub fn signed_in(r: &mut axum::response::Response, id: &str, limits: SessionLimits) {
    let h = r.headers_mut();
    for c in [
        set_cookie(SESSION_COOKIE, Some(id), limits.lifetime_ms / 1000),
        set_cookie(LOGIN_COOKIE, None, 0),
    ] {
        if let Ok(v) = c.parse() {
            h.append(axum::http::header::SET_COOKIE, v);
        }
    }
}

/// Sent by the console's own script on what it asks by itself (the live list's refresh):
/// such requests do not count as the user's activity.
pub const BACKGROUND_HEADER: &str = "x-vigil-background";

/// How a request counts towards the idle timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// The user asked (a page, a form): moves the session's idle clock.
    User,
    /// The page asked by itself (live updates): the session still ends when idle.
    Background,
}

impl Activity {
    pub fn of(headers: &HeaderMap) -> Activity {
        if headers.contains_key(BACKGROUND_HEADER) {
            Activity::Background
        } else {
            Activity::User
        }
    }
}

/// The request's session, if it has a live one: known, not past its lifetime nor idle
/// too long, its user still there. User activity moves its idle clock (at most every
/// quarter of the idle time, and at least once a minute).
pub fn current(
    storage: &dyn Storage,
    headers: &HeaderMap,
    limits: SessionLimits,
    now_ms: u64,
    activity: Activity,
) -> Result<Option<Current>, ServerError> {
    let Some(id) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let id_hash = hash_id(id);
    let Some(session) = storage.session(&id_hash)? else {
        return Ok(None);
    };
    if now_ms >= session.expires_ms || now_ms.saturating_sub(session.last_seen_ms) >= limits.idle_ms
    {
        storage.session_delete(&id_hash)?;
        return Ok(None);
    }
    let Some(user) = storage.user(&session.user_id)? else {
        return Ok(None);
    };
    let (Some(role), Some(team)) = (Role::parse(&user.role), storage.team(&user.team_id)?) else {
        return Ok(None);
    };
    if activity == Activity::User
        && now_ms.saturating_sub(session.last_seen_ms) >= (limits.idle_ms / 4).min(60_000)
    {
        storage.session_touch(&id_hash, now_ms)?;
    }
    Ok(Some(Current {
        user,
        role,
        team,
        session,
    }))
}

/// Whether a form's token is the session's (constant time).
pub fn csrf_ok(session: &SessionRecord, token: &str) -> bool {
    same(session.csrf_token.as_bytes(), token.as_bytes())
}

/// Byte equality in time that depends only on the lengths.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && std::hint::black_box(a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y))) == 0
}
