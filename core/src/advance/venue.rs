//! Venues: where the principal will be. Name, address, position, an optional boundary,
//! typed points (entrances, exits, safe room, muster point, ...), contacts and notes.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::error::{write, AdvanceError, AdvanceResult};
use super::geometry::Position;
use super::{
    check_id, new_id, opt_text, optional_text, required_text, stored_doc, stored_docs, NAME_MAX,
    NOTE_MAX,
};
use crate::clock::Hlc;
use crate::store::Database;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum VenuePointKind {
    Entrance,
    Exit,
    EmergencyExit,
    SafeRoom,
    MusterPoint,
    VehicleDropOff,
    VehiclePickUp,
    Parking,
    MedicalKit,
    Aed,
    ControlRoom,
    Other,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct VenuePoint {
    pub kind: VenuePointKind,
    pub label: String,
    pub position: Option<Position>,
    /// Floor or level, as the venue names it ("B1", "Mezzanine").
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub notes: String,
}

/// Someone to call: venue point of contact, security manager, police liaison.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub notes: String,
}

impl Contact {
    pub(crate) fn validate(&self, field: &str) -> AdvanceResult<Contact> {
        Ok(Contact {
            name: required_text(&self.name, &format!("{field}.name"), NAME_MAX)?,
            role: optional_text(&self.role, &format!("{field}.role"), NAME_MAX)?,
            phone: opt_text(&self.phone, &format!("{field}.phone"), 40)?,
            email: opt_text(&self.email, &format!("{field}.email"), 254)?,
            notes: optional_text(&self.notes, &format!("{field}.notes"), NOTE_MAX)?,
        })
    }
}

/// What the caller sends to create (`id: None`) or replace (`id: Some`) a venue.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct VenueInput {
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub position: Option<Position>,
    /// Outer ring of the site, not closed (the last point joins the first).
    #[serde(default)]
    pub boundary: Option<Vec<Position>>,
    #[serde(default)]
    pub points: Vec<VenuePoint>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Venue {
    pub id: String,
    pub name: String,
    pub address: Option<String>,
    pub position: Option<Position>,
    pub boundary: Option<Vec<Position>>,
    pub points: Vec<VenuePoint>,
    pub contacts: Vec<Contact>,
    pub notes: String,
    /// Clock stamp of the last change.
    pub updated: Hlc,
}

/// The input that saves `venue` again as it is: an edit starts from it and changes what
/// the officer changed (the clock stamp is the save's own).
impl From<Venue> for VenueInput {
    fn from(venue: Venue) -> Self {
        VenueInput {
            id: Some(venue.id),
            name: venue.name,
            address: venue.address,
            position: venue.position,
            boundary: venue.boundary,
            points: venue.points,
            contacts: venue.contacts,
            notes: venue.notes,
        }
    }
}

impl VenueInput {
    fn validate(&self) -> AdvanceResult<VenueInput> {
        if let Some(id) = &self.id {
            check_id(id, "id")?;
        }
        if let Some(p) = &self.position {
            p.validate("position")?;
        }
        let boundary = match &self.boundary {
            None => None,
            Some(ring) => {
                let mut ring = ring.clone();
                // Accept a closed ring too.
                if ring.len() > 1 && ring.first() == ring.last() {
                    ring.pop();
                }
                if ring.len() < 3 {
                    return Err(AdvanceError::invalid(
                        "boundary",
                        "needs at least three distinct positions",
                    ));
                }
                for (i, p) in ring.iter().enumerate() {
                    p.validate(&format!("boundary[{i}]"))?;
                }
                Some(ring)
            }
        };
        let mut points = Vec::with_capacity(self.points.len());
        for (i, p) in self.points.iter().enumerate() {
            let f = format!("points[{i}]");
            if let Some(pos) = &p.position {
                pos.validate(&format!("{f}.position"))?;
            }
            points.push(VenuePoint {
                kind: p.kind,
                label: required_text(&p.label, &format!("{f}.label"), NAME_MAX)?,
                position: p.position,
                level: opt_text(&p.level, &format!("{f}.level"), 40)?,
                notes: optional_text(&p.notes, &format!("{f}.notes"), NOTE_MAX)?,
            });
        }
        let contacts = self
            .contacts
            .iter()
            .enumerate()
            .map(|(i, c)| c.validate(&format!("contacts[{i}]")))
            .collect::<AdvanceResult<Vec<_>>>()?;
        Ok(VenueInput {
            id: self.id.clone(),
            name: required_text(&self.name, "name", NAME_MAX)?,
            address: opt_text(&self.address, "address", 1000)?,
            position: self.position,
            boundary,
            points,
            contacts,
            notes: optional_text(&self.notes, "notes", NOTE_MAX)?,
        })
    }
}

/// Creates or replaces a venue. Outbox kind `venue.upsert`, payload the whole venue.
pub fn save_venue(db: &mut Database, input: &VenueInput) -> AdvanceResult<Venue> {
    let v = input.validate()?;
    write(db, |w| {
        let id = v.id.clone().unwrap_or_else(new_id);
        let venue = Venue {
            id,
            name: v.name,
            address: v.address,
            position: v.position,
            boundary: v.boundary,
            points: v.points,
            contacts: v.contacts,
            notes: v.notes,
            updated: w.stamp()?,
        };
        let doc = serde_json::to_value(&venue)?;
        // Before the row is replaced: the stamps keep what this save leaves unchanged.
        let payload = super::fields::RecordKind::Venue.save_local(w.tx(), &doc, &venue.updated)?;
        w.tx().execute(
            "INSERT INTO adv_venues(id, name, doc, hlc) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc,
             hlc = excluded.hlc",
            params![
                venue.id,
                venue.name,
                doc.to_string(),
                venue.updated.to_string()
            ],
        )?;
        w.emit("venue.upsert", &venue.id, &payload)?;
        Ok(venue)
    })
}

pub fn get_venue(db: &Database, id: &str) -> AdvanceResult<Venue> {
    stored_doc(db, "SELECT doc FROM adv_venues WHERE id = ?1", id, "venue")
}

/// All venues, by name.
pub fn list_venues(db: &Database) -> AdvanceResult<Vec<Venue>> {
    stored_docs(db, "SELECT doc FROM adv_venues ORDER BY name, id", [])
}
