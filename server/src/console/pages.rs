//! The console's pages and form actions. Every handler runs its storage work on the
//! blocking pool, checks the session first (else: to the login page), scopes every query
//! to the user's team, and checks the CSRF token of every form. Nothing here writes an
//! officer's log: the console reads; its only writes are enrollment codes, revocations,
//! sessions and the audit log.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use vigil_core::incident::model::{Category, Severity};
use zeroize::Zeroizing;

use super::accounts;
use super::files::{self, Opened};
use super::package::Outcome;
use super::session::{self, Current, LOGIN_COOKIE, SESSION_COOKIE};
use super::store::{AuditRecord, PendingReport};
use super::view::{Filter, IncidentView, TeamView, WalkView};
use super::ConsoleState;
use crate::conn::ClientAddr;
use crate::error::ServerError;
use crate::service;

/// The most incidents the list shows (the newest that match): a page stays small whatever
/// the team's history; the filters narrow it.
pub const MAX_ROWS: usize = 500;

pub(super) type PageResult = Result<Response, ServerError>;

// ---------------------------------------------------------------------------------------
// Plumbing

/// Runs `f` on the blocking pool with the request's session; without one, to the login page.
pub(super) async fn with_user<F>(s: ConsoleState, headers: HeaderMap, f: F) -> Response
where
    F: FnOnce(&ConsoleState, &Current) -> PageResult + Send + 'static,
{
    let joined = tokio::task::spawn_blocking(move || {
        let now = s.ctx.now_ms();
        let activity = session::Activity::of(&headers);
        match session::current(
            s.ctx.storage.as_ref(),
            &headers,
            s.config.sessions,
            now,
            activity,
        )? {
            None => Ok(Redirect::to("/console/login").into_response()),
            Some(cur) => f(&s, &cur),
        }
    })
    .await;
    match joined {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => error_page(&e),
        Err(_) => error_page(&ServerError::Storage("worker panicked".into())),
    }
}

/// Like [`with_user`], with the view of the user's team (its change log, as the pages read it).
async fn with_view<F>(s: ConsoleState, headers: HeaderMap, f: F) -> Response
where
    F: FnOnce(&ConsoleState, &Current, &TeamView) -> PageResult + Send + 'static,
{
    with_user(s, headers, move |s, cur| {
        let view = s.views.get(s.ctx.storage.as_ref(), &cur.team.id)?;
        f(s, cur, &view)
    })
    .await
}

/// Like [`with_user`] for a form: the CSRF token must be the session's, else 403.
pub(super) async fn with_form<F>(
    s: ConsoleState,
    headers: HeaderMap,
    csrf: String,
    f: F,
) -> Response
where
    F: FnOnce(&ConsoleState, &Current) -> PageResult + Send + 'static,
{
    with_user(s, headers, move |s, cur| {
        if !session::csrf_ok(&cur.session, &csrf) {
            return Ok(status_page(
                StatusCode::FORBIDDEN,
                "Form refused",
                "This form's security token is not this session's (a forged or stale form). \
                 Nothing was done. Reload the page and try again.",
            ));
        }
        f(s, cur)
    })
    .await
}

