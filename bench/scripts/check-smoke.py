"""Checks a smoke run of vigil-bench and vigil-baseline wrote every workload (no timing).

Usage: check-smoke.py VIGIL.json BASELINE.json MEMSEC.json
"""
import json
import sys

VIGIL = [
    "kdf_default", "open_unlock_default_kdf", "list_newest_50", "list_all", "search_50",
    "open_unlock_no_kdf", "log_incident", "log_raw_sql", "log_raw_sql_no_outbox",
    "sign_and_hash", "answer_item", "route_save", "route_load", "route_off_route_progress",
    "route_nearest_haven", "route_summary_corridor", "sync_push", "sync_pull",
    "sync_push_pull", "log_no_sync", "log_during_sync", "server_ingest_sqlite", "server_ingest_postgres", "team_sync_sqlite",
    "team_sync_postgres",
]
BASELINE = ["list_newest_50", "list_all", "search_50", "open_unlock_no_kdf", "log_incident",
            "log_incident_no_outbox", "answer_item", "route_save", "route_load"]
FIELD_ONLY = ["open_unlock_default_kdf"]
MEMSEC = ["search_50_memory_security", "log_incident_memory_security"]
# Workloads that may be reported as skipped (PostgreSQL not built in or not installed).
MAY_SKIP = {"server_ingest_postgres", "team_sync_postgres"}


def check(path, systems, names):
    with open(path) as f:
        figures = json.load(f)["figures"]
    problems = []
    for system in systems:
        have = {x["workload"] for x in figures if x["system"] == system}
        problems += [f"{path}: {system} lacks {n}" for n in names if n not in have]
        for x in figures:
            if x["system"] == system and x["iterations"] == 0 and x["workload"] not in MAY_SKIP:
                problems.append(f"{path}: {system} {x['workload']} has no samples")
    return problems


problems = (check(sys.argv[1], ["vigil"], VIGIL)
            + check(sys.argv[2], ["plain", "field"], BASELINE)
            + check(sys.argv[2], ["field"], FIELD_ONLY)
            + check(sys.argv[3], ["vigil"], MEMSEC))
for p in problems:
    print(p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"smoke: every workload reported ({len(VIGIL)} + {len(MEMSEC)} Vigil, "
      f"{len(BASELINE)} x 2 + {len(FIELD_ONLY)} baseline)")
