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
    (9, include_str!("sql/0009_walk_signoffs.sql")),
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
            what: "database".into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_9_keeps_sealed_signoffs_and_admits_one_per_seal() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("s.db")).unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v < 9) {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO adv_walks(id, template_doc, subject_kind, subject_id, started_hlc,
                                   started_by) VALUES ('w', '{}', 'other', 'Car', 'h0', 'A');
             INSERT INTO adv_signoffs(walk_id, snapshot, hlc) VALUES ('w', 'sealed', 'h1');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(current_version(&conn).unwrap(), 9);
        let kept: String = conn
            .query_row(
                "SELECT snapshot FROM adv_signoffs WHERE walk_id = 'w'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kept, "sealed");
        // A second seal of the same walk is kept beside the first; both stay sealed.
        conn.execute(
            "INSERT INTO adv_signoffs(walk_id, snapshot, hlc) VALUES ('w', 'other', 'h2')",
            [],
        )
        .unwrap();
        assert!(conn
            .execute("UPDATE adv_signoffs SET snapshot = 'x'", [])
            .is_err());
        assert!(conn.execute("DELETE FROM adv_signoffs", []).is_err());
        let n: u32 = conn
            .query_row("SELECT COUNT(*) FROM adv_signoffs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }
}
