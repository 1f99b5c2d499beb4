//! Passkeys (WebAuthn) in the console: a signed-in user registers, names and removes
//! passkeys on the Account page; anyone signs in with one (a discoverable credential with
//! user verification: possession and PIN/biometrics, multi-factor on its own) instead of
//! passphrase + TOTP. Challenges live here, in memory: random (ring's SystemRandom),
//! single use, two minutes, bound to the session (registration) or to the login form's
//! cookie (sign-in), and counted per client (an IPv4 address or an IPv6 /64: a budget of
//! options requests, a share of the pending challenges) so that one client cannot starve
//! the others; when the server-wide cap is reached, the fullest client's oldest sign-in
//! challenge makes room, never a registration of a signed-in session. The checks
//! themselves are [`super::webauthn`]'s. The ceremonies
//! speak JSON with the page's script (`assets/passkeys.js`); the forms are the console's
//! usual ones (session cookie, CSRF token). Accounts keep their passphrase and TOTP: a
//! passkey is an alternative way in, never the only one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;
use serde_json::{json, Value};

use super::pages::{self, Chrome};
use super::session::{self, Current, LOGIN_COOKIE};
use super::store::{AuditRecord, PasskeyRecord, PasskeyUse};
use super::webauthn::{self, RelyingParty, WebauthnError, EDDSA, ES256};
use super::{ConsoleState, PasskeyLimits};
use crate::conn::ClientAddr;
use crate::error::ServerError;
use crate::throttle::client_network;

/// How long a ceremony may take (the browser's `timeout` too).
pub const CHALLENGE_TTL_MS: u64 = 120_000;
/// The most passkeys one user may register.
pub const MAX_PASSKEYS: usize = 20;
/// The longest passkey name.
pub const MAX_NAME: usize = 64;
/// The largest ceremony request body (base64url of the bounded WebAuthn fields).
const MAX_BODY: usize = 32 * 1024;
/// The page sends the session's CSRF token in this header (registration).
pub const CSRF_HEADER: &str = "x-vigil-csrf";
/// The login page sends its form token in this header (sign-in).
pub const LOGIN_HEADER: &str = "x-vigil-login";

