# One cargo selection for every build of the workspace the suite makes. Cargo unifies
# features over what a command selects: `-p X` after `--workspace` compiles the shared
# dependencies again (measured: `cargo test -p vigil-server --features postgres` after the
# workspace's tests rebuilt 71 crates, +473 MB, when PostgreSQL was still a feature). So every
# step builds through these, and nothing is compiled twice.
# Sourced by tests/run and tests/console/run.

WS_FLAGS=(--workspace)

# Every library and binary of the workspace (vigil, vigil-server, libvigil_ffi.so,
# uniffi-bindgen, vigil-bench), from the same build as the tests.
ws_build() { cargo build "${WS_FLAGS[@]}" "$@"; }

# The workspace's tests (the server's on SQLite; see server_tests for PostgreSQL).
ws_test() { cargo test "${WS_FLAGS[@]}" "$@"; }

# The path of the server's one integration-test binary (server/tests/it.rs) of that build,
# to run it once per storage: VIGIL_TEST_STORAGE=postgres picks PostgreSQL
# (server/tests/common/mod.rs). Runs from server/, as `cargo test` would.
server_tests() {
    local exe
    exe=$(cargo test "${WS_FLAGS[@]}" --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if (m.get("reason") == "compiler-artifact" and m.get("executable")
            and m["target"]["name"] == "it" and "/server#vigil-server@" in m["package_id"]):
        print(m["executable"])
')
    test -x "$exe" || { echo "server_tests: the server's test binary was not found" >&2; return 1; }
    (cd "$ROOT/server" && "$exe" "$@")
}
