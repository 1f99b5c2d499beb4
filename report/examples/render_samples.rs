//! Renders both reports from a generated demo store: `render_samples OUT_DIR` writes
//! OUT_DIR/incident-report.pdf and OUT_DIR/advance-report.pdf (system fonts), and
//! OUT_DIR/cjk-report.pdf, an incident report whose narrative is long Chinese and
//! Japanese text (to look at its line breaks). Used by tests/evidence/render-samples,
//! which turns their pages into PNGs and the first two reports' first pages into docs/*.png.

#[path = "../tests/support/demo.rs"]
mod demo;

fn main() {
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: render_samples OUT_DIR"),
    );
    std::fs::create_dir_all(&out).expect("out dir");
    let store = tempfile::tempdir().expect("tempdir");
    let mut d = demo::demo(
        &store.path().join("store"),
        "The principal slipped on the wet marble of the east staircase at 15:05 and hurt her right wrist. First aid given on site by Bravo 1 (cold compress, sling). Hotel first-aider attended at 15:12. No loss of consciousness. Principal declined an ambulance; GP appointment arranged for 17:30. The stairs had no warning sign; the hotel placed one at 15:20.",
    );
    let fonts = vigil_report::Fonts::system().expect("system fonts");
    let mut r =
        vigil_report::incidents_from_vault(&mut d.vault, None, None, &[]).expect("incidents");
    r.header.team = Some("Alpha team (close protection)".into());
    r.header.officer = Some("PS Hale (Bravo 2)".into());
    let pdf = vigil_report::render_incidents(&r, &fonts).expect("render incidents");
    std::fs::write(out.join("incident-report.pdf"), pdf).expect("write");
    let mut w = vigil_report::walk_from_vault(&mut d.vault, &d.walk_id).expect("walk");
    w.header.team = Some("Alpha team (close protection)".into());
    w.header.officer = Some("PS Hale".into());
    let pdf = vigil_report::render_walk(&w, &fonts).expect("render walk");
    std::fs::write(out.join("advance-report.pdf"), pdf).expect("write");
    let store = tempfile::tempdir().expect("tempdir");
    let mut d = demo::demo(&store.path().join("store"), &demo::cjk_narrative());
    let r = vigil_report::incidents_from_vault(&mut d.vault, None, None, &[]).expect("cjk");
    let pdf = vigil_report::render_incidents(&r, &fonts).expect("render cjk");
    std::fs::write(out.join("cjk-report.pdf"), pdf).expect("write");
}
