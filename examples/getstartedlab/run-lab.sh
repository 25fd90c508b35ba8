#!/usr/bin/env bash
# The getstarted lab on this machine, with `flotilla` in place of `docker` and no Docker Hub:
# installs what is missing, builds flotilla, makes the offline base image, starts a private
# flotilla daemon, then runs each part of the tutorial as a transcript and checks the results.
#
# Usage (as root, from anywhere): sudo bash examples/getstartedlab/run-lab.sh [--part N]...
#   --part N    run only part N (repeatable; default: every part the lab has: 2, 3, 4 and 5)
#   --no-build  use the flotilla already built in packages/*/dist (no `npm run build`)
# Environment: GSL_STATE (daemon data, logs; default /var/lib/flotilla-lab), LAB_PORT (4000),
#   DEBIAN_MIRROR and friends (see base-images.sh). Part 4's and 5's machines live under
#   $GSL_STATE/machines; Part 5 also uses /var/run/flotilla.sock and /home/docker/data (see part5).
# Exit status: 0 when every checked step passed, 1 with a message saying what failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${GSL_STATE:-/var/lib/flotilla-lab}
sock=/run/flotilla-lab/flotilla.sock
lab_port=${LAB_PORT:-4000}
available_parts=(2 3 4 5)

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
# The lab's own daemon, when FLOTILLA_HOST is aimed at a machine (Parts 4 and 5).
host_daemon="unix://$sock"

