//! Issue 21's row: how long the text of 20 incidents takes to reach a teammate over a slow
//! link, with nothing else queued and with photos queued behind (or before) it. The link
//! is whatever this process's loopback is: `bench/scripts/slow-link.sh` runs this group
//! inside a network namespace whose loopback `tc ... tbf` limits (64 kbit/s, MTU 1500).
//! Device A logs the incidents and syncs (on its own thread); device B syncs every 250 ms
//! until it holds all 20. A run that does not get there within `CAP` says so.

use std::thread;
use std::time::{Duration, Instant};

use vigil_core::incident::{Category, IncidentFilter, IncidentLog, Page, Report};

use crate::result::Figure;
use crate::sync::{sqlite_team, Device};

/// Longest wait for the text before the run is reported as not arrived.
const CAP: Duration = Duration::from_secs(300);

/// The photos queued in the second run: two of 300 KB (as sealed, a little more).
const PHOTOS: [usize; 2] = [300_000, 300_000];

pub fn run(out: &mut Vec<Figure>) {
    for (workload, photos) in [
        ("slow_link_text", &[][..]),
        ("slow_link_text_photos_queued", &PHOTOS[..]),
    ] {
        let (f, photos_s) = text_to_teammate(photos);
        let note = match (f.iterations, photos_s) {
            (0, _) => format!("text not on the teammate within {} s", CAP.as_secs()),
            (_, None) if photos.is_empty() => {
                "20 incidents' text to a teammate, nothing else queued".to_string()
            }
            (_, p) => format!(
                "the same with {} photos of {} KB queued (photos there after {})",
                photos.len(),
                photos[0] / 1000,
                p.map(|s| format!("{s:.1} s")).unwrap_or_else(|| "—".into())
            ),
        };
        let mut f = f.with_note(note);
        f.workload = workload.into();
        out.push(f);
    }
}

fn incidents(d: &mut Device) -> usize {
    IncidentLog::new(&mut d.vault)
        .list(&IncidentFilter::default(), &Page::default())
        .map(|l| l.len())
        .unwrap_or(0)
}

/// The time until B holds the 20 incidents (a figure; 0 iterations when not within
/// `CAP`), and until it also holds the photos, if it does.
fn text_to_teammate(photos: &[usize]) -> (Figure, Option<f64>) {
    let (_dir, server, team) = sqlite_team();
    let mut a = Device::enrolled(&server, &team, "PS Hale");
    let mut b = Device::enrolled(&server, &team, "PC Okafor");
    for i in 0..20usize {
        let mut log = IncidentLog::new(&mut a.vault);
        let mut r = Report::quick(Category::HostileSurveillance, None);
        r.narrative = format!("Grey saloon circled the venue twice, pass {i}");
        let id = log.log(r).expect("log").incident_id;
        if let Some(len) = photos.get(i) {
            log.attach(
                &id,
                &mut &vigil_testkit::photo(i as u64, *len)[..],
                "image/jpeg",
                None,
            )
            .expect("attach");
        }
    }
    let start = Instant::now();
    let uploader = thread::spawn(move || {
        // Retried as the app would: a slow link may fail a request.
        for _ in 0..5 {
            if a.try_sync().is_ok() {
                break;
            }
        }
    });
    let mut text = None;
    let mut photos_s = None;
    while start.elapsed() < CAP {
        let _ = b.try_sync();
        if text.is_none() && incidents(&mut b) == 20 {
            text = Some(start.elapsed());
        }
        if text.is_some() {
            let left = vigil_core::team::status(b.vault.db_mut().expect("unlocked"))
                .map(|s| s.attachments_to_download)
                .unwrap_or(1);
            if photos.is_empty() || left == 0 {
                if !photos.is_empty() {
                    photos_s = Some(start.elapsed().as_secs_f64());
                }
                break;
            }
        }
        thread::sleep(Duration::from_millis(250));
    }
    let _ = uploader.join();
    let f = match text {
        Some(t) => Figure::from_samples("slow_link", 20, &[t]),
        None => Figure::skipped("slow_link", 20, "text not arrived"),
    };
    (f, photos_s)
}
