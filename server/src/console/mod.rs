//! The ops-room web console (issue 16), served by `vigil-server` under `/console`:
//! server-rendered pages (askama templates, compiled into the binary), a little
//! JavaScript (live updates by server-sent events, the Leaflet map), all assets served
//! from the binary. Console users are not devices: they log in with a passphrase and a
//! TOTP code, see only their team, and only read the officers' logs; leaders also issue
//! enrollment codes, revoke devices and export. Every action goes to the audit log.

pub mod accounts;
mod assets;
mod export;
mod files;
mod live;
mod package;
mod pages;
mod passkeys;
mod report;
pub mod session;
pub mod store;
mod store_pg;
mod store_sqlite;
pub mod totp;
pub mod view;
pub mod webauthn;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::service::Ctx;
use crate::throttle::{AddressThrottle, EnrollLimits, EnrollThrottle, Rate};
pub use session::SessionLimits;

/// RFC 3986's unreserved characters stay; everything else is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `s` as one component of a URI (a query value, an otpauth label).
pub(crate) fn urlencode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// What the console is configured with (`vigil-server` flags).
#[derive(Clone, Debug, Default)]
pub struct ConsoleConfig {
    /// Map tiles, `https://tiles.example/{z}/{x}/{y}.png`; without, the map draws on a
    /// plain background.
    pub tile_url: Option<String>,
    /// The address devices enroll with (shown with codes); default: the request's host.
    pub public_url: Option<String>,
    /// The TLS certificate pin devices enroll with (`sha256/...`), when serving HTTPS.
    pub pin: Option<String>,
    pub sessions: SessionLimits,
    /// The console's origin and relying party for passkeys (`--console-origin`); without
    /// it, passkeys are off (sign-in is passphrase and TOTP only).
    pub passkeys: Option<webauthn::RelyingParty>,
    pub passkey_limits: PasskeyLimits,
}

/// How many passkey ceremonies one client address may start (options asked for, signed in
/// or not), so that one address cannot take every pending challenge and starve the others.
#[derive(Clone, Copy, Debug)]
pub struct PasskeyLimits {
    /// Options requests per address; beyond, 429 with `Retry-After`.
    pub per_address: Rate,
    /// Challenges one address may have pending; beyond, its oldest is dropped.
    pub pending_per_address: usize,
    /// Challenges pending server-wide (memory stays bounded whoever asks); beyond, 429
    /// until the oldest expires.
    pub pending: usize,
}

/// 20 ceremonies per address, then one every 3 s; 32 pending per address, 1,024 in all.
impl Default for PasskeyLimits {
    fn default() -> Self {
        PasskeyLimits {
            per_address: Rate {
                burst: 20,
                per_ms: 3_000,
            },
            pending_per_address: 32,
            pending: 1024,
        }
    }
}

/// Login attempts: 5 failures per address, then one a minute; 50 across all addresses,
/// then one every 2 s (the enrollment throttle's buckets).
pub fn login_limits() -> EnrollLimits {
    EnrollLimits {
        per_address: Rate {
            burst: 5,
            per_ms: 60_000,
        },
        failures: Rate {
            burst: 50,
            per_ms: 2_000,
        },
    }
}

#[derive(Clone)]
pub(crate) struct ConsoleState {
    pub ctx: Arc<Ctx>,
    pub config: Arc<ConsoleConfig>,
    pub logins: Arc<EnrollThrottle>,
    /// Passkey options requests, per client address ([`PasskeyLimits::per_address`]).
    pub ceremonies: Arc<AddressThrottle>,
    pub views: Arc<view::ViewCache>,
    pub challenges: Arc<passkeys::Challenges>,
}

/// The console's routes, to be merged into the server's router.
pub fn router(ctx: Arc<Ctx>) -> Router {
    let config = Arc::new(ctx.console.clone());
    let limits = config.passkey_limits;
    let state = ConsoleState {
        ctx,
        config,
        logins: Arc::new(EnrollThrottle::new(login_limits())),
        ceremonies: Arc::new(AddressThrottle::new(limits.per_address)),
        views: Arc::new(view::ViewCache::default()),
        challenges: Arc::new(passkeys::Challenges::new(limits)),
    };
    Router::new()
        .route("/console", get(pages::home))
        .route("/console/", get(pages::home))
        .route("/console/login", get(pages::login_form).post(pages::login))
        .route("/console/logout", post(pages::logout))
        .route("/console/team", get(pages::team))
        .route("/console/team/codes", post(pages::issue_code))
        .route("/console/team/revoke", post(pages::revoke))
        .route("/console/incidents", get(pages::incidents))
        .route("/console/incidents/rows", get(pages::incident_rows))
        .route("/console/incidents/{id}", get(pages::incident))
        .route("/console/attachments/{id}", get(pages::attachment))
        .route("/console/advance", get(pages::advance))
        .route("/console/exports", get(pages::exports))
        .route("/console/exports/{kind}", post(pages::export))
        .route("/console/audit", get(pages::audit_log))
        .route("/console/account", get(passkeys::account))
        .route(
            "/console/account/passkeys/options",
            post(passkeys::register_options),
        )
        .route("/console/account/passkeys", post(passkeys::register))
        .route("/console/account/passkeys/remove", post(passkeys::remove))
        .route(
            "/console/login/passkey/options",
            post(passkeys::sign_in_options),
        )
        .route("/console/login/passkey", post(passkeys::sign_in))
        .route("/console/events", get(live::events))
        .route("/console/assets/{name}", get(assets::asset))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .with_state(state)
}

/// Every console answer: no caching, no framing, no sniffing, no referrer, and a content
/// security policy that allows only the console's own scripts and styles (and the
/// configured tile server's images).
async fn security_headers(
    axum::extract::State(s): axum::extract::State<ConsoleState>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let pairs = [
        (header::CACHE_CONTROL, "no-store".to_string()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        (header::X_FRAME_OPTIONS, "DENY".to_string()),
        (header::REFERRER_POLICY, "no-referrer".to_string()),
        (header::CONTENT_SECURITY_POLICY, csp(&s.config)),
    ];
    for (k, v) in pairs {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.entry(k).or_insert(v);
        }
    }
    res
}

/// The page's content security policy: its own origin only, images also from the tile
/// server when one is configured.
fn csp(config: &ConsoleConfig) -> String {
    let tiles = config
        .tile_url
        .as_deref()
        .and_then(tile_origin)
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{tiles}; \
         connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; \
         object-src 'none'"
    )
}

/// `https://host[:port]` of a tile URL template.
fn tile_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    if !matches!(scheme, "http" | "https") || host.is_empty() || host.contains(['{', '}']) {
        return None;
    }
    Some(format!("{scheme}://{host}"))
}
