//! `GET /console/events`: server-sent events for the Incidents page. An `incident` event
//! (data: how many new incident entries) whenever a push stored incident entries of the
//! signed-in user's team; the page then reloads its rows. Wakes on every push to this
//! server, and every 10 s anyway (another server process on the same PostgreSQL). The
//! stream ends when the session does. It starts with a comment (`: live`), so that every
//! browser reports it open at once.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{stream, StreamExt};
use vigil_core::incident::chain::OUTBOX_KIND_ENTRY;

use super::session::{self, Activity};
use super::ConsoleState;

#[derive(serde::Deserialize)]
pub(crate) struct Since {
    /// The change number the page was rendered at.
    #[serde(default)]
    cursor: u64,
}

struct Follow {
    s: ConsoleState,
    headers: HeaderMap,
    team_id: String,
    cursor: u64,
    rx: tokio::sync::watch::Receiver<u64>,
}

enum Step {
    /// New incident entries (how many) and the cursor past them.
    News(u64, u64),
    Nothing(u64),
    /// The session ended (or the storage failed): close the stream.
    Stop,
}

fn look(f: &Follow) -> Step {
    let ctx = &f.s.ctx;
    let storage = ctx.storage.as_ref();
    // The stream is not the user's activity: it ends when the session goes idle.
    let (limits, now) = (f.s.config.sessions, ctx.now_ms());
    match session::current(storage, &f.headers, limits, now, Activity::Background) {
        Ok(Some(_)) => {}
        _ => return Step::Stop,
    }
    let mut cursor = f.cursor;
    let mut news = 0u64;
    loop {
        let Ok(page) = storage.pull(&f.team_id, cursor, 500) else {
            return Step::Stop;
        };
        for c in &page.changes {
            cursor = cursor.max(c.server_seq);
            news += u64::from(c.kind == OUTBOX_KIND_ENTRY);
        }
        if !page.has_more || page.changes.is_empty() {
            break;
        }
    }
    if news > 0 {
        Step::News(news, cursor)
    } else {
        Step::Nothing(cursor)
    }
}

pub(crate) async fn events(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Query(since): Query<Since>,
) -> Response {
    let ctx = s.ctx.clone();
    let config = s.config.clone();
    let h = headers.clone();
    let who = tokio::task::spawn_blocking(move || {
        session::current(
            ctx.storage.as_ref(),
            &h,
            config.sessions,
            ctx.now_ms(),
            Activity::Background,
        )
    })
    .await;
    let Ok(Ok(Some(cur))) = who else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let rx = s.ctx.pushed.subscribe();
    let follow = Follow {
        s,
        headers,
        team_id: cur.team.id,
        cursor: since.cursor,
        rx,
    };
    let events = stream::unfold(Some(follow), |state| async move {
        let mut f = state?;
        loop {
            // Wait for a push (or the periodic look), then read what is new.
            let _ = tokio::time::timeout(Duration::from_secs(10), f.rx.changed()).await;
            let (f2, step) = match tokio::task::spawn_blocking(move || {
                let step = look(&f);
                (f, step)
            })
            .await
            {
                Ok(r) => r,
                Err(_) => return None,
            };
            f = f2;
            match step {
                Step::Stop => return None,
                Step::Nothing(c) => f.cursor = c,
                Step::News(n, c) => {
                    f.cursor = c;
                    let event = Event::default()
                        .event("incident")
                        .id(c.to_string())
                        .data(n.to_string());
                    return Some((Ok::<Event, Infallible>(event), Some(f)));
                }
            }
        }
    });
    // A first comment at once: Firefox reports the stream open (the page shows "live")
    // only when a first byte of the body arrives, not on the answer's head.
    let hello = stream::once(async { Ok::<Event, Infallible>(Event::default().comment("live")) });
    Sse::new(hello.chain(events))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
