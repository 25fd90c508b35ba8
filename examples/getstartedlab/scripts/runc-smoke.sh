#!/usr/bin/env bash
# Runs the app from a base-image rootfs tar under bare runc (host network, no flotilla), once
# with a real redis-server on loopback and once with Redis unreachable, and checks the page.
# Proves a base image works before (or without) the engine.
# Usage: sudo bash runc-smoke.sh <rootfs.tar> <app dir with dist/ and node_modules/>
set -euo pipefail
tar_file=$(realpath "$1"); app_dir=$(realpath "$2")
port=${SMOKE_PORT:-14080}; redis_port=${SMOKE_REDIS_PORT:-16380}
work=$(mktemp -d /tmp/gsl-runc.XXXXXX)
id="gsl-smoke-$$"
redis_pid=""
cleanup() {
  runc delete -f "$id" >/dev/null 2>&1 || true
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/bundle/rootfs"
tar -xf "$tar_file" -C "$work/bundle/rootfs"
mkdir -p "$work/bundle/rootfs/app"
cp -r "$app_dir/dist/." "$work/bundle/rootfs/app/"
cp -r "$app_dir/node_modules" "$work/bundle/rootfs/app/"
(cd "$work/bundle" && runc spec)
# Host network (drop the network namespace), no terminal, our command and environment.
node -e '
  const fs = require("fs"); const [file, port, redisPort] = process.argv.slice(1);
  const spec = JSON.parse(fs.readFileSync(file, "utf8"));
  spec.process.terminal = false;
  spec.process.args = ["node", "app.js"];
  spec.process.cwd = "/app";
  spec.process.env.push("NAME=World", `PORT=${port}`, "REDIS_HOST=127.0.0.1", `REDIS_PORT=${redisPort}`);
  spec.hostname = "gslsmoke0001";
  spec.root.readonly = false;
  spec.linux.namespaces = spec.linux.namespaces.filter((ns) => ns.type !== "network");
  fs.writeFileSync(file, JSON.stringify(spec, null, 2));
' "$work/bundle/config.json" "$port" "$redis_port"

fetch_page() {
  for _ in $(seq 100); do
    if out=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/" 2>/dev/null); then echo "$out"; return 0; fi
    sleep 0.1
  done
  echo "runc-smoke: the app did not answer on port $port" >&2; return 1
}
expect() {
  case "$1" in *"$2"*) echo "ok: $1" ;; *) echo "runc-smoke: FAILED: expected '$2' in '$1'" >&2; exit 1 ;; esac
}

start=$(date +%s%N)
(cd "$work/bundle" && exec runc run "$id" >"$work/app.log" 2>&1) &
runc_pid=$!
page=$(fetch_page)
echo "first answer after $(( ($(date +%s%N) - start) / 1000000 )) ms"
expect "$page" "<h3>Hello World!</h3><b>Hostname:</b> gslsmoke0001<br/><b>Visits:</b> <i>cannot connect to Redis, counter disabled</i>"

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
expect "$(fetch_page)" "<b>Visits:</b> 1"
expect "$(fetch_page)" "<b>Visits:</b> 2"

stop_start=$(date +%s%N)
runc kill "$id" TERM
wait "$runc_pid"
echo "stopped by SIGTERM in $(( ($(date +%s%N) - stop_start) / 1000000 )) ms"
echo "--- app log:"; cat "$work/app.log"
echo "runc-smoke: PASS"
