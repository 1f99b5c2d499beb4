//! `vigil-bench report VIGIL.json BASELINE.json`: one markdown table, Vigil beside plain
//! SQLite and field-level sealing per workload and size, with ratios; then the cost split
//! of logging one incident.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::result::Figure;

#[derive(Deserialize)]
struct Doc {
    #[serde(default)]
    date: String,
    figures: Vec<Figure>,
}

fn load(path: &str) -> Result<Doc, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("read {path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("parse {path}: {e}"))
}

pub fn main(args: &[String]) -> Result<String, String> {
    if args.is_empty() {
        return Err("usage: vigil-bench report VIGIL.json [BASELINE.json ...]".into());
    }
    let mut docs = Vec::new();
    for a in args {
        docs.push(load(a)?);
    }
    Ok(render(
        &docs
            .iter()
            .flat_map(|d| d.figures.clone())
            .collect::<Vec<_>>(),
        &docs[0].date,
    ))
}

type Key = (String, String, u64);

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn ratio(a: f64, b: f64) -> String {
    if a > 0.0 && b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "—".into()
    }
}

fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.0}", k as f64 / 1024.0))
        .unwrap_or_else(|| "—".into())
}

/// The markdown for `figures` (all systems mixed).
pub fn render(figures: &[Figure], date: &str) -> String {
    let by: BTreeMap<Key, &Figure> = figures
        .iter()
        .map(|f| ((f.system.clone(), f.workload.clone(), f.size), f))
        .collect();
    let get = |s: &str, w: &str, n: u64| by.get(&(s.to_string(), w.to_string(), n)).copied();
    let mut md = String::new();
    md.push_str(&format!(
        "Results of {date}. Times are per operation in ms (median, p95); "
    ));
    md.push_str("ratios compare medians. Peak RSS is the process's peak resident set while the workload ran ");
    md.push_str(
        "(VmHWM reset before it; includes what was already resident, e.g. the open store).\n\n",
    );
    md.push_str("| workload | size | Vigil median | Vigil p95 | plain median | field median ");
    md.push_str("| Vigil/plain | Vigil/field | rate /s | peak RSS MiB | note |\n");
    md.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    let mut seen = Vec::new();
    for f in figures.iter().filter(|f| f.system == "vigil") {
        let key = (f.workload.clone(), f.size);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        if f.iterations == 0 {
            md.push_str(&format!(
                "| {} | {} | — | — | — | — | — | — | — | {} | {} |\n",
                f.workload,
                f.size,
                mib(f.peak_rss_kib),
                f.note
            ));
            continue;
        }
        let plain = get("plain", &f.workload, f.size);
        let field = get("field", &f.workload, f.size);
        let cell = |b: Option<&Figure>| b.map(|b| ms(b.median_ms)).unwrap_or_else(|| "—".into());
        let r = |b: Option<&Figure>| {
            b.map(|b| ratio(f.median_ms, b.median_ms))
                .unwrap_or_else(|| "—".into())
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f.workload,
            f.size,
            ms(f.median_ms),
            ms(f.p95_ms),
            cell(plain),
            cell(field),
            r(plain),
            r(field),
            f.rate_per_s
                .map(|v| format!("{v:.0}"))
                .unwrap_or_else(|| "—".into()),
            mib(f.peak_rss_kib),
            f.note
        ));
    }
    md.push_str(&split(figures, &get));
    md
}

/// Logging one incident, decomposed by differences of medians measured in the same run.
fn split<'a>(figures: &[Figure], get: &dyn Fn(&str, &str, u64) -> Option<&'a Figure>) -> String {
    let mut sizes: Vec<u64> = figures
        .iter()
        .filter(|f| f.system == "vigil" && f.workload == "log_incident")
        .map(|f| f.size)
        .collect();
    sizes.dedup();
    let mut md = String::from(
        "\n\nCost split of logging one incident (medians, ms; differences of the rows \
         above, so noisy at the 0.01 ms level):\n\n\
         | size | Vigil log | plain SQLite (floor) | SQLCipher | outbox row | \
         encode, hash, sign, chain, view rebuild | of which hash+sign alone |\n\
         |---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for n in sizes {
        let m = |s: &str, w: &str| get(s, w, n).map(|f| f.median_ms);
        let (Some(vigil), Some(raw), Some(raw_nobox)) = (
            m("vigil", "log_incident"),
            m("vigil", "log_raw_sql"),
            m("vigil", "log_raw_sql_no_outbox"),
        ) else {
            continue;
        };
        let plain = m("plain", "log_incident");
        let sign = m("vigil", "sign_and_hash");
        let opt = |v: Option<f64>| v.map(ms).unwrap_or_else(|| "—".into());
        md.push_str(&format!(
            "| {n} | {} | {} | {} | {} | {} | {} |\n",
            ms(vigil),
            opt(plain),
            opt(plain.map(|p| raw - p)),
            ms(raw - raw_nobox),
            ms(vigil - raw),
            opt(sign),
        ));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(system: &str, workload: &str, median: f64) -> Figure {
        Figure {
            system: system.into(),
            workload: workload.into(),
            size: 10,
            iterations: 3,
            median_ms: median,
            p95_ms: median,
            rate_per_s: None,
            peak_rss_kib: Some(2048),
            note: String::new(),
        }
    }

    #[test]
    fn table_has_ratios_and_split() {
        let figs = vec![
            fig("vigil", "log_incident", 0.9),
            fig("vigil", "log_raw_sql", 0.5),
            fig("vigil", "log_raw_sql_no_outbox", 0.4),
            fig("plain", "log_incident", 0.3),
            fig("field", "log_incident", 0.45),
        ];
        let md = render(&figs, "today");
        assert!(
            md.contains("| log_incident | 10 | 0.900 | 0.900 | 0.300 | 0.450 | 3.00x | 2.00x |")
        );
        assert!(md.contains("| 10 | 0.900 | 0.300 | 0.200 | 0.100 | 0.400 |"));
    }
}
