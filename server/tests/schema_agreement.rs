//! The SQLite and PostgreSQL schemas agree after every migration (server/src/sql/ and
//! server/src/sql/pg/ are written twice, by hand): the same tables, the same columns with
//! types that map one to one, the same NOT NULL columns, primary keys and unique keys.
//! Runs on a throwaway cluster (vigil-testkit), in the SQLite run of the suite (tests/run's
//! PostgreSQL run skips `schema_agreement::`: it compares both dialects itself).

use std::collections::{BTreeMap, BTreeSet};

use postgres::{Client, NoTls};
use vigil_server::{PgStorage, SqliteStorage};
use vigil_testkit::pg::PgCluster;

/// One table as both dialects can describe it.
#[derive(Debug, PartialEq, Eq)]
struct Table {
    /// column -> (type family, NOT NULL)
    columns: BTreeMap<String, (&'static str, bool)>,
    primary_key: Vec<String>,
    /// Each unique key's columns, sorted.
    unique: BTreeSet<Vec<String>>,
}

/// The type a column stores, by family: SQLite's type affinities and the PostgreSQL types
/// the pg migrations use for them.
fn sqlite_family(declared: &str) -> &'static str {
    match declared.to_ascii_uppercase().as_str() {
        "TEXT" => "text",
        "INTEGER" => "integer",
        "BLOB" => "bytes",
        "REAL" => "real",
        other => panic!("SQLite column type {other} has no mapping here: add it"),
    }
}

fn pg_family(data_type: &str) -> &'static str {
    match data_type {
        "text" => "text",
        // SQLite has no boolean: a flag is an INTEGER 0/1 there.
        "bigint" | "integer" | "smallint" | "boolean" => "integer",
        "bytea" => "bytes",
        "double precision" | "real" => "real",
        other => panic!("PostgreSQL column type {other} has no mapping here: add it"),
    }
}

fn sqlite_schema() -> BTreeMap<String, Table> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.db");
    let key = [7u8; 32];
    drop(SqliteStorage::open(&path, &key).expect("migrate a new SQLite database"));

    let conn = {
        let _keying = vigil_core::store::sqlcipher_provider_guard().unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\"", hex::encode(key)))
            .unwrap();
        conn
    };
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = BTreeMap::new();
    for t in names {
        let mut columns = BTreeMap::new();
        let mut pk: Vec<(i64, String)> = Vec::new();
        let mut stmt = conn.prepare(&format!("PRAGMA table_info({t})")).unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .unwrap();
        for row in rows {
            let (name, ty, not_null, pk_pos) = row.unwrap();
            if pk_pos > 0 {
                pk.push((pk_pos, name.clone()));
            }
            // A primary key column is never NULL (PostgreSQL says so; SQLite's rowid
            // alias `INTEGER PRIMARY KEY` does not declare it).
            columns.insert(name, (sqlite_family(&ty), not_null || pk_pos > 0));
        }
        pk.sort();
        let mut unique = BTreeSet::new();
        let indexes: Vec<(String, bool, String)> = conn
            .prepare(&format!("PRAGMA index_list({t})"))
            .unwrap()
            .query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (index, is_unique, origin) in indexes {
            // `pk`: the primary key's own index, compared above.
            if !is_unique || origin == "pk" {
                continue;
            }
            let mut cols: Vec<String> = conn
                .prepare(&format!("PRAGMA index_info({index})"))
                .unwrap()
                .query_map([], |r| r.get(2))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            cols.sort();
            unique.insert(cols);
        }
        out.insert(
            t,
            Table {
                columns,
                primary_key: pk.into_iter().map(|(_, c)| c).collect(),
                unique,
            },
        );
    }
    out
}

fn pg_schema(client: &mut Client) -> BTreeMap<String, Table> {
    let names: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = BTreeMap::new();
    for t in names {
        let mut columns = BTreeMap::new();
        for r in client
            .query(
                "SELECT column_name::text, data_type::text, is_nullable::text
                 FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name = $1",
                &[&t],
            )
            .unwrap()
        {
            let name: String = r.get(0);
            let ty: String = r.get(1);
            let nullable: String = r.get(2);
            columns.insert(name, (pg_family(&ty), nullable == "NO"));
        }
        let mut primary_key = Vec::new();
        let mut unique = BTreeSet::new();
        for r in client
            .query(
                "SELECT i.indisprimary,
                        array(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
                              JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
                              ORDER BY k.o)
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
                 JOIN pg_namespace s ON s.oid = c.relnamespace
                 WHERE s.nspname = 'public' AND c.relname = $1 AND i.indisunique",
                &[&t],
            )
            .unwrap()
        {
            let primary: bool = r.get(0);
            let mut cols: Vec<String> = r.get(1);
            if primary {
                primary_key = cols;
            } else {
                cols.sort();
                unique.insert(cols);
            }
        }
        out.insert(
            t,
            Table {
                columns,
                primary_key,
                unique,
            },
        );
    }
    out
}

#[test]
fn sqlite_and_postgresql_schemas_agree_after_migration() {
    let pg = PgCluster::for_test();
    drop(PgStorage::connect(&pg.url).expect("migrate a new PostgreSQL database"));
    let mut client = Client::connect(&pg.url, NoTls).unwrap();

    let sqlite = sqlite_schema();
    let mut postgres = pg_schema(&mut client);
    // Each dialect records its migrations its own way: SQLite in `PRAGMA user_version`,
    // PostgreSQL in this table.
    assert!(postgres.remove("vigil_schema").is_some());

    assert_eq!(
        sqlite.keys().collect::<Vec<_>>(),
        postgres.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    assert!(
        sqlite.len() >= 10,
        "the migrations ran: {:?}",
        sqlite.keys()
    );
    for (name, table) in &sqlite {
        assert_eq!(Some(table), postgres.get(name), "table {name}");
    }
}

/// The comparison sees a difference: a column's NOT NULL, or a unique key, missing on
/// one side fails it.
#[test]
fn a_difference_between_the_dialects_is_seen() {
    let pg = PgCluster::for_test();
    drop(PgStorage::connect(&pg.url).expect("migrate"));
    let mut client = Client::connect(&pg.url, NoTls).unwrap();
    let before = pg_schema(&mut client);
    client
        .batch_execute("ALTER TABLE teams ALTER COLUMN name DROP NOT NULL")
        .unwrap();
    client
        .batch_execute("ALTER TABLE officers DROP CONSTRAINT officers_team_id_name_key")
        .unwrap();
    let after = pg_schema(&mut client);
    assert_ne!(before.get("teams"), after.get("teams"));
    assert_eq!(after["teams"].columns["name"], ("text", false));
    assert_ne!(before.get("officers"), after.get("officers"));
    assert!(after["officers"].unique.is_empty());
    assert_eq!(
        before["officers"].unique,
        BTreeSet::from([vec!["name".to_string(), "team_id".to_string()]])
    );
}
