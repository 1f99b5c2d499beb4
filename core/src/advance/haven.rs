//! Safe havens: where to take the principal when something goes wrong. Hospitals (with
//! or without an emergency department, trauma level, helipad), police and fire stations,
//! embassies and consulates, and others.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::error::{write, AdvanceError, AdvanceResult};
use super::geometry::{bearing_deg, distance_m, Position};
use super::{
    check_id, new_id, opt_text, optional_text, required_text, stored_doc, stored_docs, NAME_MAX,
    NOTE_MAX,
};
use crate::clock::Hlc;
use crate::store::Database;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum HavenKind {
    Hospital,
    Police,
    Fire,
    Embassy,
    Consulate,
    Other,
}

impl HavenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HavenKind::Hospital => "hospital",
            HavenKind::Police => "police",
            HavenKind::Fire => "fire",
            HavenKind::Embassy => "embassy",
            HavenKind::Consulate => "consulate",
            HavenKind::Other => "other",
        }
    }
}

/// What a hospital can do for a casualty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct HospitalInfo {
    /// Accident and emergency (emergency department) open to walk-ins and ambulances.
    pub emergency_department: bool,
    /// Trauma centre level, 1 (highest) to 4; `None` when not a designated trauma centre.
    #[serde(default)]
    pub trauma_level: Option<u8>,
    #[serde(default)]
    pub helipad: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SafeHavenInput {
    pub id: Option<String>,
    pub kind: HavenKind,
    pub name: String,
    pub position: Position,
    /// Required for hospitals, refused for other kinds.
    #[serde(default)]
    pub hospital: Option<HospitalInfo>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Free text, ideally in OpenStreetMap `opening_hours` syntax ("24/7", "Mo-Fr 08:00-18:00").
    #[serde(default)]
    pub opening_hours: Option<String>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SafeHaven {
    pub id: String,
    pub kind: HavenKind,
    pub name: String,
    pub position: Position,
    pub hospital: Option<HospitalInfo>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub opening_hours: Option<String>,
    pub notes: String,
    pub updated: Hlc,
}

/// Which havens a question is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case", tag = "filter")]
pub enum HavenFilter {
    Any,
    Kind {
        kind: HavenKind,
    },
    /// A hospital with an emergency department (A&E).
    EmergencyHospital,
    /// A trauma centre of this level or better (1 is best).
    TraumaCentre {
        max_level: u8,
    },
}

impl HavenFilter {
    pub fn matches(&self, h: &SafeHaven) -> bool {
        match self {
            HavenFilter::Any => true,
            HavenFilter::Kind { kind } => h.kind == *kind,
            HavenFilter::EmergencyHospital => h.hospital.is_some_and(|i| i.emergency_department),
            HavenFilter::TraumaCentre { max_level } => h
                .hospital
                .and_then(|i| i.trauma_level)
                .is_some_and(|l| l <= *max_level),
        }
    }
}

impl SafeHavenInput {
    fn validate(&self) -> AdvanceResult<SafeHavenInput> {
        if let Some(id) = &self.id {
            check_id(id, "id")?;
        }
        self.position.validate("position")?;
        match (self.kind, &self.hospital) {
            (HavenKind::Hospital, None) => {
                return Err(AdvanceError::invalid(
                    "hospital",
                    "a hospital needs its emergency department and trauma details",
                ))
            }
            (HavenKind::Hospital, Some(info)) => {
                if let Some(l) = info.trauma_level {
                    if !(1..=4).contains(&l) {
                        return Err(AdvanceError::invalid(
                            "hospital.trauma_level",
                            "must be 1 to 4",
                        ));
                    }
                }
            }
            (_, Some(_)) => {
                return Err(AdvanceError::invalid(
                    "hospital",
                    "only a hospital carries hospital details",
                ))
            }
            (_, None) => {}
        }
        Ok(SafeHavenInput {
            id: self.id.clone(),
            kind: self.kind,
            name: required_text(&self.name, "name", NAME_MAX)?,
            position: self.position,
            hospital: self.hospital,
            address: opt_text(&self.address, "address", 1000)?,
            phone: opt_text(&self.phone, "phone", 40)?,
            opening_hours: opt_text(&self.opening_hours, "opening_hours", 200)?,
            notes: optional_text(&self.notes, "notes", NOTE_MAX)?,
        })
    }
}

/// Creates or replaces a safe haven. Outbox kind `haven.upsert`.
pub fn save_haven(db: &mut Database, input: &SafeHavenInput) -> AdvanceResult<SafeHaven> {
    let v = input.validate()?;
    write(db, |w| {
        let haven = SafeHaven {
            id: v.id.clone().unwrap_or_else(new_id),
            kind: v.kind,
            name: v.name,
            position: v.position,
            hospital: v.hospital,
            address: v.address,
            phone: v.phone,
            opening_hours: v.opening_hours,
            notes: v.notes,
            updated: w.stamp()?,
        };
        let doc = serde_json::to_value(&haven)?;
        // Before the row is replaced: the stamps keep what this save leaves unchanged.
        let payload = super::fields::RecordKind::Haven.save_local(w.tx(), &doc, &haven.updated)?;
        w.tx().execute(
            "INSERT INTO adv_havens(id, kind, doc, hlc) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, doc = excluded.doc,
             hlc = excluded.hlc",
            params![
                haven.id,
                haven.kind.as_str(),
                doc.to_string(),
                haven.updated.to_string()
            ],
        )?;
        w.emit("haven.upsert", &haven.id, &payload)?;
        Ok(haven)
    })
}

pub fn get_haven(db: &Database, id: &str) -> AdvanceResult<SafeHaven> {
    stored_doc(
        db,
        "SELECT doc FROM adv_havens WHERE id = ?1",
        id,
        "safe haven",
    )
}

pub fn list_havens(db: &Database, filter: HavenFilter) -> AdvanceResult<Vec<SafeHaven>> {
    let mut havens: Vec<SafeHaven> = stored_docs(db, "SELECT doc FROM adv_havens ORDER BY id", [])?;
    havens.retain(|h| filter.matches(h));
    Ok(havens)
}

/// A haven seen from a position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct HavenFix {
    pub haven: SafeHaven,
    /// Geodesic distance, metres (straight line, not driving distance).
    pub distance_m: f64,
    /// Initial bearing from the position to the haven, degrees from true north.
    pub bearing_deg: f64,
}

/// The haven matching `filter` nearest to `from`, from a list (pure).
pub fn nearest_in(havens: &[SafeHaven], from: Position, filter: HavenFilter) -> Option<HavenFix> {
    havens
        .iter()
        .filter(|h| filter.matches(h))
        .map(|h| (h, distance_m(from, h.position)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(h, d)| HavenFix {
            haven: h.clone(),
            distance_m: d,
            bearing_deg: bearing_deg(from, h.position),
        })
}

/// The stored haven matching `filter` nearest to `from`.
pub fn nearest_haven(
    db: &Database,
    from: Position,
    filter: HavenFilter,
) -> AdvanceResult<Option<HavenFix>> {
    from.validate("from")?;
    Ok(nearest_in(&list_havens(db, filter)?, from, filter))
}
