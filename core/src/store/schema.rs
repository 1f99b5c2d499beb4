//! Schema migrations, applied in order by `PRAGMA user_version`. Each domain adds its
//! own numbered step; a step never changes once released.

use rusqlite::Connection;

use crate::error::{StoreError, StoreResult};

/// `(version, sql)`; versions are 1, 2, 3, ... in order.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("sql/0001_foundation.sql")),
    (2, include_str!("sql/0002_incidents.sql")),
    (3, include_str!("sql/0003_advance.sql")),
    (4, include_str!("sql/0004_sync_inbox.sql")),
    (5, include_str!("sql/0005_remote.sql")),
    (6, include_str!("sql/0006_receipts.sql")),
    (7, include_str!("sql/0007_attachment_sync.sql")),
    (8, include_str!("sql/0008_incident_search.sql")),
];

pub const SCHEMA_VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

pub fn current_version(conn: &Connection) -> StoreResult<u32> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, u32>(0))?)
}

/// Brings the schema up to date in one transaction; refuses a newer store.
pub fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let found = current_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerFormat {
            what: "database",
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
    }
    tx.commit()?;
    Ok(())
}
