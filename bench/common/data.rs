//! Deterministic synthetic incidents, shared by `vigil-bench` and `vigil-baseline`
//! (included by `#[path]` in both, so both stores hold exactly the same data).
//! Standard library only: the baseline crate must not link vigil-core.

/// SplitMix64: tiny, seeded, good enough to draw words and coordinates.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Words of a protection officer's notebook. Narratives draw from them uniformly.
#[rustfmt::skip]
pub const WORDS: &[&str] = &[
    "principal", "arrived", "departed", "venue", "entrance", "rear", "lobby", "stairwell",
    "corridor", "car", "park", "vehicle", "grey", "van", "silver", "saloon", "black",
    "motorcycle", "rider", "helmet", "male", "female", "aged", "approximately", "wearing",
    "jacket", "hood", "cap", "camera", "phone", "photographing", "filming", "loitering",
    "watching", "following", "observed", "twice", "again", "earlier", "later", "minutes",
    "hours", "street", "junction", "crossing", "traffic", "lights", "bus", "stop", "taxi",
    "rank", "hotel", "restaurant", "office", "residence", "gate", "fence", "barrier",
    "security", "guard", "police", "officer", "called", "informed", "reported", "noted",
    "registration", "partial", "plate", "number", "unknown", "known", "subject", "person",
    "group", "crowd", "protest", "banner", "shouting", "media", "press", "photographer",
    "approached", "asked", "questions", "refused", "left", "area", "northbound",
    "southbound", "eastbound", "westbound", "towards", "from", "near", "opposite",
    "outside", "inside", "parked", "engine", "running", "driver", "passenger", "window",
    "lowered", "paused", "drove", "slowly", "quickly", "turned", "stopped", "waited",
    "returned", "route", "alternate", "primary", "checkpoint", "rendezvous", "delay",
    "closure", "roadworks", "diversion", "medical", "first", "aid", "ambulance", "hospital",
    "minor", "injury", "no", "further", "action", "logged", "for", "awareness", "team",
    "briefed", "command", "advised", "detail", "moved", "secure", "room", "window",
    "balcony", "door", "locked", "unlocked", "propped", "open", "alarm", "sounded", "false",
    "staff", "confirmed", "delivery", "courier", "package", "unattended", "bag", "cleared",
    "searched", "dog", "handler", "perimeter", "east", "west", "north", "south", "side",
    "main", "road",
];

/// What the search workload looks for: two common words, both required.
pub const SEARCH_TEXT: &str = "grey van";

pub const CATEGORIES: &[&str] = &[
    "suspicious_activity",
    "hostile_surveillance",
    "approach_or_threat",
    "medical",
    "security_breach",
    "road_or_vehicle",
    "crowd_or_protest",
    "media",
    "theft_or_loss",
    "other",
];

pub const SEVERITIES: &[&str] = &["info", "low", "medium", "high", "critical"];

/// One synthetic incident report.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    pub index: u64,
    /// Milliseconds since the epoch; one incident every ~20 minutes from 2024-01-01.
    pub occurred_ms: i64,
    pub category: &'static str,
    pub severity: &'static str,
    pub latitude: f64,
    pub longitude: f64,
    /// About 200 characters of lower-case words.
    pub narrative: String,
    pub tags: Vec<String>,
}

const EPOCH_2024_MS: i64 = 1_704_067_200_000;
const SEED: u64 = 0x005E_ED0F_1C1D;

/// Incident number `index`: the same on every run and in both binaries.
pub fn incident(index: u64) -> Incident {
    let mut rng = Rng::new(SEED ^ index.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut narrative = String::with_capacity(240);
    while narrative.len() < 200 {
        if !narrative.is_empty() {
            narrative.push(' ');
        }
        narrative.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    let tags = (0..rng.below(3))
        .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize].to_string())
        .collect();
    Incident {
        index,
        occurred_ms: EPOCH_2024_MS + index as i64 * 1_200_000 + rng.below(600_000) as i64,
        category: CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize],
        severity: SEVERITIES[rng.below(SEVERITIES.len() as u64) as usize],
        // Six decimals (~0.1 m), as a GPS fix is usually reported.
        latitude: round6(51.45 + rng.unit() * 0.1),
        longitude: round6(-0.2 + rng.unit() * 0.2),
        narrative,
        tags,
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// True when `text` contains every word of `query` (the field-level baseline's scan).
pub fn matches_all(text: &str, query: &str) -> bool {
    query.split_whitespace().all(|q| {
        text.split(|c: char| !c.is_alphanumeric())
            .any(|w| w.starts_with(q))
    })
}

/// `2024-01-01T00:20:00.000Z` for milliseconds since the epoch (UTC, proleptic Gregorian).
pub fn rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        ms.rem_euclid(1000)
    )
}

fn tags_json(tags: &[String]) -> String {
    let quoted: Vec<String> = tags.iter().map(|t| format!("\"{t}\"")).collect();
    format!("[{}]", quoted.join(","))
}