/// Why a ceremony was refused: a stable `code` and a sentence for the page.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    #[error("passkeys are not set up on this console (vigil-server --console-origin)")]
    Disabled,
    #[error("sign in first")]
    NotSignedIn,
    #[error("this request did not come from the console's page; reload it and try again")]
    Forbidden,
    #[error("this passkey request expired or was used already; try again")]
    UnknownChallenge,
    #[error("this passkey is not registered with the console (removed?)")]
    UnknownPasskey,
    #[error("this passkey is registered already")]
    AlreadyRegistered,
    #[error("name the passkey: 1 to {MAX_NAME} characters")]
    BadName,
    #[error("you have {MAX_PASSKEYS} passkeys: remove one first")]
    TooMany,
    #[error("malformed request: {0}")]
    Malformed(&'static str),
    #[error(transparent)]
    Webauthn(#[from] WebauthnError),
    #[error("too many attempts: try again in {0} s")]
    RateLimited(u64),
    #[error(transparent)]
    Server(#[from] ServerError),
}

impl PasskeyError {
    /// The error's code in the JSON answer (tests and the page's script read it).
    pub fn code(&self) -> &'static str {
        match self {
            PasskeyError::Disabled => "passkeys_disabled",
            PasskeyError::NotSignedIn => "not_signed_in",
            PasskeyError::Forbidden => "forbidden",
            PasskeyError::UnknownChallenge => "unknown_challenge",
            PasskeyError::UnknownPasskey => "unknown_passkey",
            PasskeyError::AlreadyRegistered => "already_registered",
            PasskeyError::BadName => "bad_name",
            PasskeyError::TooMany => "too_many_passkeys",
            PasskeyError::Malformed(_) => "malformed",
            PasskeyError::RateLimited(_) => crate::error::RATE_LIMITED,
            PasskeyError::Server(_) => "server_error",
            PasskeyError::Webauthn(w) => match w {
                WebauthnError::TooLarge(_) => "too_large",
                WebauthnError::Malformed(_) => "malformed",
                WebauthnError::Cbor(_) => "malformed_cbor",
                WebauthnError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
                WebauthnError::UnsupportedAttestation(_) => "unsupported_attestation",
                WebauthnError::WrongType(_) => "wrong_type",
                WebauthnError::WrongChallenge => "wrong_challenge",
                WebauthnError::WrongOrigin => "wrong_origin",
                WebauthnError::WrongRelyingParty => "wrong_rp",
                WebauthnError::UserNotPresent => "user_not_present",
                WebauthnError::UserNotVerified => "user_not_verified",
                WebauthnError::NoCredential => "no_credential",
                WebauthnError::BadSignature => "bad_signature",
                WebauthnError::CounterRegression => "counter_regression",
            },
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            PasskeyError::Disabled => StatusCode::NOT_FOUND,
            PasskeyError::NotSignedIn | PasskeyError::UnknownPasskey => StatusCode::UNAUTHORIZED,
            PasskeyError::Forbidden => StatusCode::FORBIDDEN,
            PasskeyError::AlreadyRegistered | PasskeyError::TooMany => StatusCode::CONFLICT,
            PasskeyError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            PasskeyError::Server(e) => e.status(),
            PasskeyError::Webauthn(WebauthnError::BadSignature)
            | PasskeyError::Webauthn(WebauthnError::CounterRegression) => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for PasskeyError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "console passkey ceremony failed");
        }
        let mut r = (
            status,
            Json(json!({ "code": self.code(), "message": self.to_string() })),
        )
            .into_response();
        if let PasskeyError::RateLimited(s) = self {
            if let Ok(v) = s.to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        r
    }
}

type Answer = Result<Response, PasskeyError>;

// ---------------------------------------------------------------------------------------
// Challenges

/// What a challenge was issued for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Purpose {
    /// Registration by the session with this id hash, for this user.
    Register { session: String, user_id: String },
    /// Sign-in from the login page whose form token hashes to this.
    SignIn { login: String },
}

impl Purpose {
    /// Whether a pending challenge for `self` may be dropped to make room for one for
    /// `new`: a sign-in's may (anyone can ask for one, so a flood is made of them); a
    /// registration's, bound to a signed-in session, only for another of that session.
    fn yields_to(&self, new: &Purpose) -> bool {
        match (self, new) {
            (Purpose::SignIn { .. }, _) => true,
            (Purpose::Register { session, .. }, Purpose::Register { session: s, .. }) => {
                session == s
            }
            (Purpose::Register { .. }, Purpose::SignIn { .. }) => false,
        }
    }
}

struct Pending {
    purpose: Purpose,
    /// The client that asked ([`client_network`]: an IPv4 address or an IPv6 /64; none
    /// when the connection's address is unknown).
    client: Option<IpAddr>,
    expires_ms: u64,
    /// The order of issue (the oldest has the smallest): challenges issued within one
    /// millisecond share an expiry, never an age.
    seq: u64,
}

impl Pending {
    fn age(&self) -> (u64, u64) {
        (self.expires_ms, self.seq)
    }
}

/// The ceremonies in progress, by challenge (base64url).
pub(crate) struct Challenges {
    pending: Mutex<HashMap<String, Pending>>,
    limits: PasskeyLimits,
    rng: SystemRandom,
    issued: AtomicU64,
}

impl Challenges {
    /// At most `limits.pending_per_address` pending for one client (an IPv4 address or an
    /// IPv6 /64), `limits.pending` in all.
    pub(crate) fn new(limits: PasskeyLimits) -> Self {
        Challenges {
            pending: Mutex::new(HashMap::new()),
            limits,
            rng: SystemRandom::new(),
            issued: AtomicU64::new(0),
        }
    }

