//! A change as a SQLite store keeps it: the device's inbox (`remote_changes`) and the
//! team server's change log on SQLite (`changes`) read it back the same way.

use rusqlite::types::Type;
use rusqlite::Row;

use crate::sync::protocol::Change;

/// The change in columns 0 to 8 of `r`, in this order: `server_seq`, `device_id`, `seq`,
/// `op_id`, `hlc` (text), `kind`, `entity_id`, `payload` (JSON text), and the author's
/// raw public key (a blob, or NULL when unknown). A clock stamp or payload that does not
/// parse is a `FromSqlConversionFailure` (the row is not one Vigil wrote).
pub fn change_row(r: &Row<'_>) -> rusqlite::Result<Change> {
    let hlc: String = r.get(4)?;
    let payload: String = r.get(7)?;
    Ok(Change {
        server_seq: r.get::<_, i64>(0)? as u64,
        device_id: r.get(1)?,
        seq: r.get::<_, i64>(2)? as u64,
        op_id: r.get(3)?,
        hlc: hlc.parse().map_err(|_| conversion(4, "clock stamp"))?,
        kind: r.get(5)?,
        entity_id: r.get(6)?,
        payload: serde_json::from_str(&payload).map_err(|_| conversion(7, "payload"))?,
        public_key: r.get::<_, Option<Vec<u8>>>(8)?.map(hex::encode),
    })
}

fn conversion(column: usize, what: &'static str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, Type::Text, what.into())
}