/// The JSON of an incident's current view, shaped like Vigil's `IncidentSummary` (the
/// baselines store this; Vigil stores its own). Words need no escaping.
pub fn view_json(i: &Incident, id: &str) -> String {
    format!(
        concat!(
            "{{\"incident_id\":\"{id}\",\"recorded_at\":\"{t}\",\"updated_at\":\"{t}\",",
            "\"amendments\":0,\"current\":{{\"occurred\":{{\"utc\":\"{t}\",\"offset_minutes\":0,",
            "\"zone\":null}},\"category\":\"{c}\",\"severity\":\"{s}\",\"location\":{{",
            "\"latitude\":{lat},\"longitude\":{lon},\"accuracy_m\":null,\"source\":\"gps\"}},",
            "\"narrative\":\"{n}\",\"people\":[],\"vehicles\":[],\"actions_taken\":[],",
            "\"police_reference\":null,\"witnesses\":[],\"tags\":{tags},\"venue_id\":null,",
            "\"route_id\":null,\"officer\":\"PS Hale\",\"attachments\":[]}}}}"
        ),
        id = id,
        t = rfc3339_ms(i.occurred_ms),
        c = i.category,
        s = i.severity,
        lat = i.latitude,
        lon = i.longitude,
        n = i.narrative,
        tags = tags_json(&i.tags),
    )
}

/// A stand-in for the entry's canonical body: the view plus the chain fields.
pub fn entry_json(i: &Incident, id: &str) -> String {
    format!(
        "{{\"v\":1,\"entry_id\":\"{id}\",\"kind\":\"report\",\"report\":{}}}",
        view_json(i, id)
    )
}

/// A 36-character, UUID-shaped id for incident `index` (deterministic).
pub fn incident_id(index: u64, salt: u64) -> String {
    let mut r = Rng::new(index ^ salt.rotate_left(17));
    let a = r.next_u64();
    let b = r.next_u64();
    format!(
        "{:08x}-{:04x}-7{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

/// The synthetic route: `points` positions `(lat, lon)` wandering through London (the
/// same line for Vigil and the baselines).
pub fn route_line(points: usize) -> Vec<(f64, f64)> {
    let mut rng = Rng::new(0x0F0E);
    let (mut lat, mut lon) = (51.45, -0.25);
    let mut line = Vec::with_capacity(points);
    for _ in 0..points {
        line.push((lat, lon));
        lat += (rng.unit() - 0.3) * 0.0002;
        lon += (rng.unit() - 0.3) * 0.0003;
    }
    line
}

/// A route document shaped like Vigil's stored `Route` (name, role, line as `{lat, lon}`
/// objects, no points of interest).
pub fn route_json(id: &str, line: &[(f64, f64)]) -> String {
    let pts: Vec<String> = line
        .iter()
        .map(|(lat, lon)| format!("{{\"lat\":{lat},\"lon\":{lon}}}"))
        .collect();
    format!(
        concat!(
            "{{\"id\":\"{id}\",\"name\":\"Primary, hotel to venue\",\"journey\":null,",
            "\"role\":\"primary\",\"line\":[{pts}],\"points\":[],",
            "\"notes\":\"\",\"updated\":\"0000000000000-0000-bench\"}}"
        ),
        id = id,
        pts = pts.join(","),
    )
}

/// An answer record shaped like Vigil's `Answer` for answer number `k`.
pub fn answer_json(walk_id: &str, k: usize) -> String {
    format!(
        concat!(
            "{{\"walk_id\":\"{w}\",\"item_id\":\"underside\",\"value\":{{\"kind\":\"check\",",
            "\"state\":\"{s}\"}},\"note\":\"checked {k}\",\"issue\":false,",
            "\"position\":{{\"lat\":51.5158,\"lon\":-0.0917}},\"photos\":[],",
            "\"officer\":\"PS Hale\",\"answered_at_ms\":{t},\"device_id\":\"bench-device\",",
            "\"hlc\":\"{t}-0000-bench\"}}"
        ),
        w = walk_id,
        s = ["ok", "issue"][k % 2],
        k = k,
        t = 1_733_000_000_000u64 + k as u64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incidents_are_deterministic_and_about_200_chars() {
        assert_eq!(incident(42), incident(42));
        assert_ne!(incident(42).narrative, incident(43).narrative);
        for i in 0..100 {
            let n = incident(i).narrative.len();
            assert!((200..240).contains(&n), "narrative of {n} chars");
        }
    }

    #[test]
    fn search_text_is_found_in_some_but_not_all() {
        let hits = (0..1000)
            .filter(|&i| matches_all(&incident(i).narrative, SEARCH_TEXT))
            .count();
        assert!(hits > 0 && hits < 1000, "{hits} of 1000");
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339_ms(1_704_067_200_000), "2024-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(951_782_400_123), "2000-02-29T00:00:00.123Z");
    }

    #[test]
    fn ids_are_uuid_shaped_and_distinct() {
        let a = incident_id(1, 7);
        assert_eq!(a.len(), 36);
        assert_ne!(a, incident_id(2, 7));
        assert_eq!(a, incident_id(1, 7));
    }
}