    /// A new challenge for `purpose`, asked for by `client`. Room is made by dropping a
    /// challenge that [yields](Purpose::yields_to) to it, never a registration bound to
    /// another signed-in session: when `client` has its share pending, its own oldest;
    /// when the server has its most pending, the oldest of the client holding the most (a
    /// flood from many addresses churns the flooders' challenges first). 429 only when
    /// nothing may yield, until the oldest of those in the way expires.
    fn issue(
        &self,
        purpose: Purpose,
        client: Option<IpAddr>,
        now_ms: u64,
    ) -> Result<String, PasskeyError> {
        let client = client.map(client_network);
        let mut bytes = [0u8; 32];
        self.rng
            .fill(&mut bytes)
            .map_err(|_| ServerError::Storage("random".into()))?;
        let challenge = URL_SAFE_NO_PAD.encode(bytes);
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, p| p.expires_ms > now_ms);
        if client.is_some() {
            let theirs = pending.values().filter(|p| p.client == client).count();
            if theirs >= self.limits.pending_per_address.max(1) {
                make_room(&mut pending, &purpose, client, now_ms)?;
            }
        }
        if pending.len() >= self.limits.pending {
            let fullest = fullest_client(&pending, &purpose);
            match fullest {
                Some(c) => make_room(&mut pending, &purpose, c, now_ms)?,
                None => return Err(wait_for_oldest(pending.values(), now_ms)),
            }
        }
        pending.insert(
            challenge.clone(),
            Pending {
                purpose,
                client,
                expires_ms: now_ms.saturating_add(CHALLENGE_TTL_MS),
                seq: self.issued.fetch_add(1, Ordering::Relaxed),
            },
        );
        Ok(challenge)
    }

    /// Takes `challenge` (it works once, whatever follows) if it is live and was issued
    /// for `purpose`.
    fn take(&self, challenge: &str, purpose: &Purpose, now_ms: u64) -> Result<(), PasskeyError> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        match pending.remove(challenge) {
            Some(p) if p.expires_ms > now_ms && p.purpose == *purpose => Ok(()),
            Some(p) if p.expires_ms > now_ms => {
                // Someone else's challenge: put it back, it is still theirs.
                pending.insert(challenge.to_string(), p);
                Err(PasskeyError::UnknownChallenge)
            }
            _ => Err(PasskeyError::UnknownChallenge),
        }
    }
}

/// Drops `client`'s oldest pending challenge that yields to `new`, or says when one of
/// `client`'s expires (429) when none may.
fn make_room(
    pending: &mut HashMap<String, Pending>,
    new: &Purpose,
    client: Option<IpAddr>,
    now_ms: u64,
) -> Result<(), PasskeyError> {
    let oldest = pending
        .iter()
        .filter(|(_, p)| p.client == client && p.purpose.yields_to(new))
        .min_by_key(|(_, p)| p.age())
        .map(|(c, _)| c.clone());
    match oldest {
        Some(c) => {
            pending.remove(&c);
            Ok(())
        }
        None => Err(wait_for_oldest(
            pending.values().filter(|p| p.client == client),
            now_ms,
        )),
    }
}

/// The client holding the most pending challenges that yield to `new` (on a tie, the one
/// whose oldest is oldest), if any does.
fn fullest_client(pending: &HashMap<String, Pending>, new: &Purpose) -> Option<Option<IpAddr>> {
    let mut held: HashMap<Option<IpAddr>, (usize, (u64, u64))> = HashMap::new();
    for p in pending.values().filter(|p| p.purpose.yields_to(new)) {
        let e = held.entry(p.client).or_insert((0, (u64::MAX, u64::MAX)));
        e.0 += 1;
        e.1 = e.1.min(p.age());
    }
    held.into_iter()
        .max_by_key(|&(_, (count, oldest))| (count, std::cmp::Reverse(oldest)))
        .map(|(client, _)| client)
}