pub(super) fn render<T: Template>(t: &T) -> PageResult {
    let html = t
        .render()
        .map_err(|_| ServerError::Storage("template".into()))?;
    Ok(Html(html).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

pub(super) fn status_page(status: StatusCode, title: &str, message: &str) -> Response {
    let html = ErrorPage { title, message }
        .render()
        .unwrap_or_else(|_| title.to_string());
    (status, Html(html)).into_response()
}

pub(super) fn error_page(e: &ServerError) -> Response {
    let status = e.status();
    if status.is_server_error() {
        tracing::error!(error = %e, "console page failed");
    }
    status_page(status, "Something went wrong", &e.to_string())
}

pub(super) fn audit(
    s: &ConsoleState,
    cur: &Current,
    action: &str,
    subject: &str,
) -> Result<(), ServerError> {
    s.ctx.storage.audit_add(
        &cur.team.id,
        &AuditRecord {
            at_ms: s.ctx.now_ms(),
            user_name: cur.user.name.clone(),
            action: action.to_string(),
            subject: subject.to_string(),
        },
    )
}

pub(crate) fn fmt_ms(ms: u64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms as i64)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

fn fmt_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Short, for the list: `2024-05-01 12:05 UTC`.
fn fmt_minute(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}

/// What every signed-in page shows around its content.
pub(crate) struct Chrome {
    pub user: String,
    pub role: &'static str,
    pub team: String,
    pub csrf: String,
    pub nav: &'static str,
    pub leader: bool,
}

pub(super) fn chrome(cur: &Current, nav: &'static str) -> Chrome {
    Chrome {
        user: cur.user.name.clone(),
        role: cur.role.as_str(),
        team: cur.team.name.clone(),
        csrf: cur.session.csrf_token.clone(),
        nav,
        leader: cur.is_leader(),
    }
}

// ---------------------------------------------------------------------------------------
// Login

pub(crate) async fn home() -> Response {
    Redirect::to("/console/incidents").into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    token: String,
    error: Option<String>,
    /// Whether "Sign in with a passkey" is offered (passkeys configured).
    passkeys: bool,
}

fn login_page(s: &ConsoleState, status: StatusCode, error: Option<String>) -> Response {
    let token = match session::login_token() {
        Ok(t) => t,
        Err(e) => return error_page(&e),
    };
    let html = match (LoginPage {
        token: token.clone(),
        error,
        passkeys: s.config.passkeys.is_some(),
    })
    .render()
    {
        Ok(h) => h,
        Err(_) => return error_page(&ServerError::Storage("template".into())),
    };
    (
        status,
        [(
            header::SET_COOKIE,
            session::set_cookie(LOGIN_COOKIE, Some(&token), 3600),
        )],
        Html(html),
    )
        .into_response()
}

pub(crate) async fn login_form(State(s): State<ConsoleState>, headers: HeaderMap) -> Response {
    let ctx = s.ctx.clone();
    let config = s.config.clone();
    let signed_in = tokio::task::spawn_blocking(move || {
        session::current(
            ctx.storage.as_ref(),
            &headers,
            config.sessions,
            ctx.now_ms(),
            session::Activity::User,
        )
    })
    .await;
    if let Ok(Ok(Some(_))) = signed_in {
        return Redirect::to("/console/incidents").into_response();
    }
    login_page(&s, StatusCode::OK, None)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    name: String,
    passphrase: String,
    code: String,
    token: String,
}

pub(crate) async fn login(
    State(s): State<ConsoleState>,
    client: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
    Form(mut form): Form<LoginForm>,
) -> Response {
    let passphrase = Zeroizing::new(std::mem::take(&mut form.passphrase));
    // The login form's token must be the one this browser was given (double submit).
    let expected = session::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !session::same(expected.as_bytes(), form.token.as_bytes()) {
        return login_page(
            &s,
            StatusCode::FORBIDDEN,
            Some(
                "The form expired or was not sent from this page, or this browser kept no \
                 cookie from it (Safari and other WebKit browsers keep the console's secure \
                 cookies only over HTTPS). Try again."
                    .into(),
            ),
        );
    }
    let now = s.ctx.now_ms();
    let addr = client.map(|axum::Extension(ClientAddr(a))| a.ip());
    if let Some(addr) = addr {
        if let Err(retry_s) = s.logins.admit(addr, now) {
            return status_page(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                &format!("Too many failed logins from here. Try again in {retry_s} s."),
            );
        }
    }
    let st = s.clone();
    let joined = tokio::task::spawn_blocking(move || -> Result<Option<String>, ServerError> {
        let storage = st.ctx.storage.as_ref();
        let now = st.ctx.now_ms();
        let name = form.name.trim();
        match accounts::check_login(storage, name, &passphrase, &form.code, now)? {
            Some(user) => {
                let id = session::open(storage, &user, st.config.sessions, now)?;
                storage.audit_add(
                    &user.team_id,
                    &AuditRecord {
                        at_ms: now,
                        user_name: user.name.clone(),
                        action: "signed in".into(),
                        subject: String::new(),
                    },
                )?;
                Ok(Some(id))
            }
            None => {
                if let Some(user) = storage.user_by_name(name)? {
                    storage.audit_add(
                        &user.team_id,
                        &AuditRecord {
                            at_ms: now,
                            user_name: user.name,
                            action: "sign-in refused".into(),
                            subject: String::new(),
                        },
                    )?;
                }
                Ok(None)
            }
        }
    })
    .await;
    match joined {
        Ok(Ok(Some(id))) => {
            let mut r = Redirect::to("/console/incidents").into_response();
            session::signed_in(&mut r, &id, s.config.sessions);
            r
        }
        Ok(Ok(None)) => {
            if let Some(addr) = addr {
                s.logins.failed(addr, s.ctx.now_ms());
            }
            login_page(
                &s,
                StatusCode::UNAUTHORIZED,
                Some("Wrong name, passphrase or code.".into()),
            )
        }
        Ok(Err(e)) => error_page(&e),
        Err(_) => error_page(&ServerError::Storage("worker panicked".into())),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

pub(crate) async fn logout(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let mut r = with_form(s, headers, form.csrf, |s, cur| {
        s.ctx.storage.session_delete(&cur.session.id_hash)?;
        audit(s, cur, "signed out", "")?;
        Ok(Redirect::to("/console/login").into_response())
    })
    .await;
    if let Ok(v) = session::set_cookie(SESSION_COOKIE, None, 0).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

// ---------------------------------------------------------------------------------------
// Team

pub(crate) struct DeviceLine {
    id: String,
    officer: String,
    enrolled: String,
    last_sync: String,
    last_seq: u64,
    waiting: Waiting,
    revoked: Option<String>,
}

/// What a device last reported it still had to send, in words for the Team page.
pub(crate) struct Waiting {
    /// `all sent`, `3 changes and 1 attachment waiting`, or `not reported`.
    what: String,
    /// `reported 14:32 UTC (5 min ago)`; none when not reported.
    when: Option<String>,
    /// For the page's style: `sent`, `queued` or `unknown`.
    state: &'static str,
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Waiting {
    fn of(report: Option<PendingReport>, now_ms: u64) -> Waiting {
        let Some(r) = report else {
            return Waiting {
                what: "not reported".into(),
                when: None,
                state: "unknown",
            };
        };
        let p = r.pending;
        let (what, state) = match (p.changes, p.attachments) {
            (0, 0) => ("all sent".to_string(), "sent"),
            (c, 0) => (
                format!("{} waiting", plural(c, "change", "changes")),
                "queued",
            ),
            (0, a) => (
                format!("{} waiting", plural(a, "attachment", "attachments")),
                "queued",
            ),
            (c, a) => (
                format!(
                    "{} and {} waiting",
                    plural(c, "change", "changes"),
                    plural(a, "attachment", "attachments")
                ),
                "queued",
            ),
        };
        Waiting {
            what,
            when: Some(format!(
                "reported {} ({})",
                fmt_clock(r.reported_ms, now_ms),
                ago(r.reported_ms, now_ms)
            )),
            state,
        }
    }
}

/// `14:32 UTC` today, else `2024-05-01 14:32 UTC`.
fn fmt_clock(ms: u64, now_ms: u64) -> String {
    let day = |ms: u64| DateTime::<Utc>::from_timestamp_millis(ms as i64).map(|t| t.date_naive());
    match DateTime::<Utc>::from_timestamp_millis(ms as i64) {
        Some(t) if day(ms) == day(now_ms) => t.format("%H:%M UTC").to_string(),
        _ => fmt_ms(ms),
    }
}

/// `just now`, `5 min ago`, `3 h ago`, `2 days ago`.
fn ago(ms: u64, now_ms: u64) -> String {
    let min = now_ms.saturating_sub(ms) / 60_000;
    match min {
        0 => "just now".into(),
        1..=59 => format!("{min} min ago"),
        60..=2879 => format!("{} h ago", min / 60),
        _ => format!("{} days ago", min / 1440),
    }
}

pub(crate) struct IssuedCode {
    code: String,
    server: String,
    pin: Option<String>,
    uri: String,
    qr_svg: String,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    c: Chrome,
    devices: Vec<DeviceLine>,
    issued: Option<IssuedCode>,
    notice: Option<String>,
}

fn team_page(
    s: &ConsoleState,
    cur: &Current,
    issued: Option<IssuedCode>,
    notice: Option<String>,
) -> PageResult {
    let storage = s.ctx.storage.as_ref();
    let now = s.ctx.now_ms();
    let mut devices = Vec::new();
    for d in storage.team_devices(&cur.team.id)? {
        // This process's memory, else what the database recorded: the last change or report.
        let seen = s
            .ctx
            .last_seen(&d.id)
            .max(d.last_change_ms.unwrap_or(0))
            .max(d.reported.map_or(0, |r| r.reported_ms));
        devices.push(DeviceLine {
            officer: d.officer,
            enrolled: fmt_ms(d.enrolled_ms),
            last_sync: if seen == 0 {
                "never".into()
            } else {
                fmt_ms(seen)
            },
            last_seq: d.last_seq,
            waiting: Waiting::of(d.reported, now),
            revoked: d.revoked_ms.map(fmt_ms),
            id: d.id,
        });
    }
    render(&TeamPage {
        c: chrome(cur, "team"),
        devices,
        issued,
        notice,
    })
}

pub(crate) async fn team(State(s): State<ConsoleState>, headers: HeaderMap) -> Response {
    with_user(s, headers, |s, cur| team_page(s, cur, None, None)).await
}

fn forbidden_viewer() -> Response {
    status_page(
        StatusCode::FORBIDDEN,
        "Not allowed",
        "Only a team leader can do this. Nothing was done.",
    )
}

/// The address devices enroll with: the configured one, else this request's host.
fn server_url(s: &ConsoleState, headers: &HeaderMap) -> String {
    if let Some(u) = &s.config.public_url {
        return u.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if s.config.pin.is_some() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

fn qr_svg(text: &str) -> Result<String, ServerError> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(|_| ServerError::Storage("qr code".into()))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

pub(crate) async fn issue_code(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let server = server_url(&s, &headers);
    with_form(s, headers, form.csrf, move |s, cur| {
        if !cur.is_leader() {
            return Ok(forbidden_viewer());
        }
        let code = service::issue_code(s.ctx.storage.as_ref(), &cur.team.id)?;
        audit(s, cur, "enrollment code issued", "valid 24 h")?;
        let pin = s.config.pin.clone();
        let mut uri = format!(
            "vigil://enroll?url={}&code={}",
            super::urlencode(&server),
            super::urlencode(&code)
        );
        if let Some(p) = &pin {
            uri.push_str(&format!("&pin={}", super::urlencode(p)));
        }
        let issued = IssuedCode {
            qr_svg: qr_svg(&uri)?,
            code,
            server,
            pin,
            uri,
        };
        team_page(s, cur, Some(issued), None)
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct RevokeForm {
    csrf: String,
    device: String,
}

pub(crate) async fn revoke(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Form(form): Form<RevokeForm>,
) -> Response {
    let device = form.device;
    with_form(s, headers, form.csrf, move |s, cur| {
        if !cur.is_leader() {
            return Ok(forbidden_viewer());
        }
        let storage = s.ctx.storage.as_ref();
        // Another team's device is answered as no device at all.
        match storage.device(&device)? {
            Some(d) if d.team_id == cur.team.id => {}
            _ => return Err(ServerError::NotFound("device")),
        }
        storage.revoke_device(&device)?;
        audit(s, cur, "device revoked", &device)?;
        team_page(
            s,
            cur,
            None,
            Some(format!(
                "Device {device} is revoked: its next sync is refused."
            )),
        )
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Incidents

pub(crate) struct Row {
    id: String,
    occurred: String,
    category: String,
    severity: String,
    officer: String,
    summary: String,
    place: String,
    lat: String,
    lon: String,
    photos: usize,
    amendments: usize,
}

fn label(s: &str) -> String {
    let t = s.replace('_', " ");
    let mut c = t.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn summary(text: &str) -> String {
    let t: String = text.chars().take(120).collect();
    if text.chars().count() > 120 {
        format!("{t}…")
    } else {
        t
    }
}

fn row(view: &TeamView, i: &IncidentView) -> Row {
    let r = &i.report;
    let name_of = |list: &[super::view::Record], id: &Option<String>| {
        id.as_ref().map(|id| {
            list.iter()
                .find(|v| &v.id == id)
                .map(|v| v.name())
                .unwrap_or_else(|| id.clone())
        })
    };
    let place = [
        name_of(&view.venues, &r.venue_id),
        name_of(&view.routes, &r.route_id),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    Row {
        id: i.id.clone(),
        occurred: fmt_minute(&r.occurred.utc),
        category: label(r.category.as_str()),
        severity: r
            .severity
            .map(|s| s.as_str())
            .unwrap_or("unassessed")
            .to_string(),
        officer: i.officer(),
        summary: summary(&r.narrative),
        place,
        lat: r
            .location
            .as_ref()
            .map(|l| format!("{:.6}", l.latitude))
            .unwrap_or_default(),
        lon: r
            .location
            .as_ref()
            .map(|l| format!("{:.6}", l.longitude))
            .unwrap_or_default(),
        photos: r.attachments.len(),
        amendments: i.entries.len().saturating_sub(1),
    }
}

pub(crate) struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    c: Chrome,
    rows: Vec<Row>,
    /// How many match the filters (the list shows the newest [`MAX_ROWS`]).
    matching: usize,
    total: usize,
    f: Filter,
    query: String,
    categories: Vec<Choice>,
    severities: Vec<Choice>,
    officers: Vec<Choice>,
    venues: Vec<Choice>,
    routes: Vec<Choice>,
    cursor: u64,
    tiles: String,
}

#[derive(Template)]
#[template(path = "incident_rows.html")]
struct RowsFragment {
    rows: Vec<Row>,
}

/// How many incidents `f` selects, and the rows of the newest [`MAX_ROWS`] of them.
fn rows(view: &TeamView, f: &Filter) -> (usize, Vec<Row>) {
    let selected = view.filtered(f);
    let matching = selected.len();
    let rows = selected
        .into_iter()
        .take(MAX_ROWS)
        .map(|i| row(view, i))
        .collect();
    (matching, rows)
}

fn category_choices() -> Vec<Choice> {
    enum_choices(Category::ALL.iter().map(|c| c.as_str()))
}

fn severity_choices() -> Vec<Choice> {
    enum_choices(Severity::ALL.iter().map(|c| c.as_str()))
}

fn enum_choices<'a>(values: impl Iterator<Item = &'a str>) -> Vec<Choice> {
    values
        .map(|v| Choice {
            value: v.to_string(),
            label: label(v),
        })
        .collect()
}

/// The team's officers, by name.
fn officer_choices(view: &TeamView) -> Vec<Choice> {
    view.officers()
        .into_iter()
        .map(|o| Choice {
            value: o.clone(),
            label: o,
        })
        .collect()
}

fn choices(list: &[super::view::Record]) -> Vec<Choice> {
    list.iter()
        .map(|r| Choice {
            value: r.id.clone(),
            label: r.name(),
        })
        .collect()
}

pub(crate) async fn incidents(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Response {
    with_view(s, headers, move |s, cur, view| {
        let (matching, rows) = rows(view, &f);
        render(&IncidentsPage {
            matching,
            c: chrome(cur, "incidents"),
            total: view.incidents.len(),
            rows,
            query: f.query(),
            categories: category_choices(),
            severities: severity_choices(),
            officers: officer_choices(view),
            venues: choices(&view.venues),
            routes: choices(&view.routes),
            cursor: view.cursor,
            tiles: s.config.tile_url.clone().unwrap_or_default(),
            f,
        })
    })
    .await
}

/// The rows of the Incidents table for the same filters (the live refresh).
pub(crate) async fn incident_rows(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Response {
    with_view(s, headers, move |_, _, view| {
        let (_, rows) = rows(view, &f);
        let mut r = render(&RowsFragment { rows })?;
        // How many incidents the team has in all (the page's heading).
        if let Ok(v) = view.incidents.len().to_string().parse() {
            r.headers_mut().insert("x-vigil-total", v);
        }
        Ok(r)
    })
    .await
}

pub(crate) struct EntryLine {
    kind: &'static str,
    recorded: String,
    author: String,
    device: String,
    seq: u64,
    hash: String,
    reason: String,
    patch: String,
}

pub(crate) struct PhotoLine {
    id: String,
    mime: String,
    size: u64,
    sha256: String,
    image: bool,
    /// The blob is on the server, whole.
    here: bool,
}

pub(crate) struct ChainLine {
    device: String,
    anchored_seq: Option<u64>,
    anchored_hash: String,
    anchored_at: String,
    /// The incident's newest entry is at or below the anchored head.
    covered: bool,
    server_key: String,
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    c: Chrome,
    row: Row,
    occurred_zone: String,
    narrative: String,
    location: String,
    tags: String,
    vehicles: Vec<String>,
    people: Vec<String>,
    actions: Vec<String>,
    witnesses: Vec<String>,
    police_reference: String,
    entries: Vec<EntryLine>,
    photos: Vec<PhotoLine>,
    chain: ChainLine,
    tiles: String,
}

pub(crate) async fn incident(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with_view(s, headers, move |s, cur, view| {
        let storage = s.ctx.storage.as_ref();
        let i = view
            .incident(&id)
            .ok_or(ServerError::NotFound("incident"))?;
        let r = &i.report;
        let head = storage.chain_head(&i.device_id)?;
        let newest = i
            .entries
            .iter()
            .filter(|e| e.device_id == i.device_id)
            .map(|e| e.seq)
            .max()
            .unwrap_or(0);
        let chain = ChainLine {
            device: i.device_id.clone(),
            anchored_seq: head.as_ref().map(|h| h.seq),
            anchored_hash: head
                .as_ref()
                .map(|h| hex::encode(h.hash))
                .unwrap_or_default(),
            anchored_at: head
                .as_ref()
                .map(|h| fmt_ms(h.anchored_ms))
                .unwrap_or_default(),
            covered: head.as_ref().is_some_and(|h| h.seq >= newest),
            server_key: hex::encode(s.ctx.server_key()?.public_key()),
        };
        let mut photos = Vec::new();
        for a in &r.attachments {
            let here = match view.attachments.get(&a.id) {
                Some(b) => storage
                    .blob(&cur.team.id, &b.blob.sha256)?
                    .is_some_and(|st| st.complete),
                None => false,
            };
            photos.push(PhotoLine {
                id: a.id.clone(),
                mime: a.mime.clone(),
                size: a.size,
                sha256: a.sha256.clone(),
                image: a.mime.starts_with("image/"),
                here,
            });
        }
        let entries = i
            .entries
            .iter()
            .map(|e| EntryLine {
                kind: e.kind,
                recorded: fmt_time(&e.recorded_at),
                author: e.author.clone().unwrap_or_else(|| "-".into()),
                device: e.device_id.clone(),
                seq: e.seq,
                hash: short(&e.hash),
                reason: e.reason.clone().unwrap_or_default(),
                patch: e.patch.clone().unwrap_or_default(),
            })
            .collect();
        let list = |v: &[String]| v.to_vec();
        render(&IncidentPage {
            c: chrome(cur, "incidents"),
            row: row(view, i),
            occurred_zone: format!(
                "{} (local UTC{}{:02}:{:02}{})",
                fmt_time(&r.occurred.utc),
                if r.occurred.offset_minutes < 0 {
                    '-'
                } else {
                    '+'
                },
                r.occurred.offset_minutes.abs() / 60,
                r.occurred.offset_minutes.abs() % 60,
                r.occurred
                    .zone
                    .as_ref()
                    .map(|z| format!(", {z}"))
                    .unwrap_or_default()
            ),
            narrative: r.narrative.clone(),
            location: r
                .location
                .as_ref()
                .map(|l| {
                    format!(
                        "{:.6}, {:.6}{} ({})",
                        l.latitude,
                        l.longitude,
                        l.accuracy_m
                            .map(|a| format!(" ±{a:.0} m"))
                            .unwrap_or_default(),
                        l.source.as_str()
                    )
                })
                .unwrap_or_default(),
            tags: r.tags.join(", "),
            vehicles: r
                .vehicles
                .iter()
                .map(|v| v.details().collect::<Vec<_>>().join(", "))
                .collect(),
            people: r
                .people
                .iter()
                .map(|p| serde_json::to_string(p).unwrap_or_default())
                .collect(),
            actions: list(&r.actions_taken),
            witnesses: list(&r.witnesses),
            police_reference: r.police_reference.clone().unwrap_or_default(),
            entries,
            photos,
            chain,
            tiles: s.config.tile_url.clone().unwrap_or_default(),
        })
    })
    .await
}

/// A photo (any attachment) of the team, decrypted here for the page: the blob is opened
/// under the key its device sent, and its plaintext checked against the size and SHA-256
/// the incident's signed entry states. A mismatch is refused, never shown.
pub(crate) async fn attachment(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with_view(s, headers, move |s, cur, view| {
        let storage = s.ctx.storage.as_ref();
        let (signed, plain) = match files::open(storage, &cur.team.id, view, &id)? {
            Opened::File(signed, plain) => (signed, plain),
            Opened::TooLarge => {
                return Ok(status_page(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Too large to show",
                    "This attachment is larger than the console shows; export it instead.",
                ))
            }
            Opened::Refused => {
                return Ok(status_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Attachment refused",
                    "This file does not open, or is not the file the signed entry names \
                     (its SHA-256 differs). It is not shown.",
                ))
            }
        };
        audit(s, cur, "attachment opened", &id)?;
        let inline = matches!(
            signed.mime.as_str(),
            "image/jpeg" | "image/png" | "image/gif" | "image/webp"
        );
        let mime = if inline {
            signed.mime.clone()
        } else {
            "application/octet-stream".to_string()
        };
        let disposition = if inline {
            "inline".to_string()
        } else {
            format!("attachment; filename=\"{id}\"")
        };
        Ok((
            [
                (header::CONTENT_TYPE, mime),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            plain.to_vec(),
        )
            .into_response())
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Advance

pub(crate) struct Place {
    name: String,
    detail: String,
    walks: Vec<WalkView>,
}

#[derive(Template)]
#[template(path = "advance.html")]
struct AdvancePage {
    c: Chrome,
    venues: Vec<Place>,
    havens: Vec<Place>,
    routes: Vec<Place>,
    other_walks: Vec<WalkView>,
    map: String,
    tiles: String,
}

fn position(v: &serde_json::Value) -> Option<(f64, f64)> {
    Some((v.get("lat")?.as_f64()?, v.get("lon")?.as_f64()?))
}

fn line(v: Option<&serde_json::Value>) -> Vec<[f64; 2]> {
    v.and_then(serde_json::Value::as_array)
        .map(|a| a.iter().filter_map(position).map(|(a, b)| [a, b]).collect())
        .unwrap_or_default()
}

pub(crate) async fn advance(State(s): State<ConsoleState>, headers: HeaderMap) -> Response {
    with_view(s, headers, move |s, cur, view| {
        let mut features = Vec::new();
        let walks_of = |kind: &str, id: &str| -> Vec<WalkView> {
            view.walks
                .iter()
                .filter(|w| w.subject_kind == kind && w.subject_id == id)
                .cloned()
                .collect()
        };
        let mut venues = Vec::new();
        for v in &view.venues {
            if let Some((lat, lon)) = v.doc.get("position").and_then(position) {
                features.push(
                    serde_json::json!({"kind": "venue", "label": v.name(), "at": [lat, lon]}),
                );
            }
            let boundary = line(v.doc.get("boundary"));
            if boundary.len() > 2 {
                features.push(
                    serde_json::json!({"kind": "boundary", "label": v.name(), "line": boundary}),
                );
            }
            venues.push(Place {
                name: v.name(),
                detail: v
                    .doc
                    .get("address")
                    .and_then(|a| a.as_str())
                    .unwrap_or("")
                    .to_string(),
                walks: walks_of("venue", &v.id),
            });
        }
        let mut havens = Vec::new();
        for h in &view.havens {
            if let Some((lat, lon)) = h.doc.get("position").and_then(position) {
                features.push(
                    serde_json::json!({"kind": "haven", "label": h.name(), "at": [lat, lon]}),
                );
            }
            havens.push(Place {
                name: h.name(),
                detail: label(h.doc.get("kind").and_then(|k| k.as_str()).unwrap_or("")),
                walks: vec![],
            });
        }
        let mut routes = Vec::new();
        for r in &view.routes {
            let l = line(r.doc.get("line"));
            if l.len() > 1 {
                features.push(serde_json::json!({"kind": "route", "label": r.name(), "line": l}));
            }
            routes.push(Place {
                name: r.name(),
                detail: r
                    .doc
                    .get("role")
                    .and_then(|k| k.as_str())
                    .map(label)
                    .unwrap_or_default(),
                walks: walks_of("route", &r.id),
            });
        }
        let other_walks = view
            .walks
            .iter()
            .filter(|w| w.subject_kind != "venue" && w.subject_kind != "route")
            .cloned()
            .collect();
        render(&AdvancePage {
            c: chrome(cur, "advance"),
            venues,
            havens,
            routes,
            other_walks,
            map: serde_json::Value::Array(features).to_string(),
            tiles: s.config.tile_url.clone().unwrap_or_default(),
        })
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Audit and exports

pub(crate) struct AuditLine {
    at: String,
    user: String,
    action: String,
    subject: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    records: Vec<AuditLine>,
}

pub(crate) async fn audit_log(State(s): State<ConsoleState>, headers: HeaderMap) -> Response {
    with_user(s, headers, |s, cur| {
        let records = s
            .ctx
            .storage
            .audit_list(&cur.team.id, 500)?
            .into_iter()
            .map(|a| AuditLine {
                at: fmt_ms(a.at_ms),
                user: a.user_name,
                action: a.action,
                subject: a.subject,
            })
            .collect();
        render(&AuditPage {
            c: chrome(cur, "audit"),
            records,
        })
    })
    .await
}

#[derive(Template)]
#[template(path = "exports.html")]
struct ExportsPage {
    c: Chrome,
    total: usize,
    categories: Vec<Choice>,
    severities: Vec<Choice>,
    officers: Vec<Choice>,
}

pub(crate) async fn exports(State(s): State<ConsoleState>, headers: HeaderMap) -> Response {
    with_view(s, headers, |_, cur, view| {
        render(&ExportsPage {
            c: chrome(cur, "exports"),
            total: view.incidents.len(),
            categories: category_choices(),
            severities: severity_choices(),
            officers: officer_choices(view),
        })
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct ExportForm {
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    officer: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    q: String,
}

impl ExportForm {
    fn filter(&self) -> Filter {
        Filter {
            category: self.category.clone(),
            severity: self.severity.clone(),
            officer: self.officer.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            q: self.q.clone(),
            ..Filter::default()
        }
    }
}

/// A file the Exports page makes of a selection (`package::Outcome`: its bytes and how
/// many incidents it holds, or why it was not made).
type MakeFile = fn(&ConsoleState, &Current, &Filter) -> Result<Outcome, ServerError>;

/// One kind of export: what makes it, the audit log's word for it (also the file name's:
/// `vigil-{action}-{ms}.{extension}`), its content type, and the title of the page that
/// says why it was not made.
struct ExportKind {
    make: MakeFile,
    action: &'static str,
    extension: &'static str,
    mime: &'static str,
    refused: &'static str,
}

/// A leader downloads the file `kind` makes of the form's selection; audited. A viewer is
/// refused with nothing made.
async fn export_file(
    s: ConsoleState,
    headers: HeaderMap,
    form: ExportForm,
    kind: &'static ExportKind,
) -> Response {
    let filter = form.filter();
    with_form(s, headers, form.csrf, move |s, cur| {
        if !cur.is_leader() {
            return Ok(forbidden_viewer());
        }
        let (bytes, count) = match (kind.make)(s, cur, &filter)? {
            Outcome::Written(bytes, count) => (bytes, count),
            Outcome::Refused(why) => {
                return Ok(status_page(StatusCode::CONFLICT, kind.refused, why))
            }
        };
        audit(s, cur, kind.action, &selection_words(count, &filter))?;
        let name = format!(
            "vigil-{}-{}.{}",
            kind.action,
            s.ctx.now_ms(),
            kind.extension
        );
        Ok((
            [
                (header::CONTENT_TYPE, kind.mime.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response())
    })
    .await
}

/// The kinds of export, by the last segment of their route (`/console/exports/{kind}`).
static EXPORTS: [(&str, ExportKind); 3] = [
    // The signed entries of a selection as JSON (`export.rs`).
    (
        "incidents",
        ExportKind {
            make: |s, cur, filter| {
                let (count, bytes) = super::export::incidents_json(s, cur, filter, s.ctx.now_ms())?;
                Ok(Outcome::Written(bytes, count))
            },
            action: "export",
            extension: "json",
            mime: "application/json",
            refused: "No export",
        },
    ),
    // The PDF incident report of a selection (`report.rs`).
    (
        "report",
        ExportKind {
            make: |s, cur, filter| {
                let (count, bytes) = super::report::incidents_pdf(s, cur, filter)?;
                Ok(Outcome::Written(bytes, count))
            },
            action: "report",
            extension: "pdf",
            mime: "application/pdf",
            refused: "No report",
        },
    ),
    // The evidence package of a selection, assembled and signed by this server
    // (`package.rs`, docs/EVIDENCE.md).
    (
        "package",
        ExportKind {
            make: super::package::incidents_package,
            action: "package",
            extension: "zip",
            mime: "application/zip",
            refused: "No evidence package",
        },
    ),
];

/// `POST /console/exports/{kind}`: the file of that kind ([`EXPORTS`]) of the form's
/// selection; an unknown kind is not found.
pub(crate) async fn export(
    State(s): State<ConsoleState>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ExportForm>,
) -> Response {
    match EXPORTS.iter().find(|(name, _)| *name == kind) {
        Some((_, kind)) => export_file(s, headers, form, kind).await,
        None => status_page(
            StatusCode::NOT_FOUND,
            "No such export",
            "The console makes exports of incidents (JSON), reports (PDF) and evidence \
             packages (ZIP) only.",
        ),
    }
}

/// "3 incident(s) where severity high, a word search" for the audit log.
fn selection_words(count: usize, filter: &Filter) -> String {
    let selection = filter.describe();
    if selection.is_empty() {
        format!("{count} incident(s)")
    } else {
        format!("{count} incident(s) where {selection}")
    }
}
