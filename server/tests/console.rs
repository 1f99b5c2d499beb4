//! The web console's routes over real HTTP on loopback, on the storage the server tests
//! use (SQLite; PostgreSQL with `VIGIL_TEST_STORAGE=postgres`): sign-in with passphrase and TOTP,
//! sessions, CSRF, roles, team scoping, the pages reading what devices synced, photos
//! decrypted and checked, revocation, audit. (The browser tests are tests/console/.)

use crate::common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;

use common::{Device, TestServer};
use vigil_core::incident::{Category, IncidentLog, Report};
use vigil_server::console::accounts::{self, Role};
use vigil_server::console::totp;
use vigil_server::{ShiftedClock, Storage};

const PASS: &str = "correct horse battery staple";

/// A browser of one: a cookie jar and plain HTTP/1.1 over loopback.
struct Browser {
    addr: SocketAddr,
    cookies: HashMap<String, String>,
    /// The loopback address it connects from (the server's client address), when not
    /// the system's choice (127.0.0.1).
    from: Option<IpAddr>,
}

struct Page {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Page {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// The value of hidden input `name` in the page.
    fn hidden(&self, name: &str) -> String {
        let text = self.text();
        let marker = format!("name=\"{name}\" value=\"");
        let at = text.find(&marker).expect("hidden field") + marker.len();
        text[at..].split('"').next().expect("value").to_string()
    }
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl Browser {
    fn new(addr: SocketAddr) -> Browser {
        Browser {
            addr,
            cookies: HashMap::new(),
            from: None,
        }
    }

    /// A browser on another machine, as the server sees it: it connects from `from`
    /// (another loopback address, 127.0.0.2 say: all of 127/8 is this host's).
    fn from_address(addr: SocketAddr, from: IpAddr) -> Browser {
        Browser {
            from: Some(from),
            ..Browser::new(addr)
        }
    }

    fn connect(&self) -> TcpStream {
        let Some(from) = self.from else {
            return TcpStream::connect(self.addr).expect("connect");
        };
        // std cannot bind before connecting: tokio's socket can.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("runtime");
        let addr = self.addr;
        let s = rt
            .block_on(async move {
                let socket = tokio::net::TcpSocket::new_v4()?;
                socket.bind(SocketAddr::new(from, 0))?;
                socket.connect(addr).await?.into_std()
            })
            .expect("connect from another address");
        s.set_nonblocking(false).expect("blocking");
        s
    }

    fn request(&mut self, method: &str, path: &str, form: Option<&str>) -> Page {
        self.request_with(method, path, form, &[])
    }

    fn request_with(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Page {
        let mut s = self.connect();
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let body = form.unwrap_or("");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if !cookie.is_empty() {
            req.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        for (k, v) in extra {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if form.is_some() {
            if !extra
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
            }
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).expect("send");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header end");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .expect("status");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        for (k, v) in &headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let (name, rest) = v.split_once('=').expect("cookie");
                let value = rest.split(';').next().unwrap_or("");
                if value.is_empty() || v.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), value.to_string());
                }
            }
        }
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v == "chunked")
        {
            body = dechunk(&body);
        }
        Page {
            status,
            headers,
            body,
        }
    }

    fn get(&mut self, path: &str) -> Page {
        self.request("GET", path, None)
    }

    fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Page {
        self.request("POST", path, Some(&form_encode(pairs)))
    }

    /// Signs in with `code` (a TOTP code or anything else); returns the answer.
    fn sign_in_with(&mut self, name: &str, pass: &str, code: &str) -> Page {
        let form = self.get("/console/login");
        assert_eq!(form.status, 200);
        let token = form.hidden("token");
        self.post(
            "/console/login",
            &[
                ("token", &token),
                ("name", name),
                ("passphrase", pass),
                ("code", code),
            ],
        )
    }

    /// The CSRF token of the signed-in session (from any page's sign-out form).
    fn csrf(&mut self) -> String {
        self.get("/console/team").hidden("csrf")
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(nl) = b.windows(2).position(|w| w == b"\r\n") {
        let len = usize::from_str_radix(std::str::from_utf8(&b[..nl]).unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if len == 0 {
            break;
        }
        out.extend_from_slice(&b[nl + 2..nl + 2 + len]);
        b = &b[nl + 2 + len + 2..];
    }
    out
}

fn user(storage: &dyn Storage, name: &str, role: Role, team: &str) {
    accounts::create_user(storage, name, role, team, PASS, vigil_server::now_ms())
        .expect("create user");
}

/// A valid code for `name` now, for a step not used yet (waits for the next step when
/// the current one was used: a code works once).
fn code(storage: &dyn Storage, name: &str, now_ms: u64) -> String {
    let u = storage.user_by_name(name).expect("query").expect("user");
    let mut step = now_ms / totp::STEP_MS;
    if step <= u.totp_last_step {
        // One step of drift is accepted: the next step's code is valid now.
        step = u.totp_last_step + 1;
        assert!(step <= now_ms / totp::STEP_MS + 1, "no unused code left");
    }
    format!("{:06}", totp::code_at_step(&u.totp_secret, step))
}

fn signed_in(server: &TestServer, name: &str) -> Browser {
    let mut b = Browser::new(server.addr);
    let c = code(server.storage.as_ref(), name, vigil_server::now_ms());
    let r = b.sign_in_with(name, PASS, &c);
    assert_eq!(r.status, 303, "sign-in: {}", r.text());
    assert_eq!(r.header("location"), Some("/console/incidents"));
    b
}

/// A new user `name` of `team` in `role`, signed in.
fn signed_in_as(server: &TestServer, name: &str, role: Role, team: &str) -> Browser {
    user(server.storage.as_ref(), name, role, team);
    signed_in(server, name)
}

/// Asks, with `csrf`, to revoke `device`.
fn revoke(b: &mut Browser, csrf: &str, device: &str) -> Page {
    b.post(
        "/console/team/revoke",
        &[("csrf", csrf), ("device", device)],
    )
}

/// Whether the server holds `device` as revoked.
fn revoked(server: &TestServer, device: &str) -> bool {
    let held = server.storage.device(device).expect("query");
    held.expect("device").revoked
}

/// A new team "Alpha" whose leader `lead` is signed in: the team and the browser.
fn lead_signed_in(server: &TestServer) -> (String, Browser) {
    let team = server.new_team("Alpha");
    let b = signed_in_as(server, "lead", Role::Leader, &team);
    (team, b)
}

/// A JPEG-ish photo of 150 KiB (three sealed chunks).
fn photo() -> Vec<u8> {
    let mut p = b"\xFF\xD8\xFF\xE0photo".to_vec();
    p.extend((0..150 * 1024).map(|i| (i * 7 % 251) as u8));
    p
}

/// A team with a device that synced one incident with a photo.
fn team_with_incident(server: &TestServer, team: &str) -> (String, Device, String) {
    let team_id = server.new_team(team);
    let mut d = Device::new(&server.url());
    d.enroll(server, &team_id, "Bravo 2");
    let mut r = Report::quick(Category::HostileSurveillance, None);
    r.narrative = format!("Grey van opposite the entrance ({team})");
    let id = IncidentLog::new(&mut d.vault)
        .log(r)
        .expect("log")
        .incident_id;
    IncidentLog::new(&mut d.vault)
        .attach(&id, &mut &photo()[..], "image/jpeg", None)
        .expect("attach");
    d.sync().expect("sync");
    (team_id, d, id)
}

#[test]
fn leader_signs_in_and_reads_the_teams_incident_its_history_and_photo() {
    let server = TestServer::start();
    let (team, d, id) = team_with_incident(&server, "Alpha");
    let mut b = signed_in_as(&server, "lead", Role::Leader, &team);

    let list = b.get("/console/incidents");
    assert_eq!(list.status, 200);
    let html = list.text();
    assert!(html.contains(&format!("/console/incidents/{id}")));
    assert!(html.contains("Grey van opposite the entrance (Alpha)"));
    // Every answer forbids caching and framing and allows only our own scripts.
    assert_eq!(list.header("cache-control"), Some("no-store"));
    assert!(list
        .header("content-security-policy")
        .is_some_and(|c| c.contains("script-src 'self'")));

    let detail = b.get(&format!("/console/incidents/{id}"));
    assert_eq!(detail.status, 200);
    let html = detail.text();
    assert!(html.contains("Hostile surveillance"));
    // The report and the amendment that attached the photo, with the chain's state.
    assert_eq!(html.matches("<td>amendment</td>").count(), 1, "{html}");
    assert!(html.contains("covered by the anchored head"), "{html}");
    let photo_id = html
        .split("/console/attachments/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a photo link")
        .to_string();

    let img = b.get(&format!("/console/attachments/{photo_id}"));
    assert_eq!(img.status, 200, "{}", img.text());
    assert_eq!(img.header("content-type"), Some("image/jpeg"));
    assert_eq!(img.body, photo(), "the decrypted photo is the officer's");

    // Search and filters.
    assert!(b.get("/console/incidents?q=grey+VAN").text().contains(&id));
    assert!(!b.get("/console/incidents?q=bicycle").text().contains(&id));
    assert!(!b
        .get("/console/incidents?category=medical")
        .text()
        .contains(&id));
    assert!(b
        .get("/console/incidents?category=hostile_surveillance&officer=Bravo+2")
        .text()
        .contains(&id));
    assert!(!b
        .get("/console/incidents?to=2000-01-01")
        .text()
        .contains(&id));

    // What a device pushes next is on the next page (the cached view is refreshed).
    let mut d = d;
    let later = common::log(&mut d, "Cyclist circling the hotel twice");
    d.sync().expect("sync");
    let html = b.get("/console/incidents").text();
    assert!(html.contains(&later) && html.contains("Cyclist circling"));
    assert!(b
        .get("/console/incidents/rows?q=cyclist")
        .text()
        .contains(&later));

    // Every other page renders.
    for p in [
        "/console/team",
        "/console/advance",
        "/console/audit",
        "/console/exports",
    ] {
        assert_eq!(b.get(p).status, 200, "{p}");
    }
    let audit = b.get("/console/audit").text();
    assert!(audit.contains("signed in") && audit.contains("attachment opened"));
}

#[test]
fn a_photo_that_is_not_the_signed_file_is_refused() {
    let server = TestServer::start();
    let (team, _d, id) = team_with_incident(&server, "Alpha");
    user(server.storage.as_ref(), "lead", Role::Leader, &team);
    // The server's copy of the key is damaged (its database was tampered with): the blob
    // no longer opens to the file the entry signed, and nothing is shown.
    let changes = server.team_changes(&team);
    let ann = changes
        .iter()
        .find(|c| c.kind == "incident.attachment")
        .expect("announcement");
    let photo_id = ann.entity_id.clone();
    let key = ann.payload["file_key"].as_str().expect("key").to_string();
    let mut bad = key.clone().into_bytes();
    bad[0] = if bad[0] == b'0' { b'1' } else { b'0' };
    let bad = String::from_utf8(bad).expect("hex");
    tamper_payload(&server, &ann.op_id, &key, &bad);
    let mut b = signed_in(&server, "lead");
    let html = b.get(&format!("/console/incidents/{id}")).text();
    assert!(html.contains(&format!("/console/attachments/{photo_id}")));
    let r = b.get(&format!("/console/attachments/{photo_id}"));
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(!r.body.windows(5).any(|w| w == b"photo"));
    assert!(!b.get("/console/audit").text().contains("attachment opened"));
}

fn tamper_payload(server: &TestServer, op_id: &str, from: &str, to: &str) {
    let n = server.execute_behind(
        "UPDATE changes SET payload = replace(payload, $2, $3) WHERE op_id = $1",
        &[op_id, from, to],
    );
    assert_eq!(n, 1);
}

#[test]
fn wrong_passphrase_wrong_or_replayed_code_are_refused_and_logins_are_throttled() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    user(server.storage.as_ref(), "lead", Role::Leader, &team);
    let storage = server.storage.as_ref();
    let mut b = Browser::new(server.addr);

    let good = code(storage, "lead", vigil_server::now_ms());
    let r = b.sign_in_with("lead", "wrong passphrase!!", &good);
    assert_eq!(r.status, 401);
    assert!(r.text().contains("Wrong name, passphrase or code."));
    assert!(!b.cookies.contains_key("vigil_console"));
    let r = b.sign_in_with("nobody", PASS, &good);
    assert_eq!(r.status, 401);
    let wrong = format!(
        "{:06}",
        (good.parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    assert_eq!(b.sign_in_with("lead", PASS, &wrong).status, 401);

    // A good sign-in, then the same code again: a code works once.
    let r = b.sign_in_with("lead", PASS, &good);
    assert_eq!(r.status, 303, "{}", r.text());
    let mut other = Browser::new(server.addr);
    assert_eq!(other.sign_in_with("lead", PASS, &good).status, 401);

    // Five failures from this address, then 429 even with the right answer.
    let mut c = Browser::new(server.addr);
    let r = c.sign_in_with("lead", PASS, "000000");
    assert!(r.status == 401 || r.status == 429);
    let mut last = 0;
    for _ in 0..6 {
        last = c.sign_in_with("lead", "brute force guess", "123456").status;
    }
    assert_eq!(last, 429);
    let fresh = code(storage, "lead", vigil_server::now_ms());
    let r = c.sign_in_with("lead", PASS, &fresh);
    assert_eq!(r.status, 429, "throttled even with the right answer");
    assert!(r.text().contains("Too many failed logins"));
}

#[test]
fn a_login_form_without_its_token_is_refused() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    user(server.storage.as_ref(), "lead", Role::Leader, &team);
    let mut b = Browser::new(server.addr);
    let c = code(server.storage.as_ref(), "lead", vigil_server::now_ms());
    // Posted from elsewhere: no login cookie, a made-up token.
    let r = b.post(
        "/console/login",
        &[
            ("token", "00"),
            ("name", "lead"),
            ("passphrase", PASS),
            ("code", &c),
        ],
    );
    assert_eq!(r.status, 403);
    assert!(!b.cookies.contains_key("vigil_console"));
    // The page says why, including the browser that kept no cookie over plain HTTP.
    assert!(r.text().contains("only over HTTPS"), "{}", r.text());
}

#[test]
fn forged_csrf_is_refused_and_nothing_is_done() {
    let server = TestServer::start();
    let (team, mut d, _) = team_with_incident(&server, "Alpha");
    let mut b = signed_in_as(&server, "lead", Role::Leader, &team);
    let device = d.id();
    for token in ["", "forged", &"0".repeat(64)] {
        let r = revoke(&mut b, token, &device);
        assert_eq!(r.status, 403, "token {token:?}");
        assert!(r.text().contains("Form refused"));
        let r = b.post("/console/team/codes", &[("csrf", token)]);
        assert_eq!(r.status, 403);
    }
    assert!(!revoked(&server, &device));
    d.sync().expect("the device still syncs");
    // The session's own token works.
    let csrf = b.csrf();
    let r = b.post("/console/team/codes", &[("csrf", &csrf)]);
    assert_eq!(r.status, 200);
    assert!(r.text().contains("id=\"enrollment-code\""));
    assert!(r.text().contains("<svg"), "the code as a QR code");
}

#[test]
fn leader_issues_a_code_a_device_enrolls_with_it_and_is_revoked() {
    let server = TestServer::start();
    let (_, mut b) = lead_signed_in(&server);
    let csrf = b.csrf();
    let page = b.post("/console/team/codes", &[("csrf", &csrf)]).text();
    let code = page
        .split("id=\"enrollment-code\" class=\"big\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the code")
        .to_string();
    assert!(page.contains(&format!("vigil enroll http://{} {code}", server.addr)));

    let mut d = Device::new(&server.url());
    let url = server.url();
    d.engine
        .enroll(
            d.vault.db_mut().expect("unlocked"),
            &url,
            &code,
            "Charlie 1",
        )
        .expect("enroll with the console's code");
    common::log(&mut d, "first report");
    d.sync().expect("sync");
    let device = d.id();
    let team_page = b.get("/console/team").text();
    assert!(team_page.contains("Charlie 1") && team_page.contains(&device));
    assert!(team_page.contains("Active"));

    let r = revoke(&mut b, &csrf, &device);
    assert_eq!(r.status, 200);
    assert!(r.text().contains("is revoked"));
    common::log(&mut d, "after revocation");
    let err = d.sync().expect_err("a revoked device's sync is refused");
    assert!(
        matches!(err, vigil_core::sync::SyncError::Revoked),
        "{err:?}"
    );
    let audit = b.get("/console/audit").text();
    assert!(audit.contains("enrollment code issued") && audit.contains("device revoked"));
    assert!(!audit.contains(&code), "the audit log never holds a code");
}

#[test]
fn a_viewer_reads_but_cannot_issue_codes_or_revoke() {
    let server = TestServer::start();
    let (team, mut d, id) = team_with_incident(&server, "Alpha");
    let mut b = signed_in_as(&server, "watch", Role::Viewer, &team);
    assert!(b.get(&format!("/console/incidents/{id}")).status == 200);
    let team_page = b.get("/console/team").text();
    assert!(!team_page.contains("Issue an enrollment code"));
    assert!(!team_page.contains(">Revoke<"));
    let csrf = b.csrf();
    let device = d.id();
    let r = b.post("/console/team/codes", &[("csrf", &csrf)]);
    assert_eq!(r.status, 403);
    let r = revoke(&mut b, &csrf, &device);
    assert_eq!(r.status, 403);
    assert!(!revoked(&server, &device));
    d.sync().expect("still syncs");
}

#[test]
fn a_user_of_another_team_sees_nothing_of_this_one() {
    let server = TestServer::start();
    let (_alpha, mut d, id) = team_with_incident(&server, "Alpha");
    let bravo = server.new_team("Bravo");
    let mut b = signed_in_as(&server, "other", Role::Leader, &bravo);
    let list = b.get("/console/incidents").text();
    assert!(!list.contains(&id) && !list.contains("Grey van"));
    assert_eq!(b.get(&format!("/console/incidents/{id}")).status, 404);
    assert!(!b.get("/console/team").text().contains(&d.id()));
    let csrf = b.csrf();
    let device = d.id();
    let r = revoke(&mut b, &csrf, &device);
    assert_eq!(r.status, 404, "another team's device is no device");
    assert!(!revoked(&server, &device));
    d.sync().expect("still syncs");
}

#[test]
fn without_a_session_every_page_goes_to_sign_in() {
    let server = TestServer::start();
    let mut b = Browser::new(server.addr);
    for p in [
        "/console/incidents",
        "/console/team",
        "/console/advance",
        "/console/audit",
        "/console/exports",
        "/console/incidents/rows",
    ] {
        let r = b.get(p);
        assert_eq!(r.status, 303, "{p}");
        assert_eq!(r.header("location"), Some("/console/login"));
    }
    assert_eq!(b.get("/console/events").status, 401);
    // A made-up session cookie is no session.
    b.cookies.insert("vigil_console".into(), "ab".repeat(32));
    assert_eq!(b.get("/console/team").status, 303);
}

#[test]
fn sessions_end_when_idle_or_old_and_at_sign_out() {
    let clock = Arc::new(ShiftedClock::new(0));
    let server = TestServer::start_with_clock(clock.clone());
    let team = server.new_team("Alpha");
    user(server.storage.as_ref(), "lead", Role::Leader, &team);

    // Idle for 31 minutes: the session is gone.
    let mut b = signed_in(&server, "lead");
    assert_eq!(b.get("/console/team").status, 200);
    shift(&clock, 31 * 60 * 1000);
    assert_eq!(b.get("/console/team").status, 303);

    // Kept busy, it still ends 12 hours after sign-in.
    let mut b = Browser::new(server.addr);
    let now = vigil_server::now_ms() + 31 * 60 * 1000;
    let c = code(server.storage.as_ref(), "lead", now);
    assert_eq!(b.sign_in_with("lead", PASS, &c).status, 303);
    for _ in 0..25 {
        shift(&clock, 29 * 60 * 1000);
        if b.get("/console/team").status != 200 {
            break;
        }
    }
    assert_eq!(b.get("/console/team").status, 303);

    // What the page asks by itself (the live list) does not keep an idle session alive.
    let mut b = Browser::new(server.addr);
    let now = vigil_server::now_ms() + clock_offset(&clock);
    let c = code(server.storage.as_ref(), "lead", now);
    assert_eq!(b.sign_in_with("lead", PASS, &c).status, 303);
    shift(&clock, 20 * 60 * 1000);
    let r = b.request_with(
        "GET",
        "/console/incidents/rows",
        None,
        &[("X-Vigil-Background", "1")],
    );
    assert_eq!(r.status, 200, "still signed in after 20 minutes");
    shift(&clock, 15 * 60 * 1000);
    assert_eq!(
        b.get("/console/team").status,
        303,
        "idle: 35 minutes of no user request"
    );

    // Signed out: the old cookie opens nothing.
    let mut b = Browser::new(server.addr);
    let now = vigil_server::now_ms() + clock_offset(&clock);
    let c = code(server.storage.as_ref(), "lead", now);
    assert_eq!(b.sign_in_with("lead", PASS, &c).status, 303);
    let cookie = b.cookies.get("vigil_console").cloned().expect("cookie");
    let csrf = b.csrf();
    assert_eq!(b.post("/console/logout", &[("csrf", &csrf)]).status, 303);
    b.cookies.insert("vigil_console".into(), cookie);
    assert_eq!(b.get("/console/team").status, 303);
}

fn shift(c: &ShiftedClock, by_ms: i64) {
    c.set_offset_ms(clock_offset(c) as i64 + by_ms);
}

fn clock_offset(c: &ShiftedClock) -> u64 {
    use vigil_server::Clock;
    c.now_ms().saturating_sub(vigil_server::now_ms())
}

#[test]
fn session_cookies_are_httponly_secure_and_strict() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    user(server.storage.as_ref(), "lead", Role::Leader, &team);
    let mut b = Browser::new(server.addr);
    let c = code(server.storage.as_ref(), "lead", vigil_server::now_ms());
    let r = b.sign_in_with("lead", PASS, &c);
    let cookie = r
        .headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("vigil_console="))
        .map(|(_, v)| v.clone())
        .expect("session cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    // Only the id's hash is stored.
    let id = b.cookies.get("vigil_console").expect("id").clone();
    assert!(server.storage.session(&id).expect("q").is_none());
    assert!(server
        .storage
        .session(&vigil_server::console::session::hash_id(&id))
        .expect("q")
        .is_some());
}