/// 429 until the first of `pending` expires.
fn wait_for_oldest<'a>(pending: impl Iterator<Item = &'a Pending>, now_ms: u64) -> PasskeyError {
    let oldest = pending.map(|p| p.expires_ms).min().unwrap_or(now_ms);
    PasskeyError::RateLimited(oldest.saturating_sub(now_ms).div_ceil(1000).max(1))
}

// ---------------------------------------------------------------------------------------
// Plumbing

fn rp(s: &ConsoleState) -> Result<&RelyingParty, PasskeyError> {
    s.config.passkeys.as_ref().ok_or(PasskeyError::Disabled)
}

fn b64(field: &'static str, v: &str) -> Result<Vec<u8>, PasskeyError> {
    URL_SAFE_NO_PAD
        .decode(v.trim_end_matches('='))
        .map_err(|_| PasskeyError::Malformed(field))
}

fn json_body<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, PasskeyError> {
    if body.len() > MAX_BODY {
        return Err(WebauthnError::TooLarge("request").into());
    }
    serde_json::from_slice(body).map_err(|_| PasskeyError::Malformed("request body"))
}

fn header_value<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The signed-in user of a ceremony request, whose CSRF header is the session's.
fn signed_in(s: &ConsoleState, headers: &HeaderMap) -> Result<Current, PasskeyError> {
    let cur = session::current(
        s.ctx.storage.as_ref(),
        headers,
        s.config.sessions,
        s.ctx.now_ms(),
        session::Activity::User,
    )?
    .ok_or(PasskeyError::NotSignedIn)?;
    if !session::csrf_ok(&cur.session, header_value(headers, CSRF_HEADER)) {
        return Err(PasskeyError::Forbidden);
    }
    Ok(cur)
}

/// The login form's token, when the header and the cookie agree (double submit).
fn login_token(headers: &HeaderMap) -> Result<String, PasskeyError> {
    let cookie = session::cookie(headers, LOGIN_COOKIE).unwrap_or("");
    let sent = header_value(headers, LOGIN_HEADER);
    if cookie.is_empty() || !session::same(cookie.as_bytes(), sent.as_bytes()) {
        return Err(PasskeyError::Forbidden);
    }
    Ok(session::hash_id(cookie))
}

/// Takes a token of the client address's options budget (before anything else is done).
fn options_budget(s: &ConsoleState, client: Option<IpAddr>) -> Result<(), PasskeyError> {
    match client {
        Some(addr) => s
            .ceremonies
            .take(addr, s.ctx.now_ms())
            .map_err(PasskeyError::RateLimited),
        None => Ok(()),
    }
}

/// Runs a ceremony step on the blocking pool.
async fn blocking<F>(s: ConsoleState, f: F) -> Response
where
    F: FnOnce(&ConsoleState) -> Answer + Send + 'static,
{
    match tokio::task::spawn_blocking(move || f(&s)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => e.into_response(),
        Err(_) => {
            PasskeyError::Server(ServerError::Storage("worker panicked".into())).into_response()
        }
    }
}

fn audit_user(
    s: &ConsoleState,
    team_id: &str,
    user: &str,
    action: &str,
    subject: &str,
) -> Result<(), ServerError> {
    s.ctx.storage.audit_add(
        team_id,
        &AuditRecord {
            at_ms: s.ctx.now_ms(),
            user_name: user.to_string(),
            action: action.to_string(),
            subject: subject.to_string(),
        },
    )
}

fn alg_name(alg: i64) -> &'static str {
    match alg {
        ES256 => "ES256",
        EDDSA => "Ed25519",
        _ => "?",
    }
}

// ---------------------------------------------------------------------------------------
// The Account page

struct PasskeyLine {
    id: String,
    name: String,
    alg: &'static str,
    added: String,
    last_used: String,
    synced: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    enabled: bool,
    rp_id: String,
    passkeys: Vec<PasskeyLine>,
    notice: Option<String>,
    max_name: usize,
}

