#!/usr/bin/env bash
# The getstarted lab on this machine, with `flotilla` in place of `docker` and no Docker Hub:
# installs what is missing, builds flotilla, makes the offline base image, starts a private
# flotilla daemon, then runs each part of the tutorial as a transcript and checks the results.
#
# Usage (as root, from anywhere): sudo bash examples/getstartedlab/run-lab.sh [--part N]...
#   --part N    run only part N (repeatable; default: every part the lab has: 2)
#   --no-build  use the flotilla already built in packages/*/dist (no `npm run build`)
# Environment: GSL_STATE (daemon data, logs; default /var/lib/flotilla-lab), LAB_PORT (4000),
#   DEBIAN_MIRROR and friends (see base-images.sh).
# Exit status: 0 when every checked step passed, 1 with a message saying what failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${GSL_STATE:-/var/lib/flotilla-lab}
sock=/run/flotilla-lab/flotilla.sock
lab_port=${LAB_PORT:-4000}
available_parts=(2)

if [ -t 1 ]; then c_cmd=$'\e[36m' c_step=$'\e[1m' c_err=$'\e[31;1m' c_ok=$'\e[32m' c_off=$'\e[0m'; else c_cmd='' c_step='' c_err='' c_ok='' c_off=''; fi
step() { printf '\n%s### %s%s\n' "$c_step" "$*" "$c_off"; }
show() { printf '%s$ %s%s\n' "$c_cmd" "$*" "$c_off"; }
note() { printf '# %s\n' "$*"; }
fail() { printf '\n%srun-lab: FAILED: %s%s\n' "$c_err" "$*" "$c_off" >&2; exit 1; }
# run CMD...: echo it like a tutorial transcript, run it, stop the lab if it fails.
run() {
  show "$*"
  local rc=0
  "$@" || rc=$?
  [ $rc = 0 ] || fail "\`$*\` exited with status $rc"
}
# expect TEXT WANTED WHAT: fail unless TEXT contains WANTED.
expect() {
  case "$1" in *"$2"*) ;; *) fail "$3: expected to find '$2' in:"$'\n'"$1" ;; esac
}

parts=() no_build=0
while [ $# -gt 0 ]; do
  case "$1" in
    --part) [ $# -ge 2 ] || fail "--part needs a number"; parts+=("$2"); shift 2 ;;
    --part=*) parts+=("${1#--part=}"); shift ;;
    --no-build) no_build=1; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) fail "unknown argument '$1' (try --help)" ;;
  esac