#[test]
fn create_user_refuses_bad_input_and_keeps_the_first_user() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let s = server.storage.as_ref();
    let now = vigil_server::now_ms();
    let made = accounts::create_user(s, "lead", Role::Leader, "Alpha", PASS, now).expect("by name");
    assert!(made
        .otpauth_uri
        .starts_with("otpauth://totp/Vigil:lead?secret="));
    let err = |r: Result<accounts::NewUser, accounts::AccountError>| match r {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err(accounts::create_user(
        s,
        "lead",
        Role::Viewer,
        &team,
        PASS,
        now
    ))
    .contains("exists"));
    assert!(err(accounts::create_user(
        s,
        "x",
        Role::Viewer,
        &team,
        "short",
        now
    ))
    .contains("at least"));
    assert!(err(accounts::create_user(
        s,
        "a b",
        Role::Viewer,
        &team,
        PASS,
        now
    ))
    .contains("name"));
    assert!(err(accounts::create_user(
        s,
        "y",
        Role::Viewer,
        "Nope",
        PASS,
        now
    ))
    .contains("no team"));
    let u = s
        .user_by_name("lead")
        .expect("q")
        .expect("the first user is kept");
    assert_eq!(u.role, "leader");
    assert!(u.passphrase_hash.starts_with("$argon2id$"));
}

