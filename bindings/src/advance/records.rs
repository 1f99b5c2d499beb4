//! Records and enums of advance work crossing the FFI, mirroring `vigil_core::advance`.
//! Clock stamps cross as their text form (`Hlc` display), times as ms since the epoch.

use vigil_core::advance as core;

/// Mirrors a field-less core enum both ways.
macro_rules! mirror_enum {
    ($(#[$m:meta])* $name:ident = $core:path { $($v:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
        pub enum $name { $($v),+ }

        impl From<$core> for $name {
            fn from(k: $core) -> Self {
                use $core as C;
                match k { $(C::$v => $name::$v),+ }
            }
        }

        impl From<$name> for $core {
            fn from(k: $name) -> Self {
                use $core as C;
                match k { $($name::$v => C::$v),+ }
            }
        }
    };
}

fn map<A, B: From<A>>(v: Vec<A>) -> Vec<B> {
    v.into_iter().map(Into::into).collect()
}

/// A WGS84 position in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GeoPosition {
    pub lat: f64,
    pub lon: f64,
}

impl From<core::Position> for GeoPosition {
    fn from(p: core::Position) -> Self {
        GeoPosition {
            lat: p.lat,
            lon: p.lon,
        }
    }
}

impl From<GeoPosition> for core::Position {
    fn from(p: GeoPosition) -> Self {
        core::Position::new(p.lat, p.lon)
    }
}

// ---- venues ----

mirror_enum!(
    /// What a marked point of a venue is.
    VenuePointKind = core::VenuePointKind {
        Entrance, Exit, EmergencyExit, SafeRoom, MusterPoint, VehicleDropOff, VehiclePickUp,
        Parking, MedicalKit, Aed, ControlRoom, Other,
    }
);

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VenuePoint {
    pub kind: VenuePointKind,
    pub label: String,
    pub position: Option<GeoPosition>,
    /// Floor or level, as written at the venue.
    pub level: Option<String>,
    pub notes: String,
}

impl From<core::VenuePoint> for VenuePoint {
    fn from(p: core::VenuePoint) -> Self {
        VenuePoint {
            kind: p.kind.into(),
            label: p.label,
            position: p.position.map(Into::into),
            level: p.level,
            notes: p.notes,
        }
    }
}

impl From<VenuePoint> for core::VenuePoint {
    fn from(p: VenuePoint) -> Self {
        core::VenuePoint {
            kind: p.kind.into(),
            label: p.label,
            position: p.position.map(Into::into),
            level: p.level,
            notes: p.notes,
        }
    }
}

/// A person to reach at a venue (point of contact, security manager, police liaison).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VenueContact {
    pub name: String,
    pub role: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub notes: String,
}

impl From<core::Contact> for VenueContact {
    fn from(c: core::Contact) -> Self {
        VenueContact {
            name: c.name,
            role: c.role,
            phone: c.phone,
            email: c.email,
            notes: c.notes,
        }
    }
}

impl From<VenueContact> for core::Contact {
    fn from(c: VenueContact) -> Self {
        core::Contact {
            name: c.name,
            role: c.role,
            phone: c.phone,
            email: c.email,
            notes: c.notes,
        }
    }
}

/// A venue to save: `id` null creates a new one, an existing id replaces it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VenueInput {
    pub id: Option<String>,
    pub name: String,
    pub address: Option<String>,
    pub position: Option<GeoPosition>,
    pub boundary: Option<Vec<GeoPosition>>,
    pub points: Vec<VenuePoint>,
    pub contacts: Vec<VenueContact>,
    pub notes: String,
}