done
[ ${#parts[@]} -gt 0 ] || parts=("${available_parts[@]}")
for p in "${parts[@]}"; do
  [[ " ${available_parts[*]} " == *" $p "* ]] || fail "the lab has no Part $p yet (available: ${available_parts[*]})"
done
[ "$(id -u)" = 0 ] || fail "run as root (containers, networks and mmdebstrap need it): sudo bash $0"

# The tutorial's `docker`: the repository's CLI, talking to the lab's own daemon.
flotilla() { node "$repo/packages/stack-cli/bin/flotilla" "$@"; }
export FLOTILLA_HOST="unix://$sock"

# ---- cleanup: everything the lab started goes away, whatever happened --------------------------
daemon_pid="" registry_pid="" registry_dir="" containers=()
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    for cid in "${containers[@]}"; do flotilla rm -f "$cid" >/dev/null 2>&1; done
  fi
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null; fi
  [ -z "$registry_dir" ] || rm -rf "$registry_dir"
  if [ -n "$daemon_pid" ]; then
    kill -TERM "$daemon_pid" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$daemon_pid" 2>/dev/null
    wait "$daemon_pid" 2>/dev/null
    rm -f "$state/daemon.pid"
  fi
  if [ $rc != 0 ] && [ -f "$state/daemon.log" ]; then
    printf '\n# last lines of the daemon log (%s):\n' "$state/daemon.log" >&2
    tail -n 15 "$state/daemon.log" >&2
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() { [ "$(ss -Htln "sport = :$1" 2>/dev/null | wc -l)" != 0 ]; }

# ---- setup --------------------------------------------------------------------------------------
install_missing() {
  local missing=() pair
  for pair in runc:runc ip:iproute2 ss:iproute2 iptables:iptables busybox:busybox-static \
      mmdebstrap:mmdebstrap docker-registry:docker-registry curl:curl; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || fail "missing ${missing[*]}, and no apt-get here to install them"
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    run apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || fail "flotilla needs Node.js 20 or newer, this machine has $(node -v): install a newer nodejs package"
}

build_flotilla() {
  cd "$repo"
  if [ ! -f node_modules/.package-lock.json ]; then run npm ci --no-audit --no-fund; fi
  local main=packages/stack-cli/dist/cli/main.js
  if [ ! -f "$main" ] || { [ $no_build = 0 ] && [ -n "$(find packages/*/src -name '*.ts' -newer "$main" -print -quit)" ]; }; then
    run npm run --silent build
  fi
}

# The app as the image wants it: compiled JS and its runtime node_modules (ioredis), copied
# from the repository's node_modules so that nothing is downloaded during the build.
prepare_app() {
  cd "$repo"
  run npx --no-install tsc -p examples/getstartedlab/app
  run node examples/getstartedlab/scripts/vendor-deps.mjs examples/getstartedlab/app node_modules
}

start_daemon() {
  mkdir -p "$state" "$(dirname "$sock")"
  local old
  old=$(cat "$state/daemon.pid" 2>/dev/null || true)
  if [ -n "$old" ] && kill -0 "$old" 2>/dev/null && grep -q flotilla "/proc/$old/cmdline" 2>/dev/null; then
    note "stopping the daemon a previous lab run left behind (pid $old)"
    kill -TERM "$old"
    for _ in $(seq 60); do kill -0 "$old" 2>/dev/null || break; sleep 0.25; done
  fi
  show "flotilla daemon --data-root $state/data --host $FLOTILLA_HOST &    # log: $state/daemon.log"
  # node itself, not the flotilla function, so that $! is the daemon and the trap can stop it.
  node "$repo/packages/stack-cli/bin/flotilla" daemon --data-root "$state/data" --host "$FLOTILLA_HOST" >"$state/daemon.log" 2>&1 &
  daemon_pid=$!
  echo "$daemon_pid" >"$state/daemon.pid"
  for _ in $(seq 120); do
    kill -0 "$daemon_pid" 2>/dev/null || { daemon_pid=""; fail "the flotilla daemon exited at start (see $state/daemon.log)"; }
    if curl -fsS --max-time 2 --unix-socket "$sock" http://flotilla/_ping >/dev/null 2>&1; then
      run flotilla version
      return
    fi
    sleep 0.25
  done
  fail "the flotilla daemon did not answer on $sock within 30 s (see $state/daemon.log)"
}

# A private registry in place of Docker Hub: Debian's docker-registry on loopback, temp storage.
start_registry() {
  registry_port=5000
  while port_in_use "$registry_port"; do
    registry_port=$((registry_port + 1))
    [ "$registry_port" -le 5010 ] || fail "ports 5000-5010 are all in use: free one for the lab's registry"
  done
  registry_dir=$(mktemp -d /tmp/flotilla-lab-registry.XXXXXX)
  cat >"$registry_dir/config.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $registry_dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$registry_port
YML
  show "docker-registry serve $registry_dir/config.yml &    # the lab's registry on 127.0.0.1:$registry_port"
  docker-registry serve "$registry_dir/config.yml" >"$state/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 40); do
    curl -fsS --max-time 2 "http://127.0.0.1:$registry_port/v2/" >/dev/null 2>&1 && return
    kill -0 "$registry_pid" 2>/dev/null || fail "docker-registry exited at start (see $state/registry.log)"
    sleep 0.25
  done
  fail "docker-registry did not answer on 127.0.0.1:$registry_port within 10 s (see $state/registry.log)"
}

setup() {
  step "Setup: tools, flotilla, the app, a private daemon and the offline base image"
  install_missing
  build_flotilla
  prepare_app
  start_daemon
  show "bash examples/getstartedlab/base-images.sh node    # flotilla/node-base from Debian packages"
  FLOTILLA="node $repo/packages/stack-cli/bin/flotilla" bash "$here/base-images.sh" node \
    || fail "could not make the base image flotilla/node-base"
}

# ---- helpers for the parts ----------------------------------------------------------------------
# run_detached VAR CMD...: run a `flotilla run -d`, keep the container ID in VAR for checks and cleanup.
run_detached() {
  local var=$1 out rc=0
  shift
  show "$*"
  out=$("$@") || rc=$?
  [ $rc = 0 ] || fail "\`$*\` exited with status $rc"
  out=$(printf '%s\n' "$out" | tail -n 1)
  echo "$out"
  [[ "$out" =~ ^[0-9a-f]{64}$ ]] || fail "\`$*\` printed '$out', not a container ID"
  containers+=("$out")
  printf -v "$var" '%s' "$out"
}

# check_page CONTAINER_ID: curl the published port (the app may still be starting) and check
# the page: Hello World!, the container's hostname (its short ID), the Redis fallback.
check_page() {
  local cid=$1 out="" err=""
  show "curl http://localhost:$lab_port"
  for _ in $(seq 60); do
    if out=$(curl -sS --max-time 10 "http://localhost:$lab_port" 2>/tmp/flotilla-lab-curl.err); then break; fi
    err=$(cat /tmp/flotilla-lab-curl.err); out=""
    sleep 0.5
  done
  rm -f /tmp/flotilla-lab-curl.err
  [ -n "$out" ] || fail "nothing answered on http://localhost:$lab_port within 30 s ($err)"
  printf '%s\n' "$out"
  expect "$out" "<h3>Hello World!</h3>" "the page"
  expect "$out" "<b>Hostname:</b> ${cid:0:12}<br/>" "the page should show the container's hostname"
  expect "$out" "<b>Visits:</b> <i>cannot connect to Redis, counter disabled</i>" "the page (no Redis in Part 2)"
  printf '%s# ok: Hello World! from container %s, Redis fallback shown%s\n' "$c_ok" "${cid:0:12}" "$c_off"
}

# stop_and_remove CONTAINER_ID
stop_and_remove() {
  local short=${1:0:12} listing
  show "flotilla container ls"
  listing=$(flotilla container ls) || fail "\`flotilla container ls\` failed"
  printf '%s\n' "$listing"
  expect "$listing" "$short" "container ls should list the running container"
  run flotilla container stop "$short"
  run flotilla container rm "$short"
}

# ---- Part 2: containers -------------------------------------------------------------------------
part2() {
  step "Part 2: containers: build the app's image"
  cd "$here"
  show "cd examples/getstartedlab"
  run flotilla build -t friendlyhello .
  local listing
  show "flotilla image ls"
  listing=$(flotilla image ls) || fail "\`flotilla image ls\` failed"
  printf '%s\n' "$listing"
  expect "$listing" "friendlyhello" "image ls should list the new image"

  step "Part 2: run the app, mapping port $lab_port to the container's port 80"
  ! port_in_use "$lab_port" || fail "port $lab_port is in use on this machine: free it or set LAB_PORT"
  local cid
  run_detached cid flotilla run -d -p "$lab_port:80" friendlyhello
  check_page "$cid"
  stop_and_remove "$cid"

  step "Part 2: share the image (a local registry stands in for Docker Hub)"
  start_registry
  local image="localhost:$registry_port/get-started:part2"
  run flotilla tag friendlyhello "$image"
  run flotilla image ls
  run flotilla push "$image"

  step "Part 2: pull and run the image from the registry"
  note "remove the local copies first, so that run has to pull"
  run flotilla rmi "$image"
  run flotilla rmi friendlyhello
  run_detached cid flotilla run -d -p "$lab_port:80" "$image"
  check_page "$cid"
  stop_and_remove "$cid"
  printf '\n%s# Part 2 done: build, run, publish, tag, push, pull, run again.%s\n' "$c_ok" "$c_off"
}

started=$SECONDS
setup
for p in "${parts[@]}"; do
  part_started=$SECONDS
  "part$p"
  note "Part $p took $((SECONDS - part_started)) s"
done
printf '\n%s# The lab passed (part %s) in %s s.%s\n' "$c_ok" "${parts[*]}" "$((SECONDS - started))" "$c_off"