# ---- cleanup: everything the lab started goes away, whatever happened --------------------------
daemon_pid="" registry_pid="" registry_dir="" containers=() swarm_active="" machines=() work_dirs=()
export FLOTILLA_MACHINE_STORAGE="$state/machines"
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ -n "$swarm_active" ]; then flotilla stack rm getstartedlab >/dev/null 2>&1; flotilla swarm leave --force >/dev/null 2>&1; fi
  if [ ${#machines[@]} -gt 0 ]; then
    [ $rc = 0 ] || for m in "${machines[@]}"; do dump_machine_log "$m"; done
    FLOTILLA_HOST="" flotilla machine rm -f "${machines[@]}" >/dev/null 2>&1
  fi
  # Part 5's link to myvm1's socket goes in any case (myvm1 is gone); /home/docker/data stays
  # after a failure, with Redis's appendonly file, for a look.
  if [ -n "${made_viz_link:-}" ]; then rm -f "$viz_link"; fi
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    for cid in "${containers[@]}"; do flotilla rm -f "$cid" >/dev/null 2>&1; done
  fi
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null; fi
  [ -z "$registry_dir" ] || rm -rf "$registry_dir"
  # The parts' compose directories (a part that fails leaves its own behind otherwise).
  for d in "${work_dirs[@]}"; do rm -rf "$d"; done
  if [ -n "$daemon_pid" ]; then
    kill -TERM "$daemon_pid" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$daemon_pid" 2>/dev/null
    wait "$daemon_pid" 2>/dev/null
    rm -f "$state/daemon.pid"
    # A stopped daemon keeps its bridges for its next start; the lab's next start is minutes or
    # days away, so its kernel objects go now (the data, with the image cache, stays).
    node -e 'require(process.argv[1]).purgeDaemonState(process.argv[2]).catch((e) => { console.error(e.message); process.exit(1); })' \
      "$repo/packages/engine-core" "$state/data" || note "could not remove the lab daemon's bridges and rules"
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
  # The lab's tools, and what `npm test` (README command 2) needs besides: a real redis-server for the
  # app's tests, openssl for TLS test certificates, Debian's docker.io for the interop test.
  for pair in runc:runc ip:iproute2 ss:iproute2 iptables:iptables busybox:busybox-static \
      mmdebstrap:mmdebstrap docker-registry:docker-registry curl:curl \
      redis-server:redis-server openssl:openssl perl:perl dockerd:docker.io nsenter:util-linux; do
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
# from the repository's node_modules so that nothing is downloaded during the build; and the
# visualizer (Part 5), compiled JS only (it needs nothing beyond Node's standard library).
prepare_app() {
  cd "$repo"
  run npx --no-install tsc -p examples/getstartedlab/app
  run npx --no-install tsc -p examples/getstartedlab/visualizer
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

dump_machine_log() {
  local log="$FLOTILLA_MACHINE_STORAGE/$1/daemon.log"
  [ -f "$log" ] || return 0
  printf '\n# last lines of machine %s daemon log (%s):\n' "$1" "$log" >&2
  tail -n 15 "$log" >&2
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

# ---- Part 3: services ---------------------------------------------------------------------------
# distinct_hostnames N: curl the mesh port N times, print each page's hostname, echo the count.
mesh_hostnames() {
  local n=$1 out host
  declare -A seen=()
  for _ in $(seq "$n"); do
    out=$(curl -sS --max-time 5 "http://localhost:$lab_port" 2>/dev/null) || continue
    host=$(printf '%s' "$out" | sed -n 's/.*<b>Hostname:<\/b> \([0-9a-f]*\)<br\/>.*/\1/p')
    [ -n "$host" ] && seen[$host]=1
  done
  echo "${#seen[@]}"
}

part3() {
  step "Part 3: services: the image the stack runs"
  local image="localhost:${registry_port:-5000}/get-started:part2"
  if ! flotilla image inspect "$image" >/dev/null 2>&1; then
    note "Part 2 did not leave $image here: build it now"
    cd "$here"
    run flotilla build -t friendlyhello .
    run flotilla tag friendlyhello "$image"
  fi
  local compose
  compose=$(mktemp -d /tmp/flotilla-lab-part3.XXXXXX)
  work_dirs+=("$compose")
  # The tutorial's file, with the image Part 2 made (the registry's port may not be 5000 here).
  sed -e "s#localhost:5000/get-started:part2#$image#" -e "s#\"4000:80\"#\"$lab_port:80\"#" "$here/docker-compose.yml" >"$compose/docker-compose.yml"
  cd "$compose"
  show "cat docker-compose.yml"
  cat docker-compose.yml

  step "Part 3: without a swarm, stack deploy is refused"
  local out rc=0
  show "flotilla stack deploy -c docker-compose.yml getstartedlab"
  out=$(flotilla stack deploy -c docker-compose.yml getstartedlab 2>&1) || rc=$?
  printf '%s\n' "$out"
  [ $rc = 1 ] || fail "stack deploy without a swarm should exit 1, not $rc"
  expect "$out" "this node is not a swarm manager" "stack deploy without a swarm"

  step "Part 3: swarm init and stack deploy of 5 replicas"
  ! port_in_use "$lab_port" || fail "port $lab_port is in use on this machine: free it or set LAB_PORT"
  local cport=2377
  while port_in_use "$cport"; do cport=$((cport + 1)); done
  run flotilla swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$cport"
  swarm_active=1
  run flotilla stack deploy -c docker-compose.yml getstartedlab
  run flotilla service ls
  run flotilla service ps getstartedlab_web
  out=$(flotilla service ls)
  expect "$out" "5/5" "service ls should show 5/5 replicas"

  step "Part 3: the routing mesh: curl port $lab_port again and again"
  note "each replica has 0.1 CPU: node takes a few seconds to start in it"
  local hosts=0
  for _ in $(seq 60); do
    hosts=$(mesh_hostnames 10)
    [ "$hosts" -ge 5 ] && break
    sleep 1
  done
  show "for i in 1 2 3; do curl -s http://localhost:$lab_port; echo; done"
  for _ in 1 2 3; do curl -sS --max-time 5 "http://localhost:$lab_port"; echo; done
  hosts=$(mesh_hostnames 20)
  note "20 requests reached $hosts different replicas"
  [ "$hosts" -ge 3 ] || fail "the routing mesh reached only $hosts replica(s) in 20 requests"

  step "Part 3: scale to 2 by editing replicas in docker-compose.yml and deploying again"
  local before after
  before=$(flotilla stack ps getstartedlab -q --filter desired-state=running | sort)
  show "sed -i 's/replicas: 5/replicas: 2/' docker-compose.yml"
  sed -i 's/replicas: 5/replicas: 2/' docker-compose.yml
  run flotilla stack deploy -c docker-compose.yml getstartedlab
  run flotilla stack ps getstartedlab
  after=$(flotilla stack ps getstartedlab -q --filter desired-state=running | sort)
  [ "$(printf '%s\n' "$after" | grep -c .)" = 2 ] || fail "expected 2 running tasks after scaling, got: $after"
  # Here-strings, not printf | grep -q: under pipefail, grep -q's early exit can kill printf
  # (SIGPIPE) and fail a check that matched.
  for t in $after; do grep -qx -- "$t" <<<"$before" || fail "task $t is new: scaling down must keep the existing replicas (running before: $(echo $before))"; done
  note "the 2 replicas left are the ones that ran before: nothing was restarted"
  hosts=$(mesh_hostnames 10)
  [ "$hosts" = 2 ] || fail "after scaling to 2 the mesh reached $hosts replicas"

  step "Part 3: take down the stack and the swarm"
  run flotilla stack rm getstartedlab
  run flotilla swarm leave --force
  swarm_active=""
  cd "$here"
  rm -rf "$compose"
  printf '\n%s# Part 3 done: swarm init, stack deploy, the mesh over 5 replicas, scale in place, stack rm.%s\n' "$c_ok" "$c_off"
}

# ---- Part 4: swarms ----------------------------------------------------------------------------
# on MACHINE CMD: `flotilla machine ssh MACHINE "CMD"`, echoed like the tutorial.
on() {
  local m=$1
  shift
  show "flotilla machine ssh $m \"$*\""
  FLOTILLA_HOST="" flotilla machine ssh "$m" "$*"
}

# hostnames_via IP N: N curls to http://IP:port at once, echo how many different replicas answered.
# At once: without Redis (Part 4) each page waits for the app's 2 s Redis timeout.
hostnames_via() {
  local ip=$1 n=$2 dir i host pids=()
  declare -A seen=()
  dir=$(mktemp -d /tmp/flotilla-lab-curl.XXXXXX)
  for i in $(seq "$n"); do
    curl -sS --max-time 5 -o "$dir/$i" "http://$ip:$lab_port" 2>/dev/null &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  for i in $(seq "$n"); do
    host=$(sed -n 's/.*<b>Hostname:<\/b> \([0-9a-f]*\)<br\/>.*/\1/p' "$dir/$i" 2>/dev/null)
    [ -n "$host" ] && seen[$host]=1
  done
  rm -rf "$dir"
  echo "${#seen[@]}"
}

# swarm_up PART: Part 4's start: three machines, myvm1 the manager, myvm2 and myvm3 workers,
# the shell aimed at myvm1 (`eval $(flotilla machine env myvm1)`) with the offline base image
# loaded there. Part 5 begins the same way, so that it runs on its own as well as after Part 4.
swarm_up() {
  local part=$1 m out ip1 token
  step "Part $part: three machines (network namespaces, each with its own flotilla daemon)"
  for m in myvm1 myvm2 myvm3; do
    if FLOTILLA_HOST="" flotilla machine inspect "$m" >/dev/null 2>&1; then
      note "removing machine $m left by an earlier run"
      FLOTILLA_HOST="" flotilla machine rm -f "$m" >/dev/null
    fi
    machines+=("$m")
    FLOTILLA_HOST="" run flotilla machine create "$m"
  done
  FLOTILLA_HOST="" run flotilla machine ls
  ip1=$(FLOTILLA_HOST="" flotilla machine ip myvm1)

  step "Part $part: myvm1 becomes the manager, myvm2 and myvm3 join as workers"
  on myvm1 "flotilla swarm init --advertise-addr $ip1" || fail "swarm init on myvm1 failed"
  token=$(FLOTILLA_HOST="" flotilla machine ssh myvm1 "flotilla swarm join-token -q worker") || fail "could not read the worker join token"
  for m in myvm2 myvm3; do on "$m" "flotilla swarm join --token $token $ip1:2377" || fail "$m could not join the swarm"; done
  out=$(on myvm1 "flotilla node ls") || fail "node ls on myvm1 failed"
  printf '%s\n' "$out"
  [ "$(printf '%s\n' "$out" | grep -c ' Ready ')" = 3 ] || fail "node ls should show 3 Ready nodes"

  step "Part $part: aim the shell at myvm1; images go to myvm1 only (no registry: the workers fetch them from myvm1)"
  show "eval \$(flotilla machine env myvm1)"
  eval "$(FLOTILLA_HOST="" flotilla machine env myvm1)"
  copy_image flotilla/node-base
}

# copy_image IMAGE: from the lab's own daemon to myvm1 by save and load, like any image without a registry.
copy_image() {
  local tar
  tar="$state/$(printf '%s' "$1" | tr '/:' '__').tar"
  note "$1 goes over by save and load, like any image without a registry"
  FLOTILLA_HOST=$host_daemon run flotilla save -o "$tar" "$1"
  run flotilla load -i "$tar"
  rm -f "$tar"
}

# swarm_down: the workers leave, then the manager, and the machines go.
swarm_down() {
  on myvm2 "flotilla swarm leave" || fail "swarm leave on myvm2 failed"
  on myvm3 "flotilla swarm leave" || fail "swarm leave on myvm3 failed"
  on myvm1 "flotilla swarm leave --force" || fail "swarm leave on myvm1 failed"
  export FLOTILLA_HOST=$host_daemon
  FLOTILLA_HOST="" run flotilla machine rm -f myvm1 myvm2 myvm3
  machines=()
}

part4() {
  local m out compose
  swarm_up 4
  cd "$here"
  run flotilla build -t friendlyhello .
  compose=$(mktemp -d /tmp/flotilla-lab-part4.XXXXXX)
  work_dirs+=("$compose")
  sed -e "s#localhost:5000/get-started:part2#friendlyhello#" -e "s#\"4000:80\"#\"$lab_port:80\"#" "$here/docker-compose.yml" >"$compose/docker-compose.yml"
  cd "$compose"

  step "Part 4: deploy the stack on the swarm"
  run flotilla stack deploy -c docker-compose.yml getstartedlab
  run flotilla stack ps getstartedlab
  out=$(flotilla stack ps getstartedlab --filter desired-state=running --format '{{.Node}} {{.CurrentState}}')
  for m in myvm1 myvm2 myvm3; do
    grep -q "^$m Running" <<<"$out" || fail "no replica runs on $m (the image should have come from myvm1)"
  done

  step "Part 4: the routing mesh: every machine's port $lab_port reaches every replica"
  local hosts
  for m in myvm1 myvm2 myvm3; do
    local ip
    ip=$(FLOTILLA_HOST="" flotilla machine ip "$m")
    for _ in $(seq 60); do
      hosts=$(hostnames_via "$ip" 15)
      [ "$hosts" -ge 5 ] && break
      sleep 1
    done
    show "curl http://$ip:$lab_port    # $m"
    curl -sS --max-time 5 "http://$ip:$lab_port"; echo
    note "15 requests to $m reached $hosts different replicas"
    [ "$hosts" -ge 5 ] || fail "the routing mesh on $m reached only $hosts of the 5 replicas"
  done

  step "Part 4: take down the stack, leave the swarm, remove the machines"
  run flotilla stack rm getstartedlab
  swarm_down
  cd "$here"
  rm -rf "$compose"
  printf '\n%s# Part 4 done: three machines, one swarm, an image built on one node running on all, the mesh on every node.%s\n' "$c_ok" "$c_off"
}

# ---- Part 5: stacks ------------------------------------------------------------------------------
# The compose file's two bind mounts name paths on the manager, as on the tutorial's VMs:
#
# /var/run/flotilla.sock (the visualizer's API socket, as the tutorial mounts /var/run/docker.sock):
#   on a docker-machine VM that path is the VM's own daemon. Our machines share the host's
#   filesystem, and each machine's daemon listens on its own socket ($FLOTILLA_MACHINE_STORAGE/
#   myvm1/flotilla.sock), so the host's /var/run/flotilla.sock is no machine's daemon. The lab makes
#   it a symbolic link to myvm1's socket for the length of Part 5: the compose file stays the
#   tutorial's, and the bind mount, made by myvm1's daemon (the visualizer is placed on the
#   manager), follows the link to myvm1's API. Nothing else uses that path (flotilla's default
#   socket is /run/flotilla/flotilla.sock), so the link takes no daemon's place; should something be
#   there all the same, the lab leaves it alone and writes myvm1's socket into the compose file
#   instead, as it writes the image name and the port. (Not a socket that every machine's daemon
#   listens on: three daemons cannot share one path; a mount namespace per machine would give
#   each its own /var/run like a VM, but changes what every machine daemon sees of the host's
#   mounts, which Part 4 and the cluster tests rely on.)
#
# /home/docker/data (Redis's appendonly file): the tutorial makes it with `docker-machine ssh
#   myvm1 "mkdir ./data"`; the lab does the same with `flotilla machine ssh`. The machines share the
#   host's filesystem, so it is the host's /home/docker/data, seen by all three machines; that
#   is harmless because Redis runs only on the manager. The lab removes /home/docker at the end
#   if it made it (a run that fails leaves it, with the counter, for a look).
viz_link=/var/run/flotilla.sock made_viz_link="" made_docker_home=""

# stack_converged SERVICE=REPLICAS...: wait (up to 3 min) until `stack services` shows each service
# of the stack with REPLICAS running (e.g. web=5/5), then print it; fail with `stack ps` if not.
stack_converged() {
  local out="" ok=0 want
  for _ in $(seq 180); do
    out=$(flotilla stack services getstartedlab 2>&1) || true
    ok=1
    for want in "$@"; do
      printf '%s\n' "$out" | grep -Eq "getstartedlab_${want%%=*} +replicated +${want#*=} " || { ok=0; break; }
    done
    [ $ok = 1 ] && break
    sleep 1
  done
  show "flotilla stack services getstartedlab"
  printf '%s\n' "$out"
  if [ $ok = 0 ]; then
    show "flotilla stack ps getstartedlab --no-trunc"
    flotilla stack ps getstartedlab --no-trunc || true
    fail "the stack did not reach $* within 3 minutes (see the errors in stack ps above)"
  fi
}

# on_manager SERVICE: its one running task is on myvm1 (placement: node.role == manager).
on_manager() {
  local out
  out=$(flotilla stack ps getstartedlab --filter desired-state=running --format '{{.Name}} {{.Node}} {{.CurrentState}}')
  printf '%s\n' "$out" | grep -Eq "^getstartedlab_$1\.1 myvm1 Running" || fail "getstartedlab_$1 should run on myvm1, the manager (node.role == manager):"$'\n'"$out"
}

# deploy: the tutorial's command. It waits until every replica runs; when one service does not
# get there it says so and exits 1: the lab goes on, and the checks below name the service.
deploy() {
  local rc=0
  show "flotilla stack deploy -c docker-compose.yml getstartedlab"
  flotilla stack deploy -c docker-compose.yml getstartedlab || rc=$?
  [ $rc = 0 ] || note "stack deploy exited $rc (not every replica runs yet): the checks below say which"
}

# visits_via IP: one page from http://IP:port; prints the page, sets $visits to its counter ("" if none).
visits=""
visits_via() {
  local page
  page=$(curl -sS --max-time 5 "http://$1:$lab_port" 2>&1) || true
  printf '%s\n' "$page"
  visits=$(printf '%s' "$page" | sed -n 's/.*<b>Visits:<\/b> \([0-9][0-9]*\)$/\1/p')
}

# first_count IP: wait (up to 90 s: 0.1 CPU per replica, Redis starting) for a page with a number.
first_count() {
  local ip=$1 page="" until=$((SECONDS + 90))
  # A page without Redis takes the app's 2 s timeout: a deadline, not a count of tries.
  while [ $SECONDS -lt $until ]; do
    page=$(curl -sS --max-time 5 "http://$ip:$lab_port" 2>&1) || true
    case "$page" in *"<b>Visits:</b> "[0-9]*) return 0 ;; esac
    sleep 1
  done
  printf '%s\n' "$page"
  case "$page" in
    *"cannot connect to Redis"*) fail "the web replicas cannot reach Redis by the name 'redis' on $ip:$lab_port (this needs the embedded DNS and the service's virtual IP on the stack network)" ;;
    *) fail "no page with a visit counter on http://$ip:$lab_port within 90 s" ;;
  esac
}

part5() {
  local m ip ip1 compose page col1 last
  swarm_up 5
  ip1=$(FLOTILLA_HOST="" flotilla machine ip myvm1)

  step "Part 5: the stack's images on myvm1: the app, the visualizer, and redis (offline, from Debian's redis-server)"
  show "bash examples/getstartedlab/base-images.sh redis    # flotilla/redis-base, tagged redis, on the lab's daemon"
  FLOTILLA_HOST=$host_daemon FLOTILLA="node $repo/packages/stack-cli/bin/flotilla" bash "$here/base-images.sh" redis \
    || fail "could not make the base image redis"
  copy_image redis:latest
  cd "$here"
  run flotilla build -t friendlyhello .
  note "the visualizer stands in for Docker Hub's dockersamples/visualizer (see visualizer/)"
  run flotilla build -t flotilla/visualizer visualizer
  run flotilla image ls

  step "Part 5: the compose file: the app, the visualizer and Redis on the manager"
  compose=$(mktemp -d /tmp/flotilla-lab-part5.XXXXXX)
  work_dirs+=("$compose")
  local sock1 subst=()
  sock1=$(FLOTILLA_HOST="" flotilla machine env myvm1 | sed -n 's#^export FLOTILLA_HOST="unix://\(.*\)"$#\1#p')
  [ -S "$sock1" ] || fail "myvm1's daemon socket '$sock1' is not there"
  # Ours to (re)make: nothing there, or a link an earlier lab run left to one of its machines.
  local ours=0
  if [ -L "$viz_link" ]; then
    [[ "$(readlink "$viz_link")" != "$FLOTILLA_MACHINE_STORAGE/"* ]] || ours=1
  elif [ ! -e "$viz_link" ]; then
    ours=1
  fi
  if [ $ours = 1 ]; then
    note "machines share the host's files: /var/run/flotilla.sock is made to lead to myvm1's own daemon (see run-lab.sh)"
    run ln -sfn "$sock1" "$viz_link"
    made_viz_link=1
  else
    note "$viz_link is someone else's: the compose file gets myvm1's socket in its place"
    subst=(-e "s#\"/var/run/flotilla.sock:#\"$sock1:#")
  fi
  sed -e "s#localhost:5000/get-started:part2#friendlyhello#" -e "s#\"4000:80\"#\"$lab_port:80\"#" "${subst[@]}" \
    "$here/docker-compose.part5.yml" >"$compose/docker-compose.yml"
  cd "$compose"
  show "cat docker-compose.yml"
  grep -v '^ *#' docker-compose.yml
  [ -e /home/docker ] || made_docker_home=1
  on myvm1 "mkdir -p /home/docker/data" || fail "could not make /home/docker/data"

  step "Part 5: deploy the stack: 5 web replicas, the visualizer and Redis"
  deploy
  stack_converged web=5/5 redis=1/1
  on_manager redis
  note "Redis runs on myvm1, the manager, as its placement constraint says"

  step "Part 5: the counter: every machine's port $lab_port, and Visits counts up (Redis, found by its name)"
  first_count "$ip1"
  last=0
  for _ in 1 2; do
    for m in myvm1 myvm2 myvm3; do
      ip=$(FLOTILLA_HOST="" flotilla machine ip "$m")
      show "curl http://$ip:$lab_port    # $m"
      visits_via "$ip"
      [ -n "$visits" ] || fail "the page from $m shows no visit count"
      [ "$visits" -gt "$last" ] || fail "Visits went from $last to $visits: it should count up"
      last=$visits
    done
  done
  note "six requests over three machines, one counter: $last"

  step "Part 5: the visualizer on port 8080 (any machine: the routing mesh)"
  stack_converged web=5/5 visualizer=1/1 redis=1/1
  run flotilla stack ps getstartedlab
  on_manager visualizer
  ip=$(FLOTILLA_HOST="" flotilla machine ip myvm3)
  show "curl http://$ip:8080    # myvm3; the page, in short:"
  page=""
  for _ in $(seq 60); do
    page=$(curl -sS --max-time 5 "http://$ip:8080" 2>&1) && case "$page" in *'data-hostname="myvm3"'*) break ;; esac
    sleep 1
  done
  printf '%s\n' "$page" | grep -o 'data-hostname="[^"]*"\|<div class="name">[^<]*</div>\|<div class="error">.*</div>' \
    | sed -e 's/data-hostname="\(.*\)"/node \1:/' -e 's#<div class="name">\(.*\)</div>#  \1#'
  for m in myvm1 myvm2 myvm3; do expect "$page" "data-hostname=\"$m\"" "the visualizer page should have a column for $m"; done
  [ "$(printf '%s' "$page" | grep -o '<div class="name">getstartedlab_web\.[0-9]*</div>' | wc -l)" = 5 ] || fail "the visualizer page should show the 5 web replicas"
  col1=${page#*data-hostname=\"myvm1\"}
  col1=${col1%%data-hostname=*}
  expect "$col1" '<div class="name">getstartedlab_redis.1</div>' "myvm1's column on the visualizer page"
  expect "$col1" '<div class="name">getstartedlab_visualizer.1</div>' "myvm1's column on the visualizer page"
  expect "$col1" 'Leader' "myvm1's column on the visualizer page"
  note "the page has a column per machine, the 5 web replicas, and Redis and the visualizer on myvm1 (the leader)"

  step "Part 5: the counter outlives the stack: Redis appends to /home/docker/data on myvm1"
  run flotilla stack rm getstartedlab
  on myvm1 "ls /home/docker/data" || true
  deploy
  stack_converged web=5/5 visualizer=1/1 redis=1/1
  first_count "$ip1"
  show "curl http://$ip1:$lab_port    # myvm1"
  visits_via "$ip1"
  [ -n "$visits" ] || fail "the page shows no visit count after the new deploy"
  [ "$visits" -gt "$last" ] || fail "Visits is $visits after stack rm + deploy: it should go on from $last, not start over"
  note "the count went on from $last to $visits: not reset"

  step "Part 5: take down the stack, leave the swarm, remove the machines"
  run flotilla stack rm getstartedlab
  swarm_down
  remove_part5_paths
  cd "$here"
  rm -rf "$compose"
  printf '\n%s# Part 5 done: a stack of three services on three machines, Redis by name, the visualizer, a counter that outlives the stack.%s\n' "$c_ok" "$c_off"
}

# What Part 5 made on the host: the socket link always, /home/docker when all went well.
remove_part5_paths() {
  if [ -n "$made_viz_link" ]; then rm -f "$viz_link"; made_viz_link=""; fi
  if [ -n "$made_docker_home" ]; then rm -rf /home/docker; made_docker_home=""; fi
}

started=$SECONDS
setup
for p in "${parts[@]}"; do
  part_started=$SECONDS
  "part$p"
  note "Part $p took $((SECONDS - part_started)) s"
done
printf '\n%s# The lab passed (part %s) in %s s.%s\n' "$c_ok" "${parts[*]}" "$((SECONDS - started))" "$c_off"
