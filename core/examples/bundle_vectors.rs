//! Writes the bundle test vectors of docs/INCIDENT_LOG.md ("Test vectors") into a
//! directory, with `verdicts.json` naming the verdict each must get:
//!
//!     cargo run -p vigil-core --example bundle_vectors -- tests/vectors/bundles
//!
//! Genuine bundles come from a real store; tampered ones are edited without any key;
//! crafted ones are re-signed with the device (or server) key, as an insider or a buggy
//! signer could. Keys are fresh on every run: the committed files are what the tests
//! check, this program is how they were made. The `legacy-v1-*` files were made by the
//! release before format 2 and are not rewritten here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use vigil_core::crypto::signing::DeviceKey;
use vigil_core::incident::canonical::{entry_hash, entry_hash_v2, sha256, ZERO_HASH};
use vigil_core::incident::export::Bundle;
use vigil_core::incident::{
    anchor, Category, ExportScope, IncidentLog, Location, LocationSource, OccurredAt, Report,
    ReportPatch, Severity,
};
use vigil_core::sync::protocol::ChainReceipt;
use vigil_core::testing::{fast_kdf, RawConnection};
use vigil_core::Vault;

struct Out {
    dir: PathBuf,
    verdicts: BTreeMap<String, String>,
}

impl Out {
    fn put(&mut self, name: &str, bytes: &[u8], verdict: &str) {
        let file = format!("{name}.json");
        std::fs::write(self.dir.join(&file), bytes).expect("write vector");
        self.verdicts.insert(file, verdict.to_string());
    }
}

fn to_bytes(b: &Bundle) -> Vec<u8> {
    serde_json::to_vec(b).expect("encode")
}

fn parse(bytes: &[u8]) -> Bundle {
    serde_json::from_slice(bytes).expect("parse")
}

/// Re-signs the bundle (payload) with `key`.
fn sign_bundle(b: &mut Bundle, key: &DeviceKey) {
    let payload = serde_json::to_vec(&b.payload).expect("encode");
    let domain: &[u8] = if b.format.ends_with("v2") {
        b"VIGIL-BUNDLE-V2"
    } else {
        b"VIGIL-BUNDLE-V1"
    };
    b.signature = hex::encode(key.sign(&[domain, &payload].concat()));
}

/// Relinks and re-signs every entry in array order as `key` would (prev_hash, hash,
/// signature; `body_sha256` from the body where disclosed), sets the head, re-signs the
/// bundle. `keep_digest`: leave stated body digests as they are.
fn rechain(b: &mut Bundle, key: &DeviceKey, keep_digest: bool) {
    let device = b.payload.device_id.clone();
    let mut last = ZERO_HASH;
    for e in &mut b.payload.entries {
        e.prev_hash = hex::encode(last);
        let hash = match e.v {
            Some(2) => {
                if !keep_digest {
                    if let Some(body) = &e.body {
                        e.body_sha256 = Some(hex::encode(sha256(body.as_bytes())));
                    }
                }
                let d: [u8; 32] = hex::decode(e.body_sha256.as_ref().expect("digest"))
                    .expect("hex")
                    .try_into()
                    .expect("32");
                entry_hash_v2(
                    e.seq,
                    &last,
                    &device,
                    &e.entry_id,
                    e.incident_id.as_deref().expect("incident"),
                    &d,
                )
            }
            _ => {
                let body = e.body.as_ref().expect("a v1 entry to re-sign is disclosed");
                if !keep_digest && e.body_sha256.is_some() {
                    e.body_sha256 = Some(hex::encode(sha256(body.as_bytes())));
                }
                entry_hash(e.seq, &last, &device, body.as_bytes())
            }
        };
        e.hash = hex::encode(hash);
        e.signature = hex::encode(key.sign(&hash));
        last = hash;
    }
    b.payload.head_seq = b.payload.entries.last().map_or(0, |e| e.seq);
    b.payload.head_hash = hex::encode(last);
    sign_bundle(b, key);
}

fn edit_body(b: &mut Bundle, i: usize, from: &str, to: &str) {
    let body = b.payload.entries[i].body.clone().expect("disclosed");
    assert!(body.contains(from), "{from} not in {body}");
    b.payload.entries[i].body = Some(body.replacen(from, to, 1));
}