#[test]
fn the_live_stream_announces_an_incident_as_it_is_pushed() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let mut d = Device::new(&server.url());
    d.enroll(&server, &team, "Bravo 2");
    user(server.storage.as_ref(), "lead", Role::Leader, &team);
    let b = signed_in(&server, "lead");
    let cookie = format!(
        "vigil_console={}",
        b.cookies.get("vigil_console").expect("session")
    );
    let mut s = TcpStream::connect(server.addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    write!(
        s,
        "GET /console/events?cursor=0 HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n"
    )
    .expect("send");
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    // The answer's head first: an event stream.
    while !String::from_utf8_lossy(&seen).contains("\r\n\r\n") {
        let n = s.read(&mut buf).expect("read head");
        assert!(n > 0, "stream closed");
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).contains("text/event-stream"));
    // Then a first comment at once, before any event (Firefox reports the stream open
    // only on a first byte of the body).
    while !String::from_utf8_lossy(&seen).contains(": live") {
        let n = s.read(&mut buf).expect("the opening comment");
        assert!(n > 0, "stream closed");
        seen.extend_from_slice(&buf[..n]);
    }
    common::log(&mut d, "live report");
    d.sync().expect("sync");
    while !String::from_utf8_lossy(&seen).contains("event: incident") {
        let n = s.read(&mut buf).expect("an event within 20 s");
        assert!(n > 0, "stream closed");
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).contains("data: 1"));
}

#[test]
fn a_leader_exports_the_signed_entries_of_a_selection_and_a_viewer_cannot() {
    let server = TestServer::start();
    let (team, mut d, id) = team_with_incident(&server, "Alpha");
    common::log(&mut d, "a second, unrelated report");
    d.sync().expect("sync");
    user(server.storage.as_ref(), "lead", Role::Leader, &team);
    user(server.storage.as_ref(), "watch", Role::Viewer, &team);
    let mut b = signed_in(&server, "lead");
    let csrf = b.csrf();
    let r = b.post(
        "/console/exports/incidents",
        &[("csrf", &csrf), ("q", "grey van")],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r
        .header("content-disposition")
        .is_some_and(|c| c.starts_with("attachment")));
    let doc: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(doc["format"], "vigil.console-export/1");
    let incidents = doc["incidents"].as_array().expect("incidents");
    assert_eq!(incidents.len(), 1, "only the selection");
    assert_eq!(incidents[0]["incident_id"], id.as_str());
    let device = &doc["devices"][0];
    let key = hex::decode(device["public_key"].as_str().expect("key")).expect("hex");
    let sender = device["device_id"].as_str().expect("device");
    // Every entry checks on its own: hash over its body and signature under the key.
    for e in incidents[0]["entries"].as_array().expect("entries") {
        let seq = e["seq"].as_u64().expect("seq");
        let prev: [u8; 32] = hex::decode(e["prev_hash"].as_str().expect("prev"))
            .expect("hex")
            .try_into()
            .expect("32 bytes");
        vigil_core::incident::check_entry(e, sender, &id, &key, (seq - 1, prev))
            .expect("the exported entry verifies");
    }
    let receipt = &device["receipt"];
    assert_eq!(receipt["seq"], device["anchored_head"]["seq"]);
    assert_eq!(receipt["hash"], device["anchored_head"]["hash"]);
    assert_eq!(receipt["device_public_key"], device["public_key"]);
    let audit = b.get("/console/audit").text();
    assert!(audit.contains("1 incident(s) where a word search"));
    assert!(
        !audit.contains("grey"),
        "the audit log never holds the words searched"
    );
    // The console makes three kinds of export: another is not found, and nothing is made.
    let csrf = b.csrf();
    let r = b.post("/console/exports/everything", &[("csrf", &csrf)]);
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(
        b.get("/console/audit")
            .text()
            .matches("incident(s)")
            .count(),
        1,
        "only the export above is in the audit log"
    );

    let mut v = signed_in(&server, "watch");
    let csrf = v.csrf();
    let r = v.post("/console/exports/incidents", &[("csrf", &csrf)]);
    assert_eq!(r.status, 403);
}

/// The text of a PDF, as poppler's `pdftotext` reads it (one space between words).
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, tests/lib/setup.sh)");
    assert!(out.status.success(), "pdftotext refused the PDF");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_leader_downloads_the_pdf_report_of_a_selection_and_a_viewer_cannot() {
    let server = TestServer::start();
    let (team, mut d, id) = team_with_incident(&server, "Alpha");
    common::log(&mut d, "a second, unrelated report");
    d.sync().expect("sync");
    user(server.storage.as_ref(), "lead", Role::Leader, &team);
    user(server.storage.as_ref(), "watch", Role::Viewer, &team);
    let mut b = signed_in(&server, "lead");

    // Without the form's token nothing is made.
    let r = b.post(
        "/console/exports/report",
        &[("csrf", "forged"), ("q", "grey van")],
    );
    assert_eq!(r.status, 403);

    let csrf = b.csrf();
    let r = b.post(
        "/console/exports/report",
        &[("csrf", &csrf), ("q", "grey van")],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert!(r
        .header("content-disposition")
        .is_some_and(|c| c.starts_with("attachment") && c.contains(".pdf")));
    assert!(r.body.starts_with(b"%PDF-"));
    let text = pdf_text(&r.body);
    assert!(
        text.contains("Grey van opposite the entrance (Alpha)"),
        "the narrative: {text}"
    );
    assert!(text.contains("Alpha"), "the team");
    assert!(text.contains(&id), "the incident id");
    assert!(
        !text.contains("a second, unrelated report"),
        "only the selection"
    );
    // One reporting device: its anchored head and the receipt signed now.
    assert!(text.contains("CHAIN VERIFIED"), "{text}");
    assert!(text.contains("Anchored by the team server seq"), "{text}");

    let audit = b.get("/console/audit").text();
    assert!(audit.contains("report"));
    assert!(audit.contains("1 incident(s) where a word search"));
    assert!(!audit.contains("grey"));

    let mut v = signed_in(&server, "watch");
    let csrf = v.csrf();
    let r = v.post("/console/exports/report", &[("csrf", &csrf)]);
    assert_eq!(r.status, 403);
}

/// A clock that stands still: two requests made under it are made at the same instant.
struct StoppedClock(u64);

impl vigil_server::Clock for StoppedClock {
    fn now_ms(&self) -> u64 {
        self.0
    }
}

#[test]
fn the_pdf_report_embeds_the_json_export_of_its_selection() {
    // Stopped, so the report's embedded export and the export downloaded beside it carry
    // the same instant and can be compared byte for byte.
    let server = TestServer::start_with_clock(Arc::new(StoppedClock(vigil_server::now_ms())));
    let (team, mut d, id) = team_with_incident(&server, "Alpha");
    common::log(&mut d, "a second, unrelated report");
    d.sync().expect("sync");
    let mut b = signed_in_as(&server, "lead", Role::Leader, &team);
    let csrf = b.csrf();
    let selection = [("csrf", csrf.as_str()), ("q", "grey van")];
    let pdf = b.post("/console/exports/report", &selection);
    assert_eq!(pdf.status, 200, "{}", pdf.text());
    let json = b.post("/console/exports/incidents", &selection);
    assert_eq!(json.status, 200, "{}", json.text());

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, &pdf.body).expect("write");
    let list = std::process::Command::new("pdfdetach")
        .arg("-list")
        .arg(&path)
        .output()
        .expect("pdfdetach (poppler-utils, tests/lib/setup.sh)");
    assert!(list.status.success());
    let list = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(list.contains("1 embedded files"), "{list}");
    assert!(list.contains("console-export.json"), "{list}");
    let out = dir.path().join("embedded.json");
    let detach = std::process::Command::new("pdfdetach")
        .args(["-save", "1", "-o"])
        .arg(&out)
        .arg(&path)
        .status()
        .expect("pdfdetach");
    assert!(detach.success());
    let embedded = std::fs::read(&out).expect("the embedded file");
    assert_eq!(
        embedded, json.body,
        "the embedded file is the JSON export of the same selection, byte for byte"
    );
    let doc: serde_json::Value = serde_json::from_slice(&embedded).expect("json");
    assert_eq!(doc["format"], "vigil.console-export/1");
    assert_eq!(doc["incidents"].as_array().map(Vec::len), Some(1));
    assert_eq!(doc["incidents"][0]["incident_id"], id.as_str());
    assert!(doc["devices"][0]["receipt"].is_object(), "a fresh receipt");

    // The report says what is embedded and how to check it.
    let text = pdf_text(&pdf.body);
    assert!(
        text.contains("embedded in this PDF as console-export.json"),
        "{text}"
    );
    assert!(text.contains("docs/INCIDENT_LOG.md"), "{text}");
    assert!(!text.contains("incident-bundle.json"), "{text}");
}

