#!/usr/bin/env bash
# Issue 21's benchmark row: runs `vigil-bench --only slow_link` inside a network namespace
# of its own whose loopback (MTU 1500) `tc ... tbf` limits to RATE (default 64kbit), and
# removes the namespace after. Needs root and iproute2. Output: target/bench/slow-link.json
# and its table (target/bench/slow-link.md).
#   bench/scripts/slow-link.sh [RATE]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OUT="$TARGET/bench"
RATE=${1:-64kbit}
NS="vigil-bench-slow-$$"
mkdir -p "$OUT"

cargo build --release --quiet -p vigil-bench
ip netns add "$NS"
trap 'ip netns del "$NS"' EXIT
ip netns exec "$NS" ip link set lo mtu 1500 up
ip netns exec "$NS" tc qdisc add dev lo root tbf rate "$RATE" burst 4kb latency 2000ms
echo "- slow link: $RATE (tc tbf on a namespace's loopback, MTU 1500); $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    | tee "$OUT/slow-link-machine.md" >&2
ip netns exec "$NS" "$TARGET/release/vigil-bench" --only slow_link --out "$OUT/slow-link.json"
"$TARGET/release/vigil-bench" report "$OUT/slow-link.json" > "$OUT/slow-link.md"
cat "$OUT/slow-link-machine.md" "$OUT/slow-link.md"