impl From<VenueInput> for core::VenueInput {
    fn from(v: VenueInput) -> Self {
        core::VenueInput {
            id: v.id,
            name: v.name,
            address: v.address,
            position: v.position.map(Into::into),
            boundary: v.boundary.map(map),
            points: map(v.points),
            contacts: map(v.contacts),
            notes: v.notes,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Venue {
    pub id: String,
    pub name: String,
    pub address: Option<String>,
    pub position: Option<GeoPosition>,
    pub boundary: Option<Vec<GeoPosition>>,
    pub points: Vec<VenuePoint>,
    pub contacts: Vec<VenueContact>,
    pub notes: String,
    /// Clock stamp of the last change.
    pub updated: String,
}

impl From<core::Venue> for Venue {
    fn from(v: core::Venue) -> Self {
        Venue {
            id: v.id,
            name: v.name,
            address: v.address,
            position: v.position.map(Into::into),
            boundary: v.boundary.map(map),
            points: map(v.points),
            contacts: map(v.contacts),
            notes: v.notes,
            updated: v.updated.to_string(),
        }
    }
}

// ---- safe havens ----

mirror_enum!(
    HavenKind = core::HavenKind {
        Hospital,
        Police,
        Fire,
        Embassy,
        Consulate,
        Other
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct HospitalInfo {
    /// Has an emergency department (A&E).
    pub emergency_department: bool,
    /// Trauma level 1 (best) to 4, when designated.
    pub trauma_level: Option<u8>,
    pub helipad: bool,
}

impl From<core::HospitalInfo> for HospitalInfo {
    fn from(h: core::HospitalInfo) -> Self {
        HospitalInfo {
            emergency_department: h.emergency_department,
            trauma_level: h.trauma_level,
            helipad: h.helipad,
        }
    }
}

impl From<HospitalInfo> for core::HospitalInfo {
    fn from(h: HospitalInfo) -> Self {
        core::HospitalInfo {
            emergency_department: h.emergency_department,
            trauma_level: h.trauma_level,
            helipad: h.helipad,
        }
    }
}

/// A safe haven to save. A hospital needs `hospital` details.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SafeHavenInput {
    pub id: Option<String>,
    pub kind: HavenKind,
    pub name: String,
    pub position: GeoPosition,
    pub hospital: Option<HospitalInfo>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub opening_hours: Option<String>,
    pub notes: String,
}

impl From<SafeHavenInput> for core::SafeHavenInput {
    fn from(h: SafeHavenInput) -> Self {
        core::SafeHavenInput {
            id: h.id,
            kind: h.kind.into(),
            name: h.name,
            position: h.position.into(),
            hospital: h.hospital.map(Into::into),
            address: h.address,
            phone: h.phone,
            opening_hours: h.opening_hours,
            notes: h.notes,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SafeHaven {
    pub id: String,
    pub kind: HavenKind,
    pub name: String,
    pub position: GeoPosition,
    pub hospital: Option<HospitalInfo>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub opening_hours: Option<String>,
    pub notes: String,
    pub updated: String,
}

impl From<core::SafeHaven> for SafeHaven {
    fn from(h: core::SafeHaven) -> Self {
        SafeHaven {
            id: h.id,
            kind: h.kind.into(),
            name: h.name,
            position: h.position.into(),
            hospital: h.hospital.map(Into::into),
            address: h.address,
            phone: h.phone,
            opening_hours: h.opening_hours,
            notes: h.notes,
            updated: h.updated.to_string(),
        }
    }
}

/// Which havens a question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
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

impl From<HavenFilter> for core::HavenFilter {
    fn from(f: HavenFilter) -> Self {
        match f {
            HavenFilter::Any => core::HavenFilter::Any,
            HavenFilter::Kind { kind } => core::HavenFilter::Kind { kind: kind.into() },
            HavenFilter::EmergencyHospital => core::HavenFilter::EmergencyHospital,
            HavenFilter::TraumaCentre { max_level } => {
                core::HavenFilter::TraumaCentre { max_level }
            }
        }
    }
}

/// A haven seen from a position: straight-line distance and initial bearing.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HavenFix {
    pub haven: SafeHaven,
    pub distance_m: f64,
    /// Degrees from true north.
    pub bearing_deg: f64,
}

impl From<core::HavenFix> for HavenFix {
    fn from(f: core::HavenFix) -> Self {
        HavenFix {
            haven: f.haven.into(),
            distance_m: f.distance_m,
            bearing_deg: f.bearing_deg,
        }
    }
}

// ---- routes ----

mirror_enum!(RouteRole = core::RouteRole { Primary, Alternate });
mirror_enum!(
    RoutePointKind = core::RoutePointKind {
        Checkpoint,
        Rendezvous,
        ChokePoint
    }
);

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RoutePoint {
    pub kind: RoutePointKind,
    pub name: String,
    pub position: GeoPosition,
    pub notes: String,
}

impl From<core::RoutePoint> for RoutePoint {
    fn from(p: core::RoutePoint) -> Self {
        RoutePoint {
            kind: p.kind.into(),
            name: p.name,
            position: p.position.into(),
            notes: p.notes,
        }
    }
}

/// A stored route with its full line.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Route {
    pub id: String,
    pub name: String,
    /// Groups a primary route with its alternates.
    pub journey: Option<String>,
    pub role: RouteRole,
    pub line: Vec<GeoPosition>,
    pub points: Vec<RoutePoint>,
    pub notes: String,
    pub updated: String,
}

impl From<core::Route> for Route {
    fn from(r: core::Route) -> Self {
        Route {
            id: r.id,
            name: r.name,
            journey: r.journey,
            role: r.role.into(),
            line: map(r.line),
            points: map(r.points),
            notes: r.notes,
            updated: r.updated.to_string(),
        }
    }
}

/// The box holding a route's line.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Bounds {
    pub min_lat: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub max_lon: f64,
}

impl From<core::Bounds> for Bounds {
    fn from(b: core::Bounds) -> Self {
        Bounds {
            min_lat: b.min_lat,
            min_lon: b.min_lon,
            max_lat: b.max_lat,
            max_lon: b.max_lon,
        }
    }
}

/// The point of a route farthest from any matching haven.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CoverageGap {
    pub position: GeoPosition,
    /// Metres from the start of the route.
    pub along_m: f64,
    /// Metres from that point to the nearest matching haven.
    pub distance_m: f64,
    pub nearest_haven_id: String,
    /// Spacing of the points examined, metres.
    pub resolution_m: f64,
}

impl From<core::CoverageGap> for CoverageGap {
    fn from(g: core::CoverageGap) -> Self {
        CoverageGap {
            position: g.position.into(),
            along_m: g.along_m,
            distance_m: g.distance_m,
            nearest_haven_id: g.nearest_haven_id,
            resolution_m: g.resolution_m,
        }
    }
}

/// A route at a glance: what an import returns and a list shows.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RouteSummary {
    pub id: String,
    pub name: String,
    pub journey: Option<String>,
    pub role: RouteRole,
    /// Geodesic length, metres.
    pub length_m: f64,
    pub bounds: Bounds,
    /// Positions in the line.
    pub vertices: u32,
    /// Named points (checkpoints, rendezvous, choke points).
    pub points: u32,
    /// The worst gap in emergency-hospital (A&E) cover along the route, from the havens
    /// stored when asked; null when no such haven is stored.
    pub coverage_gap: Option<CoverageGap>,
}

impl From<core::RouteSummary> for RouteSummary {
    fn from(r: core::RouteSummary) -> Self {
        RouteSummary {
            id: r.id,
            name: r.name,
            journey: r.journey,
            role: r.role.into(),
            length_m: r.length_m,
            bounds: r.bounds.into(),
            vertices: r.vertices,
            points: r.points,
            coverage_gap: r.coverage_gap.map(Into::into),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct OffRoute {
    pub distance_m: f64,
    /// True when `distance_m` is above the threshold asked for.
    pub off_route: bool,
    pub nearest: GeoPosition,
}

impl From<core::OffRoute> for OffRoute {
    fn from(o: core::OffRoute) -> Self {
        OffRoute {
            distance_m: o.distance_m,
            off_route: o.off_route,
            nearest: o.nearest.into(),
        }
    }
}

/// Distance done and left, measured at the nearest point of the route.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct RouteProgress {
    pub done_m: f64,
    pub left_m: f64,
    pub total_m: f64,
    pub off_route_m: f64,
}

impl From<core::Progress> for RouteProgress {
    fn from(p: core::Progress) -> Self {
        RouteProgress {
            done_m: p.done_m,
            left_m: p.left_m,
            total_m: p.total_m,
            off_route_m: p.off_route_m,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CorridorHaven {
    pub haven: SafeHaven,
    /// Metres from the haven to the route.
    pub distance_m: f64,
    /// Metres from the start of the route to where the haven is nearest.
    pub along_m: f64,
}

impl From<core::CorridorHaven> for CorridorHaven {
    fn from(c: core::CorridorHaven) -> Self {
        CorridorHaven {
            haven: c.haven.into(),
            distance_m: c.distance_m,
            along_m: c.along_m,
        }
    }
}

// ---- checklist templates ----

mirror_enum!(
    TemplateKind = core::TemplateKind {
        Venue,
        Route,
        Hotel,
        Vehicle,
        Other
    }
);

/// What an item asks for, and so which `AnswerValue` it takes.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum ItemKind {
    /// ok / issue / not applicable.
    Check,
    Text,
    Number {
        unit: Option<String>,
        min: Option<f64>,
        max: Option<f64>,
    },
    Choice {
        options: Vec<String>,
    },
    Location,
    Photo,
    Contact,
}

impl From<core::ItemKind> for ItemKind {
    fn from(k: core::ItemKind) -> Self {
        use core::ItemKind as K;
        match k {
            K::Check => ItemKind::Check,
            K::Text => ItemKind::Text,
            K::Number { unit, min, max } => ItemKind::Number { unit, min, max },
            K::Choice { options } => ItemKind::Choice { options },
            K::Location => ItemKind::Location,
            K::Photo => ItemKind::Photo,
            K::Contact => ItemKind::Contact,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TemplateItem {
    pub id: String,
    pub label: String,
    pub kind: ItemKind,
    pub required: bool,
    pub guidance: String,
}

impl From<core::TemplateItem> for TemplateItem {
    fn from(i: core::TemplateItem) -> Self {
        TemplateItem {
            id: i.id,
            label: i.label,
            kind: i.kind.into(),
            required: i.required,
            guidance: i.guidance,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TemplateSection {
    pub id: String,
    pub title: String,
    pub guidance: String,
    pub items: Vec<TemplateItem>,
}

impl From<core::Section> for TemplateSection {
    fn from(s: core::Section) -> Self {
        TemplateSection {
            id: s.id,
            title: s.title,
            guidance: s.guidance,
            items: map(s.items),
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ChecklistTemplate {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub kind: TemplateKind,
    pub description: String,
    pub sections: Vec<TemplateSection>,
    pub builtin: bool,
}

impl From<core::ChecklistTemplate> for ChecklistTemplate {
    fn from(t: core::ChecklistTemplate) -> Self {
        let builtin = t.is_builtin();
        ChecklistTemplate {
            id: t.id,
            version: t.version,
            title: t.title,
            kind: t.kind.into(),
            description: t.description,
            sections: map(t.sections),
            builtin,
        }
    }
}

// ---- walks ----

mirror_enum!(
    CheckState = core::CheckState {
        Ok,
        Issue,
        NotApplicable
    }
);
mirror_enum!(
    WalkState = core::WalkState {
        InProgress,
        Completed,
        SignedOff
    }
);

/// An answer's value; the variant must match the item's kind (`NotApplicable` fits any).
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum AnswerValue {
    Check { state: CheckState },
    Text { text: String },
    Number { value: f64 },
    Choice { option: String },
    Location { position: GeoPosition },
    Photo { attachments: Vec<String> },
    Contact { contact: VenueContact },
    NotApplicable,
}

impl From<core::AnswerValue> for AnswerValue {
    fn from(v: core::AnswerValue) -> Self {
        use core::AnswerValue as V;
        match v {
            V::Check { state } => AnswerValue::Check {
                state: state.into(),
            },
            V::Text { text } => AnswerValue::Text { text },
            V::Number { value } => AnswerValue::Number { value },
            V::Choice { option } => AnswerValue::Choice { option },
            V::Location { position } => AnswerValue::Location {
                position: position.into(),
            },
            V::Photo { attachments } => AnswerValue::Photo { attachments },
            V::Contact { contact } => AnswerValue::Contact {
                contact: contact.into(),
            },
            V::NotApplicable => AnswerValue::NotApplicable,
        }
    }
}

impl From<AnswerValue> for core::AnswerValue {
    fn from(v: AnswerValue) -> Self {
        use core::AnswerValue as V;
        match v {
            AnswerValue::Check { state } => V::Check {
                state: state.into(),
            },
            AnswerValue::Text { text } => V::Text { text },
            AnswerValue::Number { value } => V::Number { value },
            AnswerValue::Choice { option } => V::Choice { option },
            AnswerValue::Location { position } => V::Location {
                position: position.into(),
            },
            AnswerValue::Photo { attachments } => V::Photo { attachments },
            AnswerValue::Contact { contact } => V::Contact {
                contact: contact.into(),
            },
            AnswerValue::NotApplicable => V::NotApplicable,
        }
    }
}

/// What an officer gives when answering an item. An issue needs a note.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AnswerInput {
    pub item_id: String,
    pub value: AnswerValue,
    pub note: String,
    /// Flags a non-check item as an issue (a check item is one when its state is).
    pub issue: bool,
    pub position: Option<GeoPosition>,
    /// Attachment ids of photos taken for this item.
    pub photos: Vec<String>,
    pub officer: String,
    /// When observed, ms since the epoch; null means now.
    pub answered_at_ms: Option<u64>,
}

impl From<AnswerInput> for core::AnswerInput {
    fn from(a: AnswerInput) -> Self {
        core::AnswerInput {
            item_id: a.item_id,
            value: a.value.into(),
            note: a.note,
            issue: a.issue,
            position: a.position.map(Into::into),
            photos: a.photos,
            officer: a.officer,
            answered_at_ms: a.answered_at_ms,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Answer {
    pub walk_id: String,
    pub item_id: String,
    pub value: AnswerValue,
    pub note: String,
    pub issue: bool,
    pub position: Option<GeoPosition>,
    pub photos: Vec<String>,
    pub officer: String,
    pub answered_at_ms: u64,
    pub device_id: String,
    pub hlc: String,
}

impl From<core::Answer> for Answer {
    fn from(a: core::Answer) -> Self {
        Answer {
            walk_id: a.walk_id,
            item_id: a.item_id,
            value: a.value.into(),
            note: a.note,
            issue: a.issue,
            position: a.position.map(Into::into),
            photos: a.photos,
            officer: a.officer,
            answered_at_ms: a.answered_at_ms,
            device_id: a.device_id,
            hlc: a.hlc.to_string(),
        }
    }
}

/// What a walk is of.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum WalkSubject {
    Venue {
        venue_id: String,
    },
    Route {
        route_id: String,
    },
    /// Neither (a vehicle: its call sign or fleet number).
    Other {
        label: String,
    },
}

impl From<core::WalkSubject> for WalkSubject {
    fn from(s: core::WalkSubject) -> Self {
        use core::WalkSubject as S;
        match s {
            S::Venue { venue_id } => WalkSubject::Venue { venue_id },
            S::Route { route_id } => WalkSubject::Route { route_id },
            S::Other { label } => WalkSubject::Other { label },
        }
    }
}

impl From<WalkSubject> for core::WalkSubject {
    fn from(s: WalkSubject) -> Self {
        use core::WalkSubject as S;
        match s {
            WalkSubject::Venue { venue_id } => S::Venue { venue_id },
            WalkSubject::Route { route_id } => S::Route { route_id },
            WalkSubject::Other { label } => S::Other { label },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct WalkProgress {
    pub required_answered: u32,
    pub required_total: u32,
    pub answered: u32,
    pub total: u32,
    pub issues: u32,
}

impl From<core::WalkProgress> for WalkProgress {
    fn from(p: core::WalkProgress) -> Self {
        WalkProgress {
            required_answered: p.required_answered,
            required_total: p.required_total,
            answered: p.answered,
            total: p.total,
            issues: p.issues,
        }
    }
}

/// A walk with its own copy of the template and its answers (template order).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Walk {
    pub id: String,
    pub template: ChecklistTemplate,
    pub subject: WalkSubject,
    pub started: String,
    pub started_by: String,
    pub state: WalkState,
    pub completed: Option<String>,
    pub completed_by: Option<String>,
    pub answers: Vec<Answer>,
    pub progress: WalkProgress,
}

impl From<core::Walk> for Walk {
    fn from(w: core::Walk) -> Self {
        let progress = w.progress().into();
        Walk {
            id: w.id,
            template: w.template.into(),
            subject: w.subject.into(),
            started: w.started.to_string(),
            started_by: w.started_by,
            state: w.state.into(),
            completed: w.completed.map(|h| h.to_string()),
            completed_by: w.completed_by,
            answers: map(w.answers),
            progress,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WalkIssue {
    pub section_id: String,
    pub section_title: String,
    pub item_id: String,
    pub label: String,
    pub answer: Answer,
}

impl From<core::WalkIssue> for WalkIssue {
    fn from(i: core::WalkIssue) -> Self {
        WalkIssue {
            section_id: i.section_id,
            section_title: i.section_title,
            item_id: i.item_id,
            label: i.label,
            answer: i.answer.into(),
        }
    }
}

/// A sealed walk: canonical JSON, its SHA-256 and the device's Ed25519 signature (hex).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignedSnapshot {
    pub format: String,
    pub walk_id: String,
    pub snapshot: String,
    pub sha256: String,
    pub signature: String,
    pub public_key: String,
    pub device_id: String,
}

impl From<core::SignedSnapshot> for SignedSnapshot {
    fn from(s: core::SignedSnapshot) -> Self {
        SignedSnapshot {
            format: s.format,
            walk_id: s.walk_id,
            snapshot: s.snapshot,
            sha256: s.sha256,
            signature: s.signature,
            public_key: s.public_key,
            device_id: s.device_id,
        }
    }
}

impl From<SignedSnapshot> for core::SignedSnapshot {
    fn from(s: SignedSnapshot) -> Self {
        core::SignedSnapshot {
            format: s.format,
            walk_id: s.walk_id,
            snapshot: s.snapshot,
            sha256: s.sha256,
            signature: s.signature,
            public_key: s.public_key,
            device_id: s.device_id,
        }
    }
}