#[test]
fn admin_create_user_reads_the_passphrase_from_stdin_and_prints_the_totp_uri_once() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = env!("CARGO_BIN_EXE_vigil-server");
    let admin = |args: &[&str], stdin: &str| {
        let mut child = Command::new(bin)
            .arg("--data-dir")
            .arg(dir.path())
            .arg("admin")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // A command that reads nothing (or is refused first) may exit before the write.
        let _ = child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes());
        child.wait_with_output().expect("run")
    };
    let team = admin(&["create-team", "Alpha"], "");
    assert!(team.status.success());
    let out = admin(
        &["create-user", "lead", "--role", "leader", "--team", "Alpha"],
        &format!("{PASS}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("created console user lead (leader) of team Alpha"));
    let uri = text
        .lines()
        .find(|l| l.starts_with("otpauth://totp/Vigil:lead?secret="))
        .expect("the otpauth URI");
    assert!(uri.contains("&digits=6&period=30"));
    assert!(!text.contains(PASS) && !String::from_utf8_lossy(&out.stderr).contains(PASS));

    // Refused, with a reason and exit status 1, and nothing stored: a short passphrase,
    // a taken name, an unknown team, a bad role.
    for (args, stdin, reason) in [
        (
            vec!["create-user", "x", "--role", "viewer", "--team", "Alpha"],
            "short\n",
            "at least",
        ),
        (
            vec!["create-user", "lead", "--role", "viewer", "--team", "Alpha"],
            "correct horse battery\n",
            "exists",
        ),
        (
            vec!["create-user", "y", "--role", "viewer", "--team", "Nope"],
            "correct horse battery\n",
            "no team",
        ),
    ] {
        let out = admin(&args, stdin);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(reason),
            "{args:?}"
        );
    }
    let out = admin(
        &["create-user", "z", "--role", "admin", "--team", "Alpha"],
        PASS,
    );
    assert_eq!(out.status.code(), Some(2), "clap refuses an unknown role");
}

#[test]
fn a_tile_url_is_configuration_and_the_policy_allows_its_origin_only() {
    use vigil_server::console::ConsoleConfig;
    let dir = tempfile::tempdir().expect("tempdir");
    let storage: Arc<dyn Storage> =
        Arc::new(vigil_server::SqliteStorage::open_dir(dir.path()).expect("open"));
    let ctx = vigil_server::Ctx::new(storage.clone()).with_console(ConsoleConfig {
        tile_url: Some("https://tiles.example.org:8443/{z}/{x}/{y}.png".into()),
        ..ConsoleConfig::default()
    });
    let server = vigil_server::BackgroundServer::start_ctx(
        Arc::new(ctx),
        "127.0.0.1:0".parse().expect("addr"),
        vigil_server::api::DEFAULT_BODY_LIMIT,
    )
    .expect("start");
    let team = storage.create_team("Alpha").expect("team");
    user(storage.as_ref(), "lead", Role::Leader, &team);
    let mut b = Browser::new(server.addr);
    let c = code(storage.as_ref(), "lead", vigil_server::now_ms());
    assert_eq!(b.sign_in_with("lead", PASS, &c).status, 303);
    let page = b.get("/console/incidents");
    assert!(page
        .text()
        .contains("data-tiles=\"https://tiles.example.org:8443/{z}/{x}/{y}.png\""));
    let csp = page.header("content-security-policy").expect("csp");
    assert!(
        csp.contains("img-src 'self' data: blob: https://tiles.example.org:8443;"),
        "{csp}"
    );
    assert!(csp.contains("script-src 'self';") && csp.contains("connect-src 'self';"));

    // Without one: no tile layer, and images from this origin only.
    let team2 = TestServer::start();
    let t = team2.new_team("Bravo");
    user(team2.storage.as_ref(), "b", Role::Viewer, &t);
    let mut b = signed_in(&team2, "b");
    let page = b.get("/console/advance");
    assert!(page.text().contains("data-tiles=\"\""));
    let csp = page.header("content-security-policy").expect("csp");
    assert!(csp.contains("img-src 'self' data: blob:;"), "{csp}");
}

/// The device's own transport with the requests of `refuse` failing as a cut connection
/// would (a dead link for those requests only), to stop a sync at a chosen point.
struct Flaky {
    inner: vigil_core::sync::transport::HttpTransport,
    refuse: Arc<std::sync::Mutex<Refuse>>,
}

#[derive(Clone, Copy, PartialEq)]
enum Refuse {
    Nothing,
    /// Every push batch with entries after the first one.
    PushesAfterOne {
        seen: bool,
    },
    /// Every attachment upload.
    Uploads,
}

impl vigil_core::sync::Transport for Flaky {
    fn post(
        &self,
        path: &str,
        body: Vec<u8>,
    ) -> Result<vigil_core::sync::Response, vigil_core::sync::TransportError> {
        use vigil_core::sync::protocol::{paths, PushBatch};
        let cut = Err(vigil_core::sync::TransportError::Io(
            "cut by the test".into(),
        ));
        let mut refuse = self.refuse.lock().expect("refuse");
        match *refuse {
            Refuse::PushesAfterOne { seen } if path == paths::PUSH => {
                let batch: PushBatch = serde_json::from_slice(&body).expect("a batch");
                if !batch.entries.is_empty() {
                    if seen {
                        return cut;
                    }
                    *refuse = Refuse::PushesAfterOne { seen: true };
                }
            }
            Refuse::Uploads if path == paths::BLOB_PUT => return cut,
            _ => {}
        }
        drop(refuse);
        self.inner.post(path, body)
    }
}

/// The row of device `id` on the Team page.
fn device_row(page: &str, id: &str) -> String {
    let start = page
        .find(&format!("<tr data-device=\"{id}\">"))
        .expect("the device's row");
    let len = page[start..].find("</tr>").expect("row end");
    page[start..start + len].to_string()
}

/// The time of the device's last report as the page writes it (`14:32 UTC`).
fn report_time(server: &TestServer, team: &str, id: &str) -> String {
    let row = server
        .storage
        .team_devices(team)
        .expect("devices")
        .into_iter()
        .find(|d| d.id == id)
        .expect("device");
    let at = row.reported.expect("a report").reported_ms;
    let t = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(at as i64).expect("time");
    t.format("%H:%M UTC").to_string()
}

