#!/usr/bin/env bash
# Starts a 3-node Tidings cluster on this machine against the local
# PostgreSQL and NATS (see DEVELOPERS.md), on ports 7601-7603, each node with
# its own data dir under .tidings-cluster/. Prints the URLs; Ctrl-C stops all.
#
#   scripts/cluster.sh [nodes]       # default 3
#   TIDINGS_POSTGRES_URL=... TIDINGS_NATS_URL=... scripts/cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=${1:-3}
export TIDINGS_POSTGRES_URL=${TIDINGS_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
export TIDINGS_POSTGRES_SCHEMA=${TIDINGS_POSTGRES_SCHEMA:-tidings_dev}
export TIDINGS_NATS_URL=${TIDINGS_NATS_URL:-nats://127.0.0.1:4222}
export TIDINGS_NATS_PREFIX=${TIDINGS_NATS_PREFIX:-dev}
bash scripts/services.sh
root=.tidings-cluster
mkdir -p "$root"
# One master key for every node: content is encrypted at rest, and any node must read what another wrote.
[ -s "$root/master.key" ] || (umask 077; head -c 32 /dev/urandom | base64 > "$root/master.key")
export TIDINGS_MASTER_KEY=${TIDINGS_MASTER_KEY:-$(cat "$root/master.key")}
pids=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait; }
trap stop EXIT INT TERM
for i in $(seq 1 "$NODES"); do
  dir="$root/node$i"
  mkdir -p "$dir"
  rm -f "$dir/runtime.json"
  npx node packages/cli/src/main.ts start --cluster --node-id "$i" --port $((7600 + i)) --data-dir "$dir" >"$dir/log" 2>&1 &
  pids+=($!)
done
for i in $(seq 1 "$NODES"); do
  for _ in $(seq 1 200); do [ -s "$root/node$i/runtime.json" ] && break; sleep 0.1; done
  [ -s "$root/node$i/runtime.json" ] || { echo "node $i did not start; see $root/node$i/log" >&2; tail -20 "$root/node$i/log" >&2; exit 1; }
done
echo "Tidings cluster: $NODES nodes on PostgreSQL $TIDINGS_POSTGRES_URL (schema $TIDINGS_POSTGRES_SCHEMA), NATS $TIDINGS_NATS_URL"
for i in $(seq 1 "$NODES"); do
  echo "  node $i: ws://127.0.0.1:$((7600 + i))/ws   http://127.0.0.1:$((7600 + i))   log $root/node$i/log"
done
echo
echo "Chat across nodes (the dev app is shared):"
echo "  npm run tidings -- chat --data-dir $root/node1 --user alice --to bob"
echo "  npm run tidings -- chat --data-dir $root/node2 --user bob --to alice"
echo "Ctrl-C stops the cluster."
wait