fn server_receipt(
    b: &Bundle,
    seq: u64,
    server: &DeviceKey,
    bind: bool,
) -> vigil_core::incident::BundleAnchor {
    let device_key: [u8; 32] = hex::decode(&b.payload.device_public_key)
        .expect("hex")
        .try_into()
        .expect("32");
    let hash: [u8; 32] = match seq {
        0 => ZERO_HASH,
        s => hex::decode(&b.payload.entries[(s - 1) as usize].hash)
            .expect("hex")
            .try_into()
            .expect("32"),
    };
    vigil_core::incident::BundleAnchor {
        server_public_key: hex::encode(server.public_key()),
        receipt: ChainReceipt::signed(
            &b.payload.device_id,
            bind.then_some(&device_key),
            seq,
            &hash,
            1_727_773_200_000,
            server,
        ),
    }
}

fn store(dir: &Path) -> (Vault, String, String) {
    let kdf = fast_kdf();
    let mut v = Vault::create(dir, b"vectors", kdf, None).expect("vault");
    let mut log = IncidentLog::with_officer(&mut v, Some("Alpha 1".into())).expect("log");
    let at = |h| {
        Utc.with_ymd_and_hms(2024, 10, 1, h, 0, 0)
            .single()
            .expect("time")
    };
    let mut r = Report::quick(
        Category::HostileSurveillance,
        Some(Location {
            latitude: 51.501_364,
            longitude: -0.141_89,
            accuracy_m: Some(8.5),
            source: LocationSource::Gps,
        }),
    );
    r.occurred = OccurredAt {
        utc: at(9),
        offset_minutes: 60,
        zone: Some("Europe/London".into()),
    };
    r.severity = Some(Severity::Medium);
    r.narrative = "Grey van, two occupants.\tEngine running; \"filming\".".into();
    let a = log.log(r).expect("log a");
    let mut r = Report::quick(Category::Medical, None);
    r.occurred = OccurredAt {
        utc: at(10),
        offset_minutes: -300,
        zone: None,
    };
    r.narrative = "Driver fainted.".into();
    let b = log.log(r).expect("log b");
    log.amend(
        &a.incident_id,
        "occupant count corrected",
        ReportPatch {
            narrative: Some("Grey van, three occupants.".into()),
            ..Default::default()
        },
    )
    .expect("amend");
    (v, a.incident_id, b.incident_id)
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: bundle_vectors DIR"));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut out = Out {
        dir,
        verdicts: BTreeMap::new(),
    };
    for legacy in [
        "legacy-v1-genuine.json",
        "legacy-v1-scoped.json",
        "legacy-v1-anchored.json",
    ] {
        out.verdicts.insert(legacy.into(), "ok".into());
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut v, a, _b) = store(tmp.path());
    let key_bytes = v.db().expect("db").device_key().public_key();
    let all = IncidentLog::new(&mut v)
        .export_bundle(&ExportScope::All)
        .expect("export");
    let scoped = IncidentLog::new(&mut v)
        .export_bundle(&ExportScope::Incidents(vec![a.clone()]))
        .expect("export");
    let (server, _) = DeviceKey::generate().expect("key");
    let genuine = parse(&all);
    let r = server_receipt(&genuine, 2, &server, true).receipt;
    anchor::store_receipt(
        v.db().expect("db").raw_connection(),
        &r,
        &server.public_key(),
    )
    .expect("store");
    let anchored = IncidentLog::new(&mut v)
        .export_bundle(&ExportScope::All)
        .expect("export");
    let db = v.db().expect("db");
    let key = db.device_key();
    assert_eq!(key.public_key(), key_bytes);

    // ---- genuine ----
    out.put("v2-genuine-all", &all, "ok");
    out.put("v2-genuine-scoped", &scoped, "ok");
    out.put("v2-genuine-anchored", &anchored, "ok");
    let mut old_receipt = parse(&anchored);
    old_receipt.payload.anchor = Some(server_receipt(&old_receipt, 2, &server, false));
    sign_bundle(&mut old_receipt, key);
    out.put("v2-anchored-receipt-v1", &to_bytes(&old_receipt), "ok");
    let mut empty = parse(&all);
    empty.payload.entries.clear();
    empty.payload.incidents.clear();
    rechain(&mut empty, key, false);
    out.put("v2-empty-chain", &to_bytes(&empty), "ok");
    // A chain begun by the previous release: a version 1 entry, then version 2 ones.
    let mut mixed = parse(&all);
    {
        let e = &mut mixed.payload.entries[1];
        let body = e.body.clone().expect("disclosed");
        e.body = Some(body.replacen(r#"{"v":2,"#, r#"{"v":1,"#, 1));
        e.v = Some(1);
    }
    rechain(&mut mixed, key, false);
    out.put("v2-mixed-entry-versions", &to_bytes(&mixed), "ok");

    // ---- tampered without any key ----
    let text = String::from_utf8(all.clone()).expect("utf8");
    out.put(
        "tamper-body-edited",
        text.replacen("two occupants", "one occupants", 1)
            .as_bytes(),
        "BadBundleSignature",
    );
    out.put(
        "tamper-pretty-printed",
        &serde_json::to_vec_pretty(&genuine).expect("pretty"),
        "NotCanonical",
    );
    out.put(
        "tamper-unknown-field",
        text.replacen("{\"format\"", "{\"x\":1,\"format\"", 1)
            .as_bytes(),
        "Unparseable",
    );
    out.put(
        "tamper-duplicate-key",
        text.replacen(
            "\"signature\":\"",
            &format!("\"signature\":\"{}\",\"signature\":\"", genuine.signature),
            1,
        )
        .as_bytes(),
        "Unparseable",
    );
    out.put(
        "tamper-uppercase-hex",
        text.replacen(&genuine.signature, &genuine.signature.to_uppercase(), 1)
            .as_bytes(),
        "MalformedField",
    );
    out.put(
        "tamper-format",
        text.replacen("incident-bundle.v2", "incident-bundle.v9", 1)
            .as_bytes(),
        "UnsupportedFormat",
    );
    out.put("tamper-not-json", b"vigil bundle", "Unparseable");
    out.put(
        "tamper-escaped-ascii",
        text.replacen("\"format\"", "\"\\u0066ormat\"", 1)
            .as_bytes(),
        "NotCanonical",
    );
    let mut other_key = genuine.clone();
    let (stranger, _) = DeviceKey::generate().expect("key");
    other_key.payload.device_public_key = hex::encode(stranger.public_key());
    sign_bundle(&mut other_key, &stranger);
    out.put(
        "tamper-resigned-by-another-key",
        &to_bytes(&other_key),
        "Chain:bad_signature:1",
    );

    // ---- crafted by a key holder (entries and bundle re-signed) ----
    let craft = |out: &mut Out, name: &str, verdict: &str, f: &dyn Fn(&mut Bundle)| {
        let mut b = parse(&all);
        f(&mut b);
        rechain(&mut b, key, false);
        out.put(name, &to_bytes(&b), verdict);
    };
    craft(&mut out, "craft-latitude-91", "Chain:malformed:1", &|b| {
        edit_body(
            b,
            0,
            "\"latitude_nd\":51501364000",
            "\"latitude_nd\":91000000000",
        )
    });
    craft(
        &mut out,
        "craft-accuracy-negative",
        "Chain:malformed:1",
        &|b| edit_body(b, 0, "\"accuracy_mm\":8500", "\"accuracy_mm\":-1"),
    );
    craft(&mut out, "craft-offset-2000", "Chain:malformed:1", &|b| {
        edit_body(b, 0, "\"offset_minutes\":60", "\"offset_minutes\":2000")
    });
    craft(
        &mut out,
        "craft-float-in-v2-location",
        "Chain:malformed:1",
        &|b| {
            edit_body(
                b,
                0,
                "\"latitude_nd\":51501364000",
                "\"latitude_nd\":51.501364",
            )
        },
    );
    craft(&mut out, "craft-null-people", "Chain:malformed:1", &|b| {
        edit_body(b, 0, "\"people\":[]", "\"people\":null")
    });
    craft(
        &mut out,
        "craft-tab-escaped-as-u0009",
        "Chain:malformed:1",
        &|b| edit_body(b, 0, "occupants.\\t", "occupants.\\u0009"),
    );
    craft(
        &mut out,
        "craft-entry-id-not-uuid",
        "Chain:malformed:2",
        &|b| {
            let e = &mut b.payload.entries[1];
            let old = e.entry_id.clone();
            let new = old.to_uppercase();
            e.entry_id = new.clone();
            e.incident_id = Some(new.clone());
            e.body = Some(e.body.clone().expect("disclosed").replace(&old, &new));
            for i in b.payload.incidents.iter_mut().filter(|i| **i == old) {
                *i = new.clone();
            }
        },
    );
    craft(&mut out, "craft-empty-reason", "Chain:malformed:3", &|b| {
        edit_body(
            b,
            2,
            "\"reason\":\"occupant count corrected\"",
            "\"reason\":\"\"",
        )
    });
    craft(&mut out, "craft-empty-patch", "Chain:malformed:3", &|b| {
        edit_body(
            b,
            2,
            "\"patch\":{\"narrative\":\"Grey van, three occupants.\"}",
            "\"patch\":{}",
        )
    });
    craft(
        &mut out,
        "craft-attachment-sha256-31-hex",
        "Chain:malformed:1",
        &|b| {
            let att = format!(
            "\"attachments\":[{{\"id\":\"{}\",\"sha256\":\"{}\",\"mime\":\"image/jpeg\",\"size\":1,\"captured_at\":null}}]",
            "a".repeat(32),
            "b".repeat(31)
        );
            edit_body(b, 0, "\"attachments\":[]", &att)
        },
    );
    craft(&mut out, "craft-hidden-amendment", "HiddenHistory", &|b| {
        b.payload.entries[2].body = None;
    });
    craft(
        &mut out,
        "craft-disclosed-unlisted-incident",
        "ScopeMismatch",
        &|b| {
            b.payload
                .incidents
                .retain(|i| *i != b.payload.entries[1].entry_id);
        },
    );
    craft(
        &mut out,
        "craft-listed-report-hidden",
        "ScopeMismatch",
        &|b| {
            b.payload.entries[1].body = None;
        },
    );
    craft(&mut out, "craft-entry-v3", "MalformedField", &|b| {
        b.payload.entries[1].v = Some(3);
    });
    craft(
        &mut out,
        "craft-format-1-with-format-2-fields",
        "Unparseable",
        &|b| {
            b.format = "vigil.incident-bundle.v1".into();
        },
    );
    craft(&mut out, "craft-missing-body-sha256", "Unparseable", &|b| {
        b.payload.entries[1].body_sha256 = None;
        b.payload.entries[1].v = Some(1);
    });
    craft(&mut out, "craft-deleted-entry", "Chain:missing:2", &|b| {
        let gone = b.payload.entries.remove(1);
        b.payload.incidents.retain(|i| *i != gone.entry_id);
    });
    craft(
        &mut out,
        "craft-duplicated-entry",
        "Chain:reordered:1",
        &|b| {
            let e = b.payload.entries[0].clone();
            b.payload.entries.insert(1, e);
        },
    );
    {
        // Entries 2 and 3 swapped and their seqs relabelled; only the bundle re-signed.
        let mut b = parse(&all);
        b.payload.entries.swap(1, 2);
        b.payload.entries[1].seq = 2;
        b.payload.entries[2].seq = 3;
        sign_bundle(&mut b, key);
        out.put(
            "craft-swapped-relabelled",
            &to_bytes(&b),
            "Chain:reordered:2",
        );
    }
    {
        // A hidden entry's header names another incident; only the bundle re-signed.
        let mut b = parse(&scoped);
        b.payload.entries[1].incident_id = Some(a.clone());
        sign_bundle(&mut b, key);
        out.put(
            "craft-hidden-entry-relabelled",
            &to_bytes(&b),
            "Chain:edited:2",
        );
        // ... and the entry re-signed too: now it is a hidden entry of a listed incident.
        rechain(&mut b, key, false);
        out.put(
            "craft-hidden-entry-relabelled-resigned",
            &to_bytes(&b),
            "HiddenHistory",
        );
    }
    {
        let mut b = parse(&all);
        let other = b.payload.entries[0].incident_id.clone();
        b.payload.entries[1].incident_id = other;
        rechain(&mut b, key, false);
        out.put(
            "craft-header-incident-disagrees-with-body",
            &to_bytes(&b),
            "Chain:edited:2",
        );
    }
    {
        let mut b = parse(&all);
        b.payload.entries[1].body_sha256 = Some(hex::encode([7u8; 32]));
        rechain(&mut b, key, true);
        out.put("craft-body-sha256-lie", &to_bytes(&b), "Chain:edited:2");
    }
    {
        // A version 2 body hashed and signed by the version 1 rule, header v 1.
        let mut b = parse(&all);
        b.payload.entries[1].v = Some(1);
        rechain(&mut b, key, false);
        out.put("craft-version-lie", &to_bytes(&b), "Chain:edited:2");
    }
    {
        // A version 1 entry whose float is written the way Python writes it.
        let mut b = mixed.clone();
        let body = b.payload.entries[1].body.clone().expect("disclosed");
        let v1 = body.replacen(
            r#""location":null"#,
            r#""location":{"latitude":1.234e-05,"longitude":0.0,"accuracy_m":null,"source":"gps"}"#,
            1,
        );
        assert_ne!(v1, body);
        b.payload.entries[1].body = Some(v1);
        rechain(&mut b, key, false);
        out.put(
            "craft-v1-float-not-in-ryu-form",
            &to_bytes(&b),
            "Chain:malformed:2",
        );
        let mut c = mixed.clone();
        let ryu = body.replacen(r#""location":null"#, r#""location":{"latitude":0.00001234,"longitude":0.0,"accuracy_m":1e+16,"source":"gps"}"#, 1);
        c.payload.entries[1].body = Some(ryu);
        rechain(&mut c, key, false);
        out.put("v2-mixed-v1-floats-in-ryu-form", &to_bytes(&c), "ok");
    }
    {
        let mut b = parse(&anchored);
        b.payload.head_seq = 2;
        sign_bundle(&mut b, key);
        out.put("craft-head-mismatch", &to_bytes(&b), "HeadMismatch");
    }
    {
        // The whole chain re-signed under another key, carrying the genuine receipt.
        let mut b = parse(&anchored);
        b.payload.device_public_key = hex::encode(stranger.public_key());
        rechain(&mut b, &stranger, false);
        out.put(
            "craft-resigned-chain-genuine-receipt",
            &to_bytes(&b),
            "BadReceipt",
        );
    }
    {
        let mut b = parse(&anchored);
        b.payload.anchor = Some(server_receipt(&b, 0, &server, true));
        sign_bundle(&mut b, key);
        out.put("craft-receipt-seq-0", &to_bytes(&b), "BadReceipt");
    }
    {
        let mut b = parse(&anchored);
        let mut other = b.clone();
        other.payload.device_id = "another-device".into();
        b.payload.anchor = Some(server_receipt(&other, 2, &server, true));
        sign_bundle(&mut b, key);
        out.put("craft-receipt-other-device", &to_bytes(&b), "BadReceipt");
    }
    {
        let mut b = parse(&anchored);
        b.payload.entries.truncate(1);
        b.payload.incidents.truncate(1);
        rechain(&mut b, key, false);
        out.put("craft-cut-tail-anchored", &to_bytes(&b), "BehindReceipt");
    }
    {
        let mut b = parse(&anchored);
        edit_body(&mut b, 1, "Driver fainted.", "Driver was fine.");
        rechain(&mut b, key, false);
        out.put(
            "craft-rewritten-after-anchoring",
            &to_bytes(&b),
            "ReceiptMismatch",
        );
    }
    {
        let mut b = parse(&anchored);
        b.payload.entries.clear();
        b.payload.incidents.clear();
        rechain(&mut b, key, false);
        out.put("craft-empty-chain-anchored", &to_bytes(&b), "BehindReceipt");
    }
    {
        let mut b = parse(&anchored);
        if let Some(a) = b.payload.anchor.as_mut() {
            a.server_public_key = hex::encode(stranger.public_key());
        }
        sign_bundle(&mut b, key);
        out.put(
            "craft-receipt-other-server-key",
            &to_bytes(&b),
            "BadReceipt",
        );
    }
    let verdicts = serde_json::to_string_pretty(&out.verdicts).expect("json");
    std::fs::write(out.dir.join("verdicts.json"), verdicts + "\n").expect("write");
    println!("{} vectors in {}", out.verdicts.len(), out.dir.display());
}