#[test]
fn the_team_page_shows_what_each_device_last_reported_it_still_had_to_send() {
    use vigil_core::sync::protocol::{paths, PullRequest, PushBatch};
    let server = TestServer::start();
    let (team, mut b) = lead_signed_in(&server);

    let refuse = Arc::new(std::sync::Mutex::new(Refuse::Nothing));
    let mut d = Device::new(&server.url());
    let inner = vigil_core::sync::transport::HttpTransport::without_reuse(
        &server.url(),
        std::time::Duration::from_secs(5),
    )
    .expect("transport");
    d.engine = vigil_core::team::engine(Box::new(Flaky {
        inner,
        refuse: refuse.clone(),
    }))
    .with_page_sizes(1, 500);
    d.enroll(&server, &team, "Delta 1");
    let id = d.id();

    // Enrolled, never synced: nothing reported yet.
    let page = b.get("/console/team").text();
    assert!(device_row(&page, &id).contains("not reported"), "{page}");

    // Three entries and a photo waiting; the link dies after a batch of one.
    for text in [
        "Van at the gate",
        "Same van, second pass",
        "Driver photographing",
    ] {
        common::log(&mut d, text);
    }
    let (incident, _) = d.log_with_photo(&photo());
    let before = d.status();
    assert_eq!(before.attachments_to_upload, 1);
    *refuse.lock().expect("refuse") = Refuse::PushesAfterOne { seen: false };
    d.sync().expect_err("the link dies after one batch");
    let left = before.pending - 1;
    let row = device_row(&b.get("/console/team").text(), &id);
    assert!(
        row.contains(&format!("{left} changes and 1 attachment waiting")),
        "{row}"
    );
    assert!(
        row.contains(&format!("reported {} (", report_time(&server, &team, &id))),
        "{row}"
    );
    assert_eq!(d.status().pending, left, "nothing was lost");

    // Every change goes; the photo's upload fails: the pull reported the photo alone.
    *refuse.lock().expect("refuse") = Refuse::Uploads;
    d.sync().expect_err("the upload fails");
    let row = device_row(&b.get("/console/team").text(), &id);
    assert!(row.contains("1 attachment waiting"), "{row}");
    assert!(!row.contains("change"), "{row}");

    // It drains: the report after the upload says all is sent.
    *refuse.lock().expect("refuse") = Refuse::Nothing;
    d.sync().expect("sync");
    let row = device_row(&b.get("/console/team").text(), &id);
    assert!(row.contains("all sent"), "{row}");
    assert!(row.contains(&format!("reported {}", report_time(&server, &team, &id))));
    let photo_page = b.get(&format!("/console/incidents/{incident}")).text();
    assert!(
        photo_page.contains("Man photographing"),
        "the incident arrived"
    );

    // A device of the previous release syncs without the field: "not reported", and an
    // earlier report is never mistaken for its figure.
    let mut old = Device::new(&server.url());
    old.enroll(&server, &team, "Echo 2");
    let old_id = old.id();
    let t = server.transport();
    let batch = PushBatch::signed(&old_id, vec![], old.db().device_key());
    assert_eq!(batch.pending, None);
    let (status, _) = common::post_json(&t, paths::PUSH, &batch);
    assert_eq!(status, 200);
    let now = old.db().now_ms();
    let pull = PullRequest::signed(&old_id, 0, 10, now, old.db().device_key());
    let (status, _) = common::post_json(&t, paths::PULL, &pull);
    assert_eq!(status, 200);
    let page = b.get("/console/team").text();
    let row = device_row(&page, &old_id);
    assert!(
        row.contains("not reported") && !row.contains("never"),
        "{row}"
    );
    assert!(device_row(&page, &id).contains("all sent"));
}

/// The entries of a zip file, in order.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).expect("entry");
            let mut out = Vec::new();
            f.read_to_end(&mut out).expect("read");
            (f.name().expect("name").to_string(), out)
        })
        .collect()
}

fn rezip(path: &std::path::Path, entries: &[(String, Vec<u8>)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    for (name, content) in entries {
        z.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .expect("start");
        z.write_all(content).expect("write");
    }
    z.finish().expect("finish");
}

#[test]
fn a_leader_downloads_the_servers_evidence_package_and_it_verifies_naming_the_server() {
    use vigil_core::evidence::{verify_package, PackageMaker, PackageProblem};
    let server = TestServer::start();
    let (team, mut a, first) = team_with_incident(&server, "Alpha");
    common::log(&mut a, "a second, unrelated report");
    a.sync().expect("sync");
    // A second officer's device: its incident is in the selection too (its own chain).
    let mut b2 = Device::new(&server.url());
    b2.enroll(&server, &team, "Bravo 3");
    let second = common::log(&mut b2, "Grey van again, now at the rear gate");
    b2.sync().expect("sync");
    // Another team's incident matches the same words: it never reaches this package.
    let (_, _, other_team) = team_with_incident(&server, "Charlie");
    user(server.storage.as_ref(), "lead", Role::Leader, &team);
    user(server.storage.as_ref(), "watch", Role::Viewer, &team);
    let mut b = signed_in(&server, "lead");
    let csrf = b.csrf();
    let json = b.post("/console/exports/incidents", &[("csrf", &csrf)]);
    let doc: serde_json::Value = serde_json::from_slice(&json.body).expect("json");
    let server_key = doc["server_public_key"].as_str().expect("key").to_string();

    let r = b.post(
        "/console/exports/package",
        &[("csrf", &csrf), ("q", "grey van")],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/zip"));
    assert!(r
        .header("content-disposition")
        .is_some_and(|c| c.starts_with("attachment") && c.contains(".zip")));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("package.zip");
    std::fs::write(&path, &r.body).expect("write");
    if let Some(out) = std::env::var_os("VIGIL_SERVER_PACKAGE_OUT") {
        // tests/run hands it to the reference examiner and the CLI (package_agree.py).
        std::fs::write(out, &r.body).expect("write the package for tests/run");
    }
    let report = verify_package(&path);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.maker, Some(PackageMaker::TeamServer));
    assert_eq!(report.maker_id.as_deref(), Some(team.as_str()));
    assert_eq!(
        report.maker_public_key.as_deref(),
        Some(server_key.as_str())
    );
    assert_eq!(report.format_version, 2);
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(
        report.incidents, expected,
        "the selection, this team's only"
    );
    assert!(!report.incidents.contains(&other_team));
    assert_eq!(report.bundles.len(), 2, "both reporting devices' chains");
    assert!(report.bundles.iter().all(|c| c.ok));
    assert_eq!(report.attachments_checked, 1);
    let entries = unzip(&r.body);
    let photo_entry = entries
        .iter()
        .find(|(n, _)| n.starts_with("attachments/"))
        .expect("the photo");
    assert_eq!(
        photo_entry.1,
        photo(),
        "the photo in the clear, byte for byte"
    );
    assert!(entries.iter().any(|(n, _)| n == "receipts/device-2.json"));
    let manifest = &entries
        .iter()
        .find(|(n, _)| n == "manifest.json")
        .expect("m")
        .1;
    assert!(manifest.starts_with(b"{\"format\":\"vigil.evidence-package.v2\""));
    assert!(!entries
        .iter()
        .any(|(_, c)| c.windows(7).any(|w| w == b"Charlie")));

    // One changed byte in any file fails, and the verdict names the file.
    let copy = dir.path().join("changed.zip");
    for i in 0..entries.len() {
        let mut changed = entries.clone();
        let at = changed[i].1.len() / 2;
        changed[i].1[at] ^= 0x01;
        rezip(&copy, &changed);
        let report = verify_package(&copy);
        assert!(!report.ok, "{} changed", entries[i].0);
        assert_eq!(report.file.as_deref(), Some(entries[i].0.as_str()));
        if entries[i].0 != "manifest.json" {
            assert_eq!(report.problem, Some(PackageProblem::FileMismatch));
        }
        std::fs::remove_file(&copy).expect("remove");
    }

    // Words only another team's incident holds select nothing here: nothing is made.
    let r = b.post(
        "/console/exports/package",
        &[("csrf", &csrf), ("q", "charlie")],
    );
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("No incident matches"));
    let audit = b.get("/console/audit").text();
    assert!(audit.contains("package"));
    assert!(audit.contains("2 incident(s) where a word search"));
    assert!(!audit.contains("grey"));

    let mut v = signed_in(&server, "watch");
    let csrf = v.csrf();
    let r = v.post("/console/exports/package", &[("csrf", &csrf)]);
    assert_eq!(r.status, 403);
}

mod passkeys {
    //! Passkeys (WebAuthn) in the console over real HTTP, on both storages, with a software
    //! authenticator written here: ring keys (ES256 and Ed25519) producing authenticator
    //! data, clientDataJSON, CBOR attestation objects (hand-encoded, so malformed ones are
    //! easy) and signatures. Every refusal is a typed JSON answer and stores nothing.

    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
    use serde_json::{json, Value};
    use vigil_server::console::webauthn::RelyingParty;
    use vigil_server::console::{ConsoleConfig, PasskeyLimits};
    use vigil_server::throttle::Rate;

    use super::*;

    // ---------------------------------------------------------------------------------------
    // CBOR, by hand

    fn head(major: u8, n: u64) -> Vec<u8> {
        let m = major << 5;
        match n {
            0..=23 => vec![m | n as u8],
            24..=0xff => vec![m | 24, n as u8],
            0x100..=0xffff => {
                let mut v = vec![m | 25];
                v.extend_from_slice(&(n as u16).to_be_bytes());
                v
            }
            _ => {
                let mut v = vec![m | 26];
                v.extend_from_slice(&(n as u32).to_be_bytes());
                v
            }
        }
    }

    fn int(i: i64) -> Vec<u8> {
        if i >= 0 {
            head(0, i as u64)
        } else {
            head(1, (-1 - i) as u64)
        }
    }

    fn bytes(b: &[u8]) -> Vec<u8> {
        let mut v = head(2, b.len() as u64);
        v.extend_from_slice(b);
        v
    }

    fn text(s: &str) -> Vec<u8> {
        let mut v = head(3, s.len() as u64);
        v.extend_from_slice(s.as_bytes());
        v
    }

    fn map(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
        let mut v = head(5, entries.len() as u64);
        for (k, val) in entries {
            v.extend_from_slice(k);
            v.extend_from_slice(val);
        }
        v
    }

    fn b64u(b: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    }

    fn unb64u(s: &str) -> Vec<u8> {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .expect("base64url")
    }

    fn sha256(b: &[u8]) -> Vec<u8> {
        ring::digest::digest(&ring::digest::SHA256, b)
            .as_ref()
            .to_vec()
    }

    // ---------------------------------------------------------------------------------------
    // The software authenticator

    const UP: u8 = 0x01;
    const UV: u8 = 0x04;
    const AT: u8 = 0x40;

    enum Key {
        Es256(EcdsaKeyPair),
        Ed25519(Ed25519KeyPair),
    }

    impl Key {
        fn es256() -> Key {
            let rng = SystemRandom::new();
            let pkcs8 =
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).expect("gen");
            Key::Es256(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
                    .expect("key"),
            )
        }

        fn ed25519() -> Key {
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("gen");
            Key::Ed25519(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key"))
        }

        fn cose(&self) -> Vec<u8> {
            match self {
                Key::Es256(k) => {
                    let p = k.public_key().as_ref();
                    map(&[
                        (int(1), int(2)),
                        (int(3), int(-7)),
                        (int(-1), int(1)),
                        (int(-2), bytes(&p[1..33])),
                        (int(-3), bytes(&p[33..65])),
                    ])
                }
                Key::Ed25519(k) => map(&[
                    (int(1), int(1)),
                    (int(3), int(-8)),
                    (int(-1), int(6)),
                    (int(-2), bytes(k.public_key().as_ref())),
                ]),
            }
        }

        fn sign(&self, msg: &[u8]) -> Vec<u8> {
            match self {
                Key::Es256(k) => k
                    .sign(&SystemRandom::new(), msg)
                    .expect("sign")
                    .as_ref()
                    .to_vec(),
                Key::Ed25519(k) => k.sign(msg).as_ref().to_vec(),
            }
        }
    }

