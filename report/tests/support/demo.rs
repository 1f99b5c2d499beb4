//! A demo store for the report tests and the sample renders: a real SQLCipher store on
//! disk holding the test kit's filled incidents (non-Latin names, a photo, an amendment)
//! and filled advance walk (havens, a route, a sign-off).
// Shared by the PDF tests and the sample renders, each using a part of it.
#![allow(dead_code, unused_imports)]

use std::path::Path;

use chrono::{TimeZone, Utc};
use vigil_core::Vault;
use vigil_testkit::fixtures::{self, london_offset_minutes};

pub use vigil_testkit::fixtures::{photo_png, photo_png_sized, ARABIC, CJK, CYRILLIC};

pub struct Demo {
    pub vault: Vault,
    pub incidents: Vec<String>,
    pub walk_id: String,
    pub photo: Vec<u8>,
}

/// A long narrative in Chinese, then Japanese (kana and kanji, with Latin and digits
/// inside), punctuation included, for line breaking.
pub fn cjk_narrative() -> String {
    let zh = "下午三点零五分，一名身穿深色外套的男子在酒店正门对面停车，用手机拍摄进出的车辆和人员长达四十分钟。\
              我们的安保人员上前询问时，他立即驾驶一辆灰色福特厢式货车（车牌 AB12 CDE）沿公园巷向北离开。\
              酒店门卫证实，该男子昨天也曾在同一位置出现。";
    let ja = "午後三時十分、同じ男性がホテルの裏口付近で再び目撃されました。警護対象者は正面玄関ではなく\
              裏口から車両に乗り込み、ロンドン警視庁に通報済みです（参照番号 CAD 4471/05）。";
    format!("{zh}{zh}{ja}{ja}")
}

#[test]
fn london_is_on_gmt_in_december_and_bst_in_july() {
    let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
    assert_eq!(london_offset_minutes(at(2026, 12, 5, 12)), 0);
    assert_eq!(london_offset_minutes(at(2026, 7, 1, 12)), 60);
    // 2026: BST from 29 March 01:00 UTC to 25 October 01:00 UTC.
    assert_eq!(london_offset_minutes(at(2026, 3, 29, 0)), 0);
    assert_eq!(london_offset_minutes(at(2026, 3, 29, 1)), 60);
    assert_eq!(london_offset_minutes(at(2026, 10, 25, 0)), 60);
    assert_eq!(london_offset_minutes(at(2026, 10, 25, 1)), 0);
}

/// The demo store in `dir`; `narrative` is the second incident's narrative.
pub fn demo(dir: &Path, narrative: &str) -> Demo {
    let mut vault = vigil_testkit::vault_in(dir, b"demo passphrase");
    let filled = fixtures::filled_incidents(&mut vault, narrative);
    let walk_id = fixtures::filled_walk(&mut vault);
    Demo {
        vault,
        incidents: filled.ids,
        walk_id,
        photo: filled.photo,
    }
}