fn account_page(s: &ConsoleState, cur: &Current, notice: Option<String>) -> pages::PageResult {
    let passkeys = s
        .ctx
        .storage
        .passkeys_of(&cur.user.id)?
        .into_iter()
        .map(|p| PasskeyLine {
            id: p.id,
            name: p.name,
            alg: alg_name(p.alg),
            added: pages::fmt_ms(p.created_ms),
            last_used: p
                .last_used_ms
                .map(pages::fmt_ms)
                .unwrap_or_else(|| "never".into()),
            synced: p.backed_up,
        })
        .collect();
    pages::render(&AccountPage {
        c: pages::chrome(cur, "account"),
        enabled: s.config.passkeys.is_some(),
        rp_id: s
            .config
            .passkeys
            .as_ref()
            .map(|r| r.id().to_string())
            .unwrap_or_default(),
        passkeys,
        notice,
        max_name: MAX_NAME,
    })
}

pub(crate) async fn account(State(s): State<ConsoleState>, headers: HeaderMap) -> Response {
    pages::with_user(s, headers, |s, cur| account_page(s, cur, None)).await
}

#[derive(Deserialize)]
pub(crate) struct RemoveForm {
    csrf: String,
    id: String,
}

/// Removes one of the user's own passkeys (a passkey of anyone else is not found).
pub(crate) async fn remove(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Form(form): Form<RemoveForm>,
) -> Response {
    pages::with_form(s, headers, form.csrf, move |s, cur| {
        match s.ctx.storage.passkey_remove(&cur.user.id, &form.id)? {
            Some(name) => {
                pages::audit(s, cur, "passkey removed", &name)?;
                Ok(Redirect::to("/console/account").into_response())
            }
            None => Ok(pages::status_page(
                StatusCode::NOT_FOUND,
                "No such passkey",
                "You have no passkey with this id (removed already?). Nothing was done.",
            )),
        }
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Registration

/// Starts a ceremony: takes a token of the client address's options budget, lets `start`
/// check who asks and say what the challenge is for and the options around it, issues the
/// challenge, and answers the options with it (and its timeout).
async fn options<F>(
    s: ConsoleState,
    client: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
    start: F,
) -> Response
where
    F: FnOnce(&ConsoleState, &RelyingParty, &HeaderMap) -> Result<(Purpose, Value), PasskeyError>
        + Send
        + 'static,
{
    let client = client.map(|axum::Extension(ClientAddr(a))| a.ip());
    blocking(s, move |s| {
        let rp = rp(s)?;
        options_budget(s, client)?;
        let (purpose, mut options) = start(s, rp, &headers)?;
        let challenge = s.challenges.issue(purpose, client, s.ctx.now_ms())?;
        options["challenge"] = json!(challenge);
        options["timeout"] = json!(CHALLENGE_TTL_MS);
        Ok(Json(options).into_response())
    })
    .await
}

/// `PublicKeyCredentialCreationOptions` for the signed-in user (binary fields base64url).
/// Rate-limited per client address (with the sign-in options).
pub(crate) async fn register_options(
    State(s): State<ConsoleState>,
    client: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
) -> Response {
    options(s, client, headers, |s, rp, headers| {
        let cur = signed_in(s, headers)?;
        let existing = s.ctx.storage.passkeys_of(&cur.user.id)?;
        if existing.len() >= MAX_PASSKEYS {
            return Err(PasskeyError::TooMany);
        }
        let exclude: Vec<_> = existing
            .iter()
            .map(
                |p| json!({ "type": "public-key", "id": URL_SAFE_NO_PAD.encode(&p.credential_id) }),
            )
            .collect();
        let options = json!({
            "rp": { "id": rp.id(), "name": "Vigil console" },
            "user": {
                "id": URL_SAFE_NO_PAD.encode(cur.user.id.as_bytes()),
                "name": cur.user.name,
                "displayName": format!("{} ({})", cur.user.name, cur.team.name),
            },
            "pubKeyCredParams": [
                { "type": "public-key", "alg": EDDSA },
                { "type": "public-key", "alg": ES256 },
            ],
            "attestation": "none",
            "authenticatorSelection": {
                "residentKey": "required",
                "requireResidentKey": true,
                "userVerification": "required",
            },
            "excludeCredentials": exclude,
        });
        let purpose = Purpose::Register {
            session: cur.session.id_hash,
            user_id: cur.user.id,
        };
        Ok((purpose, options))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Registration {
    name: String,
    #[serde(rename = "clientDataJSON")]
    client_data_json: String,
    attestation_object: String,
}

fn valid_name(name: &str) -> Option<String> {
    let name = name.trim();
    (!name.is_empty() && name.chars().count() <= MAX_NAME && !name.chars().any(char::is_control))
        .then(|| name.to_string())
}

/// Checks and stores a new passkey of the signed-in user.
pub(crate) async fn register(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    blocking(s, move |s| {
        let rp = rp(s)?;
        let cur = signed_in(s, &headers)?;
        let req: Registration = json_body(&body)?;
        let client_data = b64("clientDataJSON", &req.client_data_json)?;
        let attestation = b64("attestationObject", &req.attestation_object)?;
        let challenge = webauthn::client_challenge(&client_data)?;
        s.challenges.take(
            &challenge,
            &Purpose::Register {
                session: cur.session.id_hash.clone(),
                user_id: cur.user.id.clone(),
            },
            s.ctx.now_ms(),
        )?;
        let name = valid_name(&req.name).ok_or(PasskeyError::BadName)?;
        let reg = webauthn::verify_registration(rp, &challenge, &client_data, &attestation)?;
        let storage = s.ctx.storage.as_ref();
        if storage.passkeys_of(&cur.user.id)?.len() >= MAX_PASSKEYS {
            return Err(PasskeyError::TooMany);
        }
        let record = PasskeyRecord {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: cur.user.id.clone(),
            credential_id: reg.credential_id,
            name: name.clone(),
            alg: reg.public_key.alg,
            public_key: reg.public_key.key,
            sign_count: reg.sign_count,
            backed_up: reg.backed_up,
            created_ms: s.ctx.now_ms(),
            last_used_ms: None,
        };
        if !storage.passkey_add(&record)? {
            return Err(PasskeyError::AlreadyRegistered);
        }
        pages::audit(s, &cur, "passkey added", &name)?;
        Ok(Json(json!({ "id": record.id, "name": name })).into_response())
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Sign-in

/// `PublicKeyCredentialRequestOptions` for the login page: no credential list (the
/// authenticator offers its discoverable passkeys for this RP), user verification required.
/// Anonymous, so rate-limited per client address (with the registration options).
pub(crate) async fn sign_in_options(
    State(s): State<ConsoleState>,
    client: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
) -> Response {
    options(s, client, headers, |_, rp, headers| {
        let login = login_token(headers)?;
        let options = json!({
            "rpId": rp.id(),
            "userVerification": "required",
            "allowCredentials": [],
        });
        Ok((Purpose::SignIn { login }, options))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Assertion {
    /// The credential's raw id (base64url).
    id: String,
    #[serde(rename = "clientDataJSON")]
    client_data_json: String,
    authenticator_data: String,
    signature: String,
    #[serde(default)]
    user_handle: Option<String>,
}

/// Why a sign-in failed, and whose passkey it was (for the audit log).
struct Refused {
    error: PasskeyError,
    owner: Option<(String, String)>,
}

impl From<PasskeyError> for Refused {
    fn from(error: PasskeyError) -> Self {
        Refused { error, owner: None }
    }
}

impl From<WebauthnError> for Refused {
    fn from(error: WebauthnError) -> Self {
        PasskeyError::from(error).into()
    }
}

fn check_assertion(s: &ConsoleState, login: String, body: &Bytes) -> Result<String, Refused> {
    let rp = rp(s)?;
    let req: Assertion = json_body(body)?;
    let credential_id = b64("id", &req.id)?;
    let client_data = b64("clientDataJSON", &req.client_data_json)?;
    let auth_data = b64("authenticatorData", &req.authenticator_data)?;
    let signature = b64("signature", &req.signature)?;
    let challenge = webauthn::client_challenge(&client_data)?;
    let now = s.ctx.now_ms();
    s.challenges
        .take(&challenge, &Purpose::SignIn { login }, now)?;
    if credential_id.is_empty() || credential_id.len() > webauthn::MAX_CREDENTIAL_ID {
        return Err(PasskeyError::UnknownPasskey.into());
    }
    let storage = s.ctx.storage.as_ref();
    let passkey = storage
        .passkey_by_credential(&credential_id)
        .map_err(PasskeyError::from)?
        .ok_or(PasskeyError::UnknownPasskey)?;
    let user = storage
        .user(&passkey.user_id)
        .map_err(PasskeyError::from)?
        .ok_or(PasskeyError::UnknownPasskey)?;
    let owner = Some((user.team_id.clone(), user.name.clone()));
    let refuse = |error: PasskeyError| Refused {
        error,
        owner: owner.clone(),
    };
    if let Some(handle) = req.user_handle.as_deref().filter(|h| !h.is_empty()) {
        if b64("userHandle", handle).map_err(refuse)? != user.id.as_bytes() {
            return Err(refuse(PasskeyError::UnknownPasskey));
        }
    }
    let key = webauthn::PublicKey {
        alg: passkey.alg,
        key: passkey.public_key.clone(),
    };
    let data = webauthn::verify_assertion(
        rp,
        &challenge,
        &client_data,
        &auth_data,
        &signature,
        &key,
        passkey.sign_count,
    )
    .map_err(|e| refuse(e.into()))?;
    if !storage
        .passkey_use(&PasskeyUse {
            id: &passkey.id,
            from: passkey.sign_count,
            to: data.sign_count,
            backed_up: data.flags.backed_up(),
            at_ms: now,
        })
        .map_err(|e| refuse(e.into()))?
    {
        // Another sign-in moved the counter meanwhile: the same counter value twice.
        return Err(refuse(WebauthnError::CounterRegression.into()));
    }
    let id = session::open(storage, &user, s.config.sessions, now).map_err(|e| refuse(e.into()))?;
    audit_user(
        s,
        &user.team_id,
        &user.name,
        "signed in with a passkey",
        &passkey.name,
    )
    .map_err(|e| refuse(e.into()))?;
    Ok(id)
}

/// Checks an assertion and opens a session: the same cookie as a passphrase sign-in.
/// Rate-limited with the login form (the same buckets).
pub(crate) async fn sign_in(
    State(s): State<ConsoleState>,
    client: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = rp(&s) {
        return e.into_response();
    }
    let login = match login_token(&headers) {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let addr = client.map(|axum::Extension(ClientAddr(a))| a.ip());
    if let Some(addr) = addr {
        if let Err(retry_s) = s.logins.admit(addr, s.ctx.now_ms()) {
            return PasskeyError::RateLimited(retry_s).into_response();
        }
    }
    let st = s.clone();
    let joined = tokio::task::spawn_blocking(move || {
        let r = check_assertion(&st, login, &body);
        if let Err(Refused {
            error,
            owner: Some((team, name)),
        }) = &r
        {
            let _ = audit_user(&st, team, name, "passkey sign-in refused", error.code());
        }
        r
    })
    .await;
    match joined {
        Ok(Ok(id)) => {
            let mut r = Json(json!({ "redirect": "/console/incidents" })).into_response();
            session::signed_in(&mut r, &id, s.config.sessions);
            r
        }
        Ok(Err(refused)) => {
            if let Some(addr) = addr {
                s.logins.failed(addr, s.ctx.now_ms());
            }
            refused.error.into_response()
        }
        Err(_) => {
            PasskeyError::Server(ServerError::Storage("worker panicked".into())).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throttle::Rate;

    fn limits(pending_per_address: usize, pending: usize) -> PasskeyLimits {
        PasskeyLimits {
            per_address: Rate {
                burst: 1000,
                per_ms: 1,
            },
            pending_per_address,
            pending,
        }
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("address"))
    }

    fn sign_in(n: usize) -> Purpose {
        Purpose::SignIn {
            login: format!("form {n}"),
        }
    }

    fn register(session: &str) -> Purpose {
        Purpose::Register {
            session: session.into(),
            user_id: "user".into(),
        }
    }

    fn live(c: &Challenges, challenge: &str, purpose: &Purpose) -> bool {
        c.take(challenge, purpose, 1).is_ok()
    }

    #[test]
    fn the_addresses_of_one_ipv6_64_share_one_share() {
        let c = Challenges::new(limits(2, 100));
        // Three addresses of one /64: the third challenge drops the first.
        let a = c.issue(sign_in(1), ip("2001:db8::1"), 0).expect("a");
        let b = c.issue(sign_in(2), ip("2001:db8::2"), 0).expect("b");
        // Issued in the same millisecond: the order of issue says which is oldest.
        let d = c.issue(sign_in(3), ip("2001:db8::ffff:3"), 0).expect("c");
        // Another /64 keeps its own.
        let e = c.issue(sign_in(4), ip("2001:db8:0:1::1"), 0).expect("e");
        assert!(!live(&c, &a, &sign_in(1)), "the /64's oldest was dropped");
        assert!(live(&c, &b, &sign_in(2)));
        assert!(live(&c, &d, &sign_in(3)));
        assert!(live(&c, &e, &sign_in(4)));
    }

    #[test]
    fn a_flood_from_many_addresses_drops_the_fullest_clients_sign_ins_never_a_registration() {
        let c = Challenges::new(limits(4, 8));
        // A signed-in user starts a registration, someone else a sign-in.
        let reg = c
            .issue(register("s1"), ip("192.0.2.1"), 0)
            .expect("register");
        let mine = c.issue(sign_in(0), ip("192.0.2.2"), 0).expect("sign-in");
        // Two flooders, from many addresses of their /64s, fill the server and go on.
        let mut flood = Vec::new();
        for i in 1..=40u16 {
            let from = if i % 2 == 0 {
                "2001:db8:a::"
            } else {
                "2001:db8:b::"
            };
            let addr = ip(&format!("{from}{i:x}"));
            flood.push(c.issue(sign_in(i.into()), addr, 1).expect("flood answered"));
        }
        // Each flooder holds its share of 4 at most: the others' challenges stayed.
        assert!(live(&c, &reg, &register("s1")), "the registration survived");
        assert!(live(&c, &mine, &sign_in(0)), "the lone sign-in survived");
        let kept = flood
            .iter()
            .enumerate()
            .filter(|(i, f)| live(&c, f, &sign_in(i + 1)))
            .count();
        assert_eq!(kept, 6, "8 in all, 2 of them the others'");
    }

    #[test]
    fn when_only_registrations_are_pending_a_new_challenge_waits() {
        let c = Challenges::new(limits(4, 2));
        c.issue(register("s1"), ip("192.0.2.1"), 0).expect("one");
        c.issue(register("s2"), ip("192.0.2.2"), 0).expect("two");
        // Full of registrations of other sessions: a sign-in is refused, typed, with the
        // time until the first expires.
        match c.issue(sign_in(1), ip("192.0.2.3"), 20_000) {
            Err(PasskeyError::RateLimited(s)) => assert_eq!(s, 100),
            other => panic!("{other:?}"),
        }
        // A session's new registration replaces its own pending one.
        let again = c
            .issue(register("s1"), ip("192.0.2.1"), 20_000)
            .expect("again");
        assert!(live(&c, &again, &register("s1")));
        // Once they expire there is room again.
        c.issue(sign_in(1), ip("192.0.2.3"), CHALLENGE_TTL_MS + 20_001)
            .expect("room after expiry");
    }
}