    /// One passkey held by the software authenticator.
    struct Passkey {
        id: Vec<u8>,
        user_handle: Vec<u8>,
        key: Key,
        count: u32,
    }

    /// What to get wrong on purpose.
    #[derive(Clone, Default)]
    struct Twist {
        origin: Option<String>,
        rp_id: Option<String>,
        flags: Option<u8>,
        kind: Option<&'static str>,
        count: Option<u32>,
        cose: Option<Vec<u8>>,
        attestation: Option<Vec<u8>>,
        auth_data: Option<Vec<u8>>,
        /// Signs with this key instead of the passkey's.
        other_key: bool,
    }

    impl Twist {
        /// A twist of one field (set by `f`), the rest as a well-behaved authenticator
        /// would do it.
        fn with(f: impl FnOnce(&mut Twist)) -> Twist {
            let mut t = Twist::default();
            f(&mut t);
            t
        }
    }

    fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({ "type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false }))
            .expect("json")
    }

    fn auth_data(rp_id: &str, flags: u8, count: u32, attested: Option<(&[u8], &[u8])>) -> Vec<u8> {
        let mut d = sha256(rp_id.as_bytes());
        d.push(flags | if attested.is_some() { AT } else { 0 });
        d.extend_from_slice(&count.to_be_bytes());
        if let Some((id, cose)) = attested {
            d.extend_from_slice(&[0u8; 16]);
            d.extend_from_slice(&(id.len() as u16).to_be_bytes());
            d.extend_from_slice(id);
            d.extend_from_slice(cose);
        }
        d
    }

    /// `navigator.credentials.create` answering `options` (the server's JSON), as the body
    /// the page posts.
    fn create(origin: &str, options: &Value, name: &str, key: Key, t: &Twist) -> (Value, Passkey) {
        let challenge = options["challenge"].as_str().expect("challenge");
        let rp_id = t
            .rp_id
            .clone()
            .unwrap_or_else(|| options["rp"]["id"].as_str().expect("rp id").to_string());
        let id: Vec<u8> = ring::rand::generate::<[u8; 32]>(&SystemRandom::new())
            .expect("id")
            .expose()
            .to_vec();
        let cose = t.cose.clone().unwrap_or_else(|| key.cose());
        let ad = auth_data(
            &rp_id,
            t.flags.unwrap_or(UP | UV),
            t.count.unwrap_or(0),
            Some((&id, &cose)),
        );
        let att = t.attestation.clone().unwrap_or_else(|| {
            map(&[
                (text("fmt"), text("none")),
                (text("attStmt"), map(&[])),
                (text("authData"), bytes(&ad)),
            ])
        });
        let cd = client_data(
            t.kind.unwrap_or("webauthn.create"),
            challenge,
            t.origin.as_deref().unwrap_or(origin),
        );
        let body = json!({
            "name": name,
            "clientDataJSON": b64u(&cd),
            "attestationObject": b64u(&att),
        });
        let user_handle = unb64u(options["user"]["id"].as_str().expect("user id"));
        (
            body,
            Passkey {
                id,
                user_handle,
                key,
                count: t.count.unwrap_or(0),
            },
        )
    }

    /// `navigator.credentials.get` with `passkey`, answering `options`.
    fn get(origin: &str, options: &Value, passkey: &mut Passkey, t: &Twist) -> Value {
        let challenge = options["challenge"].as_str().expect("challenge");
        let rp_id = t
            .rp_id
            .clone()
            .unwrap_or_else(|| options["rpId"].as_str().expect("rpId").to_string());
        passkey.count = t.count.unwrap_or(passkey.count + 1);
        let ad = t
            .auth_data
            .clone()
            .unwrap_or_else(|| auth_data(&rp_id, t.flags.unwrap_or(UP | UV), passkey.count, None));
        let cd = client_data(
            t.kind.unwrap_or("webauthn.get"),
            challenge,
            t.origin.as_deref().unwrap_or(origin),
        );
        let mut signed = ad.clone();
        signed.extend_from_slice(&sha256(&cd));
        let sig = if t.other_key {
            Key::es256().sign(&signed)
        } else {
            passkey.key.sign(&signed)
        };
        json!({
            "id": b64u(&passkey.id),
            "clientDataJSON": b64u(&cd),
            "authenticatorData": b64u(&ad),
            "signature": b64u(&sig),
            "userHandle": b64u(&passkey.user_handle),
        })
    }

    // ---------------------------------------------------------------------------------------
    // The console's side

    /// A server whose console is configured for `http://localhost:PORT`.
    fn passkey_server() -> (TestServer, String) {
        passkey_server_with(PasskeyLimits::default())
    }

    /// Limits with a generous rate per address (so that a flood reaches the caps on
    /// pending challenges) and these caps.
    fn caps(pending_per_address: usize, pending: usize) -> PasskeyLimits {
        PasskeyLimits {
            per_address: Rate {
                burst: 1000,
                per_ms: 1000,
            },
            pending_per_address,
            pending,
        }
    }

    fn passkey_server_with(limits: PasskeyLimits) -> (TestServer, String) {
        let server = TestServer::start_with_console(|port| ConsoleConfig {
            passkeys: Some(
                RelyingParty::from_origin(&format!("http://localhost:{port}")).expect("origin"),
            ),
            passkey_limits: limits,
            ..ConsoleConfig::default()
        });
        let origin = format!("http://localhost:{}", server.addr.port());
        (server, origin)
    }

    impl Browser {
        fn post_json(&mut self, path: &str, headers: &[(&str, &str)], body: &Value) -> Page {
            let mut extra = vec![("Content-Type", "application/json")];
            extra.extend_from_slice(headers);
            self.request_with("POST", path, Some(&body.to_string()), &extra)
        }

        fn json(page: &Page) -> Value {
            serde_json::from_slice(&page.body).expect("a JSON answer")
        }

        /// The registration options for the signed-in user.
        fn register_options(&mut self) -> Value {
            let csrf = self.csrf();
            let r = self.post_json(
                "/console/account/passkeys/options",
                &[("X-Vigil-Csrf", &csrf)],
                &json!({}),
            );
            assert_eq!(r.status, 200, "{}", r.text());
            Browser::json(&r)
        }

        fn register(&mut self, body: &Value) -> Page {
            let csrf = self.csrf();
            self.post_json(
                "/console/account/passkeys",
                &[("X-Vigil-Csrf", &csrf)],
                body,
            )
        }

        /// Opens the login page and asks for sign-in options; returns them and the form token.
        fn sign_in_options(&mut self) -> (Value, String) {
            let token = self.get("/console/login").hidden("token");
            let r = self.post_json(
                "/console/login/passkey/options",
                &[("X-Vigil-Login", &token)],
                &json!({}),
            );
            assert_eq!(r.status, 200, "{}", r.text());
            (Browser::json(&r), token)
        }

        /// Asks for sign-in options with the login page's `token`, whatever the answer.
        fn ask_sign_in_options(&mut self, token: &str) -> Page {
            self.post_json(
                "/console/login/passkey/options",
                &[("X-Vigil-Login", token)],
                &json!({}),
            )
        }

        fn sign_in_passkey(&mut self, token: &str, body: &Value) -> Page {
            self.post_json("/console/login/passkey", &[("X-Vigil-Login", token)], body)
        }
    }

    /// Registers a passkey named `name` for the signed-in user of `b`.
    fn registered(b: &mut Browser, origin: &str, name: &str, key: Key) -> Passkey {
        let options = b.register_options();
        let (body, passkey) = create(origin, &options, name, key, &Twist::default());
        let r = b.register(&body);
        assert_eq!(r.status, 200, "{}", r.text());
        passkey
    }

    /// Asserts a typed refusal: the status and the JSON code.
    fn refused(page: &Page, status: u16, code: &str) {
        assert_eq!(page.status, status, "{}", page.text());
        assert_eq!(
            Browser::json(page)["code"],
            code,
            "expected {code}: {}",
            page.text()
        );
    }

    fn passkey_count(server: &TestServer, name: &str) -> usize {
        let u = server
            .storage
            .user_by_name(name)
            .expect("query")
            .expect("user");
        server.storage.passkeys_of(&u.id).expect("passkeys").len()
    }

    fn audit_actions(server: &TestServer, team: &str) -> Vec<(String, String)> {
        server
            .storage
            .audit_list(team, 100)
            .expect("audit")
            .into_iter()
            .map(|a| (a.action, a.subject))
            .collect()
    }

    // ---------------------------------------------------------------------------------------
    // Tests

    #[test]
    fn a_user_registers_passkeys_and_signs_in_with_one_instead_of_passphrase_and_code() {
        let (server, origin) = passkey_server();
        let (team, mut b) = lead_signed_in(&server);

        let page = b.get("/console/account");
        assert_eq!(page.status, 200);
        assert!(
            page.text().contains("id=\"add-passkey\""),
            "{}",
            page.text()
        );
        assert!(page.text().contains("You have no passkey yet."));

        let options = b.register_options();
        assert_eq!(options["rp"]["id"], "localhost");
        assert_eq!(options["attestation"], "none");
        assert_eq!(
            options["authenticatorSelection"]["userVerification"],
            "required"
        );
        assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(
            unb64u(options["challenge"].as_str().expect("challenge")).len(),
            32
        );
        let (body, mut laptop) = create(
            &origin,
            &options,
            "Work laptop",
            Key::es256(),
            &Twist::default(),
        );
        let r = b.register(&body);
        assert_eq!(r.status, 200, "{}", r.text());
        // Ed25519 too; the second registration lists the first as excluded.
        let options = b.register_options();
        assert_eq!(
            options["excludeCredentials"][0]["id"],
            b64u(&laptop.id),
            "{options}"
        );
        let (body, mut phone) = create(
            &origin,
            &options,
            "Phone",
            Key::ed25519(),
            &Twist::default(),
        );
        assert_eq!(b.register(&body).status, 200);
        let page = b.get("/console/account").text();
        assert!(
            page.contains("Work laptop") && page.contains("Phone"),
            "{page}"
        );
        assert!(page.contains("ES256") && page.contains("Ed25519"));

        // Sign in with each: a new browser, no passphrase, no code.
        for passkey in [&mut laptop, &mut phone] {
            let mut c = Browser::new(server.addr);
            let (options, token) = c.sign_in_options();
            assert_eq!(options["rpId"], "localhost");
            assert_eq!(options["userVerification"], "required");
            let r = c.sign_in_passkey(&token, &get(&origin, &options, passkey, &Twist::default()));
            assert_eq!(r.status, 200, "{}", r.text());
            assert_eq!(Browser::json(&r)["redirect"], "/console/incidents");
            let cookie = r
                .headers
                .iter()
                .find(|(k, v)| {
                    k.eq_ignore_ascii_case("set-cookie") && v.starts_with("vigil_console=")
                })
                .map(|(_, v)| v.clone())
                .expect("session cookie");
            assert!(
                cookie.contains("HttpOnly")
                    && cookie.contains("Secure")
                    && cookie.contains("SameSite=Strict"),
                "{cookie}"
            );
            let page = c.get("/console/team");
            assert_eq!(page.status, 200);
            assert!(page.text().contains("lead"));
            // The session works like any other: CSRF-protected forms.
            let csrf = c.csrf();
            assert_eq!(
                c.post("/console/team/codes", &[("csrf", "forged")]).status,
                403
            );
            assert_eq!(
                c.post("/console/team/codes", &[("csrf", &csrf)]).status,
                200
            );
        }
        let page = b.get("/console/account").text();
        assert!(
            !page.contains("never</td>"),
            "both passkeys were used: {page}"
        );

        let audit = audit_actions(&server, &team);
        assert!(
            audit.contains(&("passkey added".into(), "Work laptop".into())),
            "{audit:?}"
        );
        assert!(audit.contains(&("passkey added".into(), "Phone".into())));
        assert!(audit.contains(&("signed in with a passkey".into(), "Work laptop".into())));
        assert!(audit.contains(&("signed in with a passkey".into(), "Phone".into())));
    }

    #[test]
    fn registrations_that_are_wrong_are_refused_with_their_reason_and_store_nothing() {
        let (server, origin) = passkey_server();
        let team = server.new_team("Alpha");
        user(server.storage.as_ref(), "lead", Role::Leader, &team);
        user(server.storage.as_ref(), "view", Role::Viewer, &team);
        let mut b = signed_in(&server, "lead");

        let rs256 = map(&[
            (int(1), int(3)),
            (int(3), int(-257)),
            (int(-1), bytes(&[1; 256])),
            (int(-2), bytes(&[1, 0, 1])),
        ]);
        let cases: Vec<(Twist, u16, &str)> = vec![
            (
                Twist::with(|t| {
                    t.origin = Some(format!("http://evil.localhost:{}", server.addr.port()))
                }),
                400,
                "wrong_origin",
            ),
            (
                Twist::with(|t| t.rp_id = Some("evil.example".into())),
                400,
                "wrong_rp",
            ),
            (
                Twist::with(|t| t.flags = Some(UP)),
                400,
                "user_not_verified",
            ),
            (Twist::with(|t| t.flags = Some(UV)), 400, "user_not_present"),
            (
                Twist::with(|t| t.kind = Some("webauthn.get")),
                400,
                "wrong_type",
            ),
            (
                Twist::with(|t| t.cose = Some(rs256)),
                400,
                "unsupported_algorithm",
            ),
            (
                Twist::with(|t| t.attestation = Some(vec![0xa3, 0x63, b'f', b'm'])),
                400,
                "malformed_cbor",
            ),
            (
                Twist::with(|t| {
                    t.attestation = Some(map(&[
                        (text("fmt"), text("packed")),
                        (text("attStmt"), map(&[])),
                        (text("authData"), bytes(&[0; 37])),
                    ]))
                }),
                400,
                "unsupported_attestation",
            ),
            (
                // A COSE key cut short inside the authenticator data.
                Twist::with(|t| t.cose = Some(vec![0xa5, 0x01, 0x02, 0x03])),
                400,
                "malformed_cbor",
            ),
        ];
        for (twist, status, code) in cases {
            let options = b.register_options();
            let (body, _) = create(&origin, &options, "Laptop", Key::es256(), &twist);
            refused(&b.register(&body), status, code);
            // The challenge was used up by the refused attempt.
            let (good, _) = create(&origin, &options, "Laptop", Key::es256(), &Twist::default());
            refused(&b.register(&good), 400, "unknown_challenge");
        }
        // Garbage that is not base64url, not JSON.
        let options = b.register_options();
        let (mut body, _) = create(&origin, &options, "Laptop", Key::es256(), &Twist::default());
        body["attestationObject"] = json!("!!not base64!!");
        refused(&b.register(&body), 400, "malformed");
        let csrf = b.csrf();
        let r = b.request_with(
            "POST",
            "/console/account/passkeys",
            Some("{not json"),
            &[
                ("Content-Type", "application/json"),
                ("X-Vigil-Csrf", &csrf),
            ],
        );
        refused(&r, 400, "malformed");
        // A bad name.
        let options = b.register_options();
        let (body, _) = create(&origin, &options, "  ", Key::es256(), &Twist::default());
        refused(&b.register(&body), 400, "bad_name");

        // Without the session's CSRF token, or without a session: refused, nothing issued.
        let r = b.post_json(
            "/console/account/passkeys/options",
            &[("X-Vigil-Csrf", "forged")],
            &json!({}),
        );
        refused(&r, 403, "forbidden");
        let mut anon = Browser::new(server.addr);
        let r = anon.post_json("/console/account/passkeys/options", &[], &json!({}));
        refused(&r, 401, "not_signed_in");

        // A challenge issued to another session (another user) does not register here.
        let mut v = signed_in(&server, "view");
        let theirs = v.register_options();
        let (body, _) = create(&origin, &theirs, "Stolen", Key::es256(), &Twist::default());
        refused(&b.register(&body), 400, "unknown_challenge");
        // ... and is still theirs.
        assert_eq!(v.register(&body).status, 200);

        assert_eq!(passkey_count(&server, "lead"), 0, "nothing stored for lead");
        assert_eq!(passkey_count(&server, "view"), 1);

        // Replaying a registration that worked: its challenge is gone.
        let options = b.register_options();
        let (body, _) = create(&origin, &options, "Laptop", Key::es256(), &Twist::default());
        assert_eq!(b.register(&body).status, 200);
        refused(&b.register(&body), 400, "unknown_challenge");
        assert_eq!(passkey_count(&server, "lead"), 1);
    }

    #[test]
    fn sign_ins_that_are_wrong_are_refused_with_their_reason_and_then_throttled() {
        let (server, origin) = passkey_server();
        let (team, mut b) = lead_signed_in(&server);
        let mut passkey = registered(&mut b, &origin, "Laptop", Key::es256());

        let cases: Vec<(Twist, u16, &str)> = vec![
            (
                Twist::with(|t| t.origin = Some("https://localhost".into())),
                400,
                "wrong_origin",
            ),
            (
                Twist::with(|t| t.rp_id = Some("example.org".into())),
                400,
                "wrong_rp",
            ),
            (
                Twist::with(|t| t.flags = Some(UP)),
                400,
                "user_not_verified",
            ),
            (Twist::with(|t| t.other_key = true), 401, "bad_signature"),
            (
                Twist::with(|t| t.auth_data = Some(vec![0x42; 36])),
                400,
                "malformed",
            ),
        ];
        for (twist, status, code) in cases {
            let mut c = Browser::new(server.addr);
            let (options, token) = c.sign_in_options();
            let r = c.sign_in_passkey(&token, &get(&origin, &options, &mut passkey, &twist));
            refused(&r, status, code);
            assert!(
                !c.cookies.contains_key("vigil_console"),
                "no session after {code}"
            );
        }
        // Five failures from this address: now throttled, even with a good assertion.
        let mut c = Browser::new(server.addr);
        let (options, token) = c.sign_in_options();
        let r = c.sign_in_passkey(
            &token,
            &get(&origin, &options, &mut passkey, &Twist::default()),
        );
        refused(&r, 429, "rate_limited");
        assert!(r.header("retry-after").is_some());
        assert!(!c.cookies.contains_key("vigil_console"));
        let audit = audit_actions(&server, &team);
        assert!(
            audit.contains(&("passkey sign-in refused".into(), "bad_signature".into())),
            "{audit:?}"
        );
    }

    #[test]
    fn replays_counter_regressions_removed_passkeys_and_other_teams_are_refused() {
        let (server, origin) = passkey_server();
        let alpha = server.new_team("Alpha");
        let bravo = server.new_team("Bravo");
        user(server.storage.as_ref(), "lead", Role::Leader, &alpha);
        user(server.storage.as_ref(), "other", Role::Leader, &bravo);
        let mut b = signed_in(&server, "lead");
        let mut key = registered(&mut b, &origin, "Security key", Key::es256());
        let mut o = signed_in(&server, "other");
        let mut theirs = registered(&mut o, &origin, "Bravo laptop", Key::ed25519());

        // Counter 5 signs in; the same assertion again: its challenge is used.
        let mut c = Browser::new(server.addr);
        let (options, token) = c.sign_in_options();
        let assertion = get(
            &origin,
            &options,
            &mut key,
            &Twist::with(|t| t.count = Some(5)),
        );
        assert_eq!(c.sign_in_passkey(&token, &assertion).status, 200);
        let mut d = Browser::new(server.addr);
        let token_d = d.get("/console/login").hidden("token");
        refused(
            &d.sign_in_passkey(&token_d, &assertion),
            400,
            "unknown_challenge",
        );
        // A challenge issued to another login page does not sign in here.
        let (options, _) = Browser::new(server.addr).sign_in_options();
        let stolen = get(&origin, &options, &mut key, &Twist::default());
        refused(
            &d.sign_in_passkey(&token_d, &stolen),
            400,
            "unknown_challenge",
        );
        // Without the login page's token: refused before anything.
        refused(&d.sign_in_passkey("forged", &stolen), 403, "forbidden");

        // Counter 3 after 5: a clone? Refused, and the stored counter stays 5.
        let (options, token) = d.sign_in_options();
        let r = d.sign_in_passkey(
            &token,
            &get(
                &origin,
                &options,
                &mut key,
                &Twist::with(|t| t.count = Some(3)),
            ),
        );
        refused(&r, 401, "counter_regression");
        let u = server.storage.user_by_name("lead").expect("q").expect("u");
        assert_eq!(
            server.storage.passkeys_of(&u.id).expect("p")[0].sign_count,
            5
        );

        // Another team's user signs in as themselves only, and cannot remove this team's passkey.
        let mut e = Browser::new(server.addr);
        let (options, token) = e.sign_in_options();
        assert_eq!(
            e.sign_in_passkey(
                &token,
                &get(&origin, &options, &mut theirs, &Twist::default())
            )
            .status,
            200
        );
        let team_page = e.get("/console/team").text();
        assert!(team_page.contains("Bravo") && !team_page.contains("Alpha"));
        let lead_key_id = server.storage.passkeys_of(&u.id).expect("p")[0].id.clone();
        let csrf = e.csrf();
        let r = e.post(
            "/console/account/passkeys/remove",
            &[("csrf", &csrf), ("id", &lead_key_id)],
        );
        assert_eq!(r.status, 404);
        assert_eq!(passkey_count(&server, "lead"), 1, "still there");
        assert!(!e.get("/console/account").text().contains("Security key"));

        // Removed by its owner (with the form's CSRF token): it no longer signs in.
        let csrf = b.csrf();
        assert_eq!(
            b.post(
                "/console/account/passkeys/remove",
                &[("csrf", "forged"), ("id", &lead_key_id)]
            )
            .status,
            403
        );
        let r = b.post(
            "/console/account/passkeys/remove",
            &[("csrf", &csrf), ("id", &lead_key_id)],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(passkey_count(&server, "lead"), 0);
        let mut f = Browser::new(server.addr);
        let (options, token) = f.sign_in_options();
        refused(
            &f.sign_in_passkey(&token, &get(&origin, &options, &mut key, &Twist::default())),
            401,
            "unknown_passkey",
        );
        assert!(!f.cookies.contains_key("vigil_console"));
        let audit = audit_actions(&server, &alpha);
        assert!(audit.contains(&("passkey removed".into(), "Security key".into())));
        assert!(audit.contains(&(
            "passkey sign-in refused".into(),
            "counter_regression".into()
        )));
        assert!(
            !audit_actions(&server, &bravo)
                .iter()
                .any(|(a, _)| a == "passkey removed"),
            "the other team's failed removal removed nothing"
        );
    }

    /// Another client address on this host (all of 127/8 is loopback).
    fn loopback(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    /// Signs in from a fresh browser (127.0.0.1) with `passkey`: the session cookie is set.
    fn passkey_sign_in(server: &TestServer, origin: &str, passkey: &mut Passkey) {
        let mut c = Browser::new(server.addr);
        let (options, token) = c.sign_in_options();
        let r = c.sign_in_passkey(&token, &get(origin, &options, passkey, &Twist::default()));
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(c.cookies.contains_key("vigil_console"));
    }

    #[test]
    fn a_flood_of_ceremonies_from_one_address_is_answered_429_and_others_still_sign_in() {
        let (server, origin) = passkey_server();
        let (team, mut b) = lead_signed_in(&server);
        let mut passkey = registered(&mut b, &origin, "Laptop", Key::es256());
        let rate = PasskeyLimits::default().per_address;

        // 127.0.0.2 asks for sign-in options as fast as it can: its budget, then 429.
        let mut f = Browser::from_address(server.addr, loopback(2));
        let token = f.get("/console/login").hidden("token");
        for i in 0..rate.burst {
            let r = f.ask_sign_in_options(&token);
            assert_eq!(r.status, 200, "request {i}: {}", r.text());
        }
        let r = f.ask_sign_in_options(&token);
        refused(&r, 429, "rate_limited");
        let retry: u64 = r
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=rate.per_ms.div_ceil(1000)).contains(&retry), "{retry}");
        // Registration options share the address's budget (checked before the session).
        let r = f.post_json("/console/account/passkeys/options", &[], &json!({}));
        refused(&r, 429, "rate_limited");

        // 127.0.0.1 is not held up: it signs in with its passkey, and registers another.
        passkey_sign_in(&server, &origin, &mut passkey);
        registered(&mut b, &origin, "Phone", Key::ed25519());

        // Nothing stored was lost; the flood left no trace but the 429s.
        assert_eq!(passkey_count(&server, "lead"), 2);
        let audit = audit_actions(&server, &team);
        assert!(audit.contains(&("signed in with a passkey".into(), "Laptop".into())));
        assert!(
            !audit.iter().any(|(a, _)| a == "passkey sign-in refused"),
            "{audit:?}"
        );
    }

    #[test]
    fn one_address_keeps_only_its_share_of_pending_challenges_so_others_find_room() {
        let limits = caps(4, 16);
        let (server, origin) = passkey_server_with(limits);
        let (team, mut b) = lead_signed_in(&server);
        let mut passkey = registered(&mut b, &origin, "Laptop", Key::es256());

        // 127.0.0.2 asks for more challenges than the whole server keeps: every one is
        // answered, each new one dropping that address's oldest.
        let mut f = Browser::from_address(server.addr, loopback(2));
        let token = f.get("/console/login").hidden("token");
        let mut issued = Vec::new();
        for i in 0..limits.pending * 3 {
            let r = f.ask_sign_in_options(&token);
            assert_eq!(r.status, 200, "request {i}: {}", r.text());
            issued.push(Browser::json(&r));
        }
        // Another address still gets a challenge and signs in.
        passkey_sign_in(&server, &origin, &mut passkey);

        // The flooder's first challenge was dropped; its latest still works.
        let r = f.sign_in_passkey(
            &token,
            &get(&origin, &issued[0], &mut passkey, &Twist::default()),
        );
        refused(&r, 400, "unknown_challenge");
        let last = issued.last().expect("issued");
        let r = f.sign_in_passkey(&token, &get(&origin, last, &mut passkey, &Twist::default()));
        assert_eq!(r.status, 200, "{}", r.text());

        // The lead starts a registration, then many addresses (each within its share)
        // together fill the server-wide cap and go on: every request is still answered,
        // the fullest address's oldest sign-in challenge making room.
        let reg = b.register_options();
        for last in 3..=3 + 2 * (limits.pending / limits.pending_per_address) as u8 {
            let mut g = Browser::from_address(server.addr, loopback(last));
            let token = g.get("/console/login").hidden("token");
            for i in 0..limits.pending_per_address {
                let r = g.ask_sign_in_options(&token);
                assert_eq!(r.status, 200, "address {last}, request {i}: {}", r.text());
            }
        }
        // The registration, bound to the lead's session, was never dropped: it completes.
        let (body, _) = create(&origin, &reg, "Phone", Key::ed25519(), &Twist::default());
        let r = b.register(&body);
        assert_eq!(r.status, 200, "{}", r.text());
        // And someone else still gets a challenge and signs in.
        passkey_sign_in(&server, &origin, &mut passkey);

        assert_eq!(passkey_count(&server, "lead"), 2);
        let audit = audit_actions(&server, &team);
        assert_eq!(
            audit
                .iter()
                .filter(|(a, _)| a == "signed in with a passkey")
                .count(),
            3,
            "{audit:?}"
        );
    }

    #[test]
    fn when_registrations_of_signed_in_users_fill_the_cap_a_sign_in_waits_typed() {
        let limits = caps(4, 2);
        let (server, origin) = passkey_server_with(limits);
        let team = server.new_team("Alpha");
        user(server.storage.as_ref(), "lead", Role::Leader, &team);
        user(server.storage.as_ref(), "watch", Role::Viewer, &team);
        let mut lead = signed_in(&server, "lead");
        let mut watch = signed_in(&server, "watch");
        let lead_options = lead.register_options();
        let _watch_options = watch.register_options();

        // Two registrations of two sessions fill the cap: neither is dropped for a
        // sign-in, which is refused with the time until the first expires.
        let mut f = Browser::from_address(server.addr, loopback(2));
        let token = f.get("/console/login").hidden("token");
        let r = f.ask_sign_in_options(&token);
        refused(&r, 429, "rate_limited");
        let retry: u64 = r
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=120).contains(&retry), "{retry}");

        // A session asking again replaces its own pending registration; the other's
        // stays, and the registrations complete. Nothing stored was touched by the 429.
        let lead_again = lead.register_options();
        let (body, _) = create(
            &origin,
            &lead_options,
            "Old",
            Key::es256(),
            &Twist::default(),
        );
        refused(&lead.register(&body), 400, "unknown_challenge");
        let (body, _) = create(
            &origin,
            &lead_again,
            "Laptop",
            Key::es256(),
            &Twist::default(),
        );
        let r = lead.register(&body);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(passkey_count(&server, "lead"), 1);
        assert_eq!(passkey_count(&server, "watch"), 0);
    }

    #[test]
    fn without_a_console_origin_passkeys_are_off_and_ip_origins_are_refused() {
        let server = TestServer::start();
        let (_, mut b) = lead_signed_in(&server);
        let page = b.get("/console/account").text();
        assert!(page.contains("id=\"passkeys-off\"") && !page.contains("id=\"add-passkey\""));
        let csrf = b.csrf();
        let r = b.post_json(
            "/console/account/passkeys/options",
            &[("X-Vigil-Csrf", &csrf)],
            &json!({}),
        );
        refused(&r, 404, "passkeys_disabled");
        let mut c = Browser::new(server.addr);
        let login = c.get("/console/login").text();
        assert!(!login.contains("passkey-signin"));
        let err = RelyingParty::from_origin(&format!("http://{}", server.addr)).expect_err("IP");
        assert!(err.contains("IP addresses"), "{err}");
    }
}
