#!/usr/bin/env bash
# Three-way benchmark (issue 8, item 4): the same throwaway Docker Engine
# reached three ways, measured side by side in one run with wrk:
#
#   direct   dockerd's own loopback TCP listener (the limit: no proxy at all)
#   haproxy  HAProxy (Debian, 2.6) in TCP mode in front of the engine's unix
#            socket, as plain socket proxies are (no filtering of any kind)
#   fdcs     `fdcs-policy serve --upstream unix://<socket>` (release build,
#            embedded default policy, demo tenants alpha and beta)
#
# Usage (as root, NOT in CI; one command):
#
#   sudo benches/three_way.sh              # full: ~20 min on 2 cores
#   sudo QUICK=1 benches/three_way.sh      # sizes 10 and 100, 2 s runs
#
# Settings (environment): QUICK=1, DURATION (s per wrk run, default 5, QUICK
# 2), ROUNDS (default 3; medians are taken over them), SIZES (alpha's
# container counts for the scaling, default "10 100 1000", QUICK "10 100"),
# CLIENTS (default "1 16 64", QUICK "1 64"), CYCLES (create + start + remove
# cycles per run, shared by the clients, at least one each; default 30,
# QUICK 12), CYCLE_CLIENTS (default CLIENTS, QUICK "1 16"), IDLE (idle
# connections held open for the RSS figure, default 256), BETA (beta's containers,
# default 100), LIST_SIZE (alpha's count at which ping and list are
# measured, default 100), RESULTS (default target/three_way/<UTC time>),
# FDCS_POLICY_BIN (an already built binary instead of `cargo build`),
# WORKTREE=1 (build the working tree, not the committed HEAD),
# FDCS_LOG (serve's log filter, default info: audit lines are formatted as
# in production, written to /dev/null), NO_PLOT=1.
#
# What it does:
#  1. installs what is missing: Debian's haproxy and wrk (apt-get), and for
#     the plot matplotlib into a temporary venv (pip), else Debian's gnuplot;
#     builds `cargo build --release -p fdcs-cli` from the committed HEAD
#     (git archive into target/three_way/src, target dir
#     target/three_way/build), so that edits in progress are not measured;
#  2. re-runs itself inside `unshare --net --mount`: a network namespace of
#     its own (only its own loopback; a dockerd with `--bridge none` deletes
#     `docker0` when it can see it, see tests/src/dockerd.rs) and a private
#     mount namespace where /run/docker and /run/containerd are covered by
#     empty tmpfs, so nothing it starts can see or touch the machine's engine,
#     its containerd or its sockets. Every port below is in that namespace;
#  3. starts a throwaway dockerd there (own --data-root, --exec-root,
#     --pidfile, --config-file, unix socket under a temp dir, plus
#     -H tcp://127.0.0.1:23750), imports a busybox image from /bin/busybox
#     (as .ci/run does), starts HAProxy (:23751) and serve (:23752);
#  4. creates alpha's `web` through fdcs (create + start: a running
#     container), then beta's BETA and alpha's other containers directly with
#     fdcs' naming (`alpha_cNNNN`, label fdcs.tenant=alpha, created, not
#     started), and checks that the three targets answer every request with
#     200 and that the three lists hold the same containers;
#  5. for each size: inspect by name at 1 client (the scaling); at the
#     smallest: create + start + remove cycles (benches/three_way_client.py:
#     wrk cannot chain three requests) at each of CYCLE_CLIENTS, the docker
#     CLI 28's `docker run -d -P` body through fdcs, and direct and through
#     HAProxy the body fdcs forwards for it (taken from a container fdcs
#     created with it: its labels and HostConfig, tenant network included),
#     names scoped by hand; at 100:
#     ping and list at each of CLIENTS (at 1,000 a list takes ~120 ms and 64
#     clients complete almost none in a short run); at the largest size:
#     inspect by name and by ID prefix at each of CLIENTS; every (request, clients) is run ROUNDS times interleaved
#     (direct, haproxy, fdcs, direct, ...); then serve's RSS (VmRSS, VmHWM)
#     before, with IDLE client connections open and idle (each sent one
#     /_ping, from 8 source addresses, below serve's per-address cap), and
#     after they closed;
#  6. prints a Markdown table, writes runs.csv (every run), summary.csv
#     (medians), cycle_steps.csv (each cycle run's create / start / remove
#     p50), meta.txt and scaling.png under RESULTS, and (not with QUICK=1)
#     copies the plot to benches/three_way_scaling.png.
# On exit, error or Ctrl-C, it stops everything it started (serve, haproxy,
# the throwaway dockerd and its containerd) and removes its temp dir.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
self="$root/benches/three_way.sh"

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  DURATION=${DURATION:-2}
  SIZES=${SIZES:-"10 100"}
  CLIENTS=${CLIENTS:-"1 64"}
  CYCLES=${CYCLES:-12}
  CYCLE_CLIENTS=${CYCLE_CLIENTS:-"1 16"}
else
  DURATION=${DURATION:-5}
  SIZES=${SIZES:-"10 100 1000"}
  CLIENTS=${CLIENTS:-"1 16 64"}
  CYCLES=${CYCLES:-30}
  CYCLE_CLIENTS=${CYCLE_CLIENTS:-$CLIENTS}
fi
ROUNDS=${ROUNDS:-3}
BETA=${BETA:-100}
IDLE=${IDLE:-256}
export QUICK DURATION SIZES CLIENTS CYCLES CYCLE_CLIENTS ROUNDS BETA IDLE

P_DIRECT=23750
P_HAPROXY=23751
P_FDCS=23752
API=v1.41

log() { printf '== %s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf 'three_way: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- outer stage
outer() {
  [ "$(id -u)" = 0 ] || die "run as root (it starts a throwaway dockerd)"
  for c in dockerd containerd docker unshare ip curl python3 ss; do
    command -v "$c" >/dev/null || die "needs $c on PATH"
  done

  local missing=()
  command -v haproxy >/dev/null || missing+=(haproxy)
  command -v wrk >/dev/null || missing+=(wrk)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} (apt-get)"
    # /usr/sbin/policy-rc.d (exit 101) keeps Debian from starting a haproxy
    # service on install; without it the packaged service would start with
    # Debian's default config (no listener).
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 ||
      { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; }
  fi

  RESULTS=${RESULTS:-$root/target/three_way/$(date -u +%Y%m%dT%H%M%SZ)}
  mkdir -p "$RESULTS"
  export RESULTS

  WORK=$(mktemp -d /tmp/fdcs3w.XXXXXX)
  export WORK
  trap 'outer_cleanup' EXIT
  trap 'exit 130' INT TERM

  # What is measured is the committed HEAD, not the working tree (which
  # others may be editing): its tree is exported to target/three_way/src and
  # built there, with its own target dir (kept, so a rerun is incremental).
  # WORKTREE=1 builds the working tree instead.
  FDCS_POLICY_BIN=${FDCS_POLICY_BIN:-}
  if [ -z "$FDCS_POLICY_BIN" ] && [ "${WORKTREE:-0}" = 1 ]; then
    log "building the working tree (cargo build --release -p fdcs-cli)"
    cargo build --release -q -p fdcs-cli --manifest-path "$root/Cargo.toml" >&2
    FDCS_POLICY_BIN="${CARGO_TARGET_DIR:-$root/target}/release/fdcs-policy"
    BUILT="working tree of $(git -C "$root" rev-parse HEAD)"
  elif [ -z "$FDCS_POLICY_BIN" ]; then
    BUILT=$(git -C "$root" rev-parse HEAD)
    log "building commit $BUILT (cargo build --release -p fdcs-cli, from git archive)"
    rm -rf "$root/target/three_way/src"
    mkdir -p "$root/target/three_way/src"
    git -C "$root" archive "$BUILT" | tar -x -C "$root/target/three_way/src"
    CARGO_TARGET_DIR="$root/target/three_way/build" \
      cargo build --release -q -p fdcs-cli --manifest-path "$root/target/three_way/src/Cargo.toml" >&2
    FDCS_POLICY_BIN="$root/target/three_way/build/release/fdcs-policy"
  else
    BUILT="given binary $FDCS_POLICY_BIN"
  fi
  [ -x "$FDCS_POLICY_BIN" ] || die "no binary at $FDCS_POLICY_BIN"
  export FDCS_POLICY_BIN

  # plotting tool, chosen while the network is still reachable
  PLOT=none
  if [ "${NO_PLOT:-0}" != 1 ]; then
    log "matplotlib into a temporary venv (pip)"
    if python3 -m venv "$WORK/venv" >&2 &&
      "$WORK/venv/bin/pip" install -q --disable-pip-version-check matplotlib >&2; then
      PLOT=matplotlib
    else
      log "no matplotlib; gnuplot from Debian"
      command -v gnuplot >/dev/null ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >&2 || true
      command -v gnuplot >/dev/null && PLOT=gnuplot
    fi
  fi
  export PLOT

  {
    echo "date_utc=$(date -u '+%Y-%m-%d %H:%M')"
    echo "commit=$BUILT"
    echo "nproc=$(nproc)"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "kernel=$(uname -r)"
    echo "mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "dockerd=$(dockerd --version)"
    echo "haproxy=$(haproxy -v 2>&1 | head -1)"
    echo "wrk=$(wrk -v 2>&1 | head -1)"
    echo "fdcs=$("$FDCS_POLICY_BIN" --version 2>&1 | head -1)"
    echo "settings=QUICK=$QUICK DURATION=$DURATION ROUNDS=$ROUNDS SIZES=$SIZES CLIENTS=$CLIENTS CYCLES=$CYCLES CYCLE_CLIENTS=$CYCLE_CLIENTS IDLE=$IDLE BETA=$BETA"
    echo "loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)"
  } >"$RESULTS/meta.txt"

  log "entering a private network + mount namespace"
  # not exec: this shell stays to remove $WORK whatever happens inside
  unshare --net --mount --propagation private -- bash "$self" __inner
  echo "loadavg_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/meta.txt"

  summarize
  # a QUICK run's plot (two sizes) stays in RESULTS: the committed one is
  # a full run's
  if [ -f "$RESULTS/scaling.png" ] && [ "$QUICK" != 1 ]; then
    cp "$RESULTS/scaling.png" "$root/benches/three_way_scaling.png"
    log "plot: benches/three_way_scaling.png"
  fi
  log "results in $RESULTS"
}

outer_cleanup() {
  # normally the inner stage has stopped everything; if it was killed hard,
  # stop the processes that run from our temp dir (by pid, found by that
  # unique path), then remove it
  if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
    local pid
    for f in "$WORK/serve.pid" "$WORK/haproxy.pid" "$WORK/dockerd.pid" "$WORK/exec/containerd/containerd.pid"; do
      if [ -s "$f" ]; then
        pid=$(cat "$f")
        if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$WORK"; then
          kill -KILL "$pid" 2>/dev/null || true
        fi
      fi
    done
    rm -rf --one-file-system "$WORK" 2>/dev/null || log "could not remove all of $WORK"
  fi
}

# ---------------------------------------------------------------- inner stage
PIDS_SERVE="" PID_HAPROXY="" PID_DOCKERD=""

inner() {
  trap 'inner_cleanup' EXIT
  trap 'exit 130' INT TERM
  ip link set lo up
  # cover the machine's engine runtime dirs: the throwaway engine must not
  # find the machine's containerd (dockerd 20.10 uses /run/containerd's
  # socket when one is there) nor anything under /run/docker
  for d in /run/docker /run/containerd; do
    [ -d "$d" ] && mount -t tmpfs -o size=64m,mode=0711 fdcs3w "$d"
  done

  sock="$WORK/d.sock"
  echo '{}' >"$WORK/daemon.json"
  log "starting a throwaway dockerd (data under $WORK)"
  setsid dockerd \
    --config-file "$WORK/daemon.json" \
    --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" \
    -H "unix://$sock" -H "tcp://127.0.0.1:$P_DIRECT" \
    --bridge none --iptables=false --ip6tables=false --ip-masq=false \
    --log-level warn </dev/null >"$WORK/dockerd.log" 2>&1 &
  PID_DOCKERD=$!
  wait_for 60 curl -sf --unix-socket "$sock" http://d/_ping ||
    { tail -20 "$WORK/dockerd.log" >&2; die "throwaway dockerd did not come up"; }
  D() { docker -H "unix://$sock" "$@"; }

  import_busybox

  cat >"$WORK/haproxy.cfg" <<EOF
global
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 120s
    timeout server 120s
frontend docker
    bind 127.0.0.1:$P_HAPROXY
    default_backend engine
backend engine
    server dockerd $sock
EOF
  setsid haproxy -db -f "$WORK/haproxy.cfg" </dev/null >"$WORK/haproxy.log" 2>&1 &
  PID_HAPROXY=$!
  echo "$PID_HAPROXY" >"$WORK/haproxy.pid"

  # wrk is one tenant at thousands of requests a second: its fair share
  # (200/s by default, fair.rate) is raised far above what it sends, so the
  # limiter's checks still run and are measured but never refuse
  # the demo tenants, with no quota in alpha's way (the cycles create up to
  # 64 containers at once, -P publishes a port each): every quota is still
  # checked, against a figure no usage reaches, so the usage lookup runs
  cat >"$WORK/tenants.yaml" <<'EOF'
tenants:
  - id: alpha
    tokens: [alpha-token]
    quotas:
      containers: unlimited
      memory: unlimited
      cpus: unlimited
      pids: unlimited
      publishedPorts: unlimited
      volumes: unlimited
      networks: unlimited
  - id: beta
    tokens: [beta-token]
    limits:
      memory: 512Mi
      cpus: 1
      pids: 512
      images: ["busybox*"]
EOF
  FDCS_LOG=${FDCS_LOG:-info} setsid "$FDCS_POLICY_BIN" serve \
    --upstream "unix://$sock" --listen "tcp://127.0.0.1:$P_FDCS" \
    --tenants "$WORK/tenants.yaml" \
    --tenant-rate 100000000 --tenant-burst 100000000 --tenant-concurrency 4096 \
    </dev/null >/dev/null 2>>"$WORK/serve.err" &
  PIDS_SERVE=$!
  echo "$PIDS_SERVE" >"$WORK/serve.pid"
  wait_for 20 curl -sf "http://127.0.0.1:$P_HAPROXY/_ping" || die "haproxy did not come up: $(cat "$WORK/haproxy.log")"
  wait_for 20 curl -sf -H 'X-Auth-Token: alpha-token' -H 'X-Auth-TenantId: alpha' \
    "http://127.0.0.1:$P_FDCS/_ping" || die "serve did not come up: $(head -c 2000 "$WORK/serve.err")"
  # serve's log (an audit line per request) is counted for warnings and
  # errors and emptied after every run, so that it never grows large
  serve_log_rotate

  # alpha's web, through fdcs: the tenant's own create and start
  local out
  out=$(fcurl -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"busybox","Cmd":["httpd","-f","-p","80"]}' \
    "http://127.0.0.1:$P_FDCS/$API/containers/create?name=web") || die "create web through fdcs: $out"
  out=$(fcurl -X POST "http://127.0.0.1:$P_FDCS/$API/containers/web/start") || die "start web through fdcs: $out"
  WEB_ID=$(D inspect -f '{{.Id}}' alpha_web)
  [ "$(D inspect -f '{{index .Config.Labels "fdcs.tenant"}} {{.State.Running}}' alpha_web)" = "alpha true" ] ||
    die "alpha_web is not alpha's or not running"
  PREFIX=${WEB_ID:0:12}
  log "alpha_web running, id prefix $PREFIX"

  cycle_bodies

  log "creating $BETA containers for beta"
  create_many beta 1 "$BETA"

  : >"$WORK/runs.csv"
  echo "size,request,target,clients,round,rps,p50_us,p99_us,non2xx,errors,requests" >"$RESULTS/runs.csv"
  echo "size,target,clients,round,create_p50_us,start_p50_us,remove_p50_us" >"$RESULTS/cycle_steps.csv"
  local have=1 n max min list_size
  max=$(for s in $SIZES; do echo "$s"; done | sort -n | tail -1)
  min=$(for s in $SIZES; do echo "$s"; done | sort -n | head -1)
  # ping and list where a list is still cheap enough for 64 clients to
  # complete requests in a short run; inspect at the largest size
  list_size=${LIST_SIZE:-$(for s in $SIZES; do echo "$s"; done | grep -qx 100 && echo 100 || echo "$max")}
  echo "list_size=$list_size" >>"$RESULTS/meta.txt"
  for n in $(for s in $SIZES; do echo "$s"; done | sort -n); do
    if [ "$n" -gt "$have" ]; then
      log "alpha: $have -> $n containers"
      create_many alpha "$have" $((n - 1))
      have=$n
    fi
    sanity "$n"
    warm
    log "scaling point: alpha has $n containers; inspect by name, 1 client"
    measure "$n" inspect_name 1
    local req c
    if [ "$n" = "$min" ]; then
      for c in $CYCLE_CLIENTS; do
        log "alpha has $n containers: create + start + remove, $c clients"
        measure_cycles "$n" "$c"
      done
      sanity "$n" # every cycle's container is gone
    fi
    if [ "$n" = "$list_size" ]; then
      for req in ping list; do
        for c in $CLIENTS; do
          log "alpha has $n containers: $req, $c clients"
          measure "$n" "$req" "$c"
        done
      done
    fi
    if [ "$n" = "$max" ]; then
      for req in inspect_name inspect_prefix; do
        for c in $CLIENTS; do
          [ "$req" = inspect_name ] && [ "$c" = 1 ] && continue # the scaling point above
          log "alpha has $n containers: $req, $c clients"
          measure "$n" "$req" "$c"
        done
      done
    fi
  done
  grep -E '^(VmRSS|VmHWM)' "/proc/$PIDS_SERVE/status" | awk '{print $1 $2}' |
    tr -d ':' | sed 's/VmRSS/rss_kib=/; s/VmHWM/hwm_kib=/' >>"$RESULTS/meta.txt"
  rss_idle
  echo "containers=alpha $have, beta $BETA" >>"$RESULTS/meta.txt"
  serve_log_rotate
  echo "serve_log_warn_error_lines=$SERVE_BAD" >>"$RESULTS/meta.txt"
  if [ "$SERVE_BAD" -gt 0 ]; then
    log "serve logged $SERVE_BAD WARN/ERROR lines; the first ones:"
    head -5 "$WORK/serve.bad" >&2
  fi
}

SERVE_BAD=0
serve_log_rotate() { # serve's stderr is opened O_APPEND: truncating it is safe
  local n
  # serve's start-up warnings about the throwaway engine's settings (no
  # userns-remap, default address pools, json-file) are expected here:
  # kept apart in RESULTS/serve-startup.log, not counted
  grep -F 'risky engine setting' "$WORK/serve.err" >>"$RESULTS/serve-startup.log" || true
  n=$(grep -E ' (WARN|ERROR) ' "$WORK/serve.err" | grep -cvF 'risky engine setting' || true)
  if [ "$n" -gt 0 ]; then
    SERVE_BAD=$((SERVE_BAD + n))
    grep -E ' (WARN|ERROR) ' "$WORK/serve.err" | grep -vF 'risky engine setting' | head -20 >>"$WORK/serve.bad"
  fi
  : >"$WORK/serve.err"
}

# run "$@" until it succeeds, at most $1 seconds
wait_for() {
  local limit=$1 start=$SECONDS
  shift
  until "$@" >/dev/null 2>&1; do
    [ $((SECONDS - start)) -lt "$limit" ] || return 1
    sleep 0.2
  done
}

# curl as tenant alpha; fails on a non-2xx, printing the body
fcurl() {
  local body code
  body=$(curl -s -w '\n%{http_code}' -H 'X-Auth-Token: alpha-token' -H 'X-Auth-TenantId: alpha' "$@")
  code=${body##*$'\n'}
  body=${body%$'\n'*}
  printf '%s' "$body"
  [ "${code:0:1}" = 2 ]
}

import_busybox() {
  log "importing busybox:latest from /bin/busybox (tests/image/busybox.sh)"
  sh "$root/tests/image/busybox.sh" import docker -H "unix://$sock"
}

# create_many TENANT FROM TO: containers TENANT_cFROM..TENANT_cTO, created
# not started, with fdcs' naming and owner label, 4 at a time
create_many() {
  local t=$1 from=$2 to=$3
  [ "$to" -ge "$from" ] || return 0
  seq -f '%04g' "$from" "$to" | xargs -P 4 -I{} curl -sf -o /dev/null --unix-socket "$sock" \
    -H 'Content-Type: application/json' \
    -d "{\"Image\":\"busybox\",\"Cmd\":[\"true\"],\"Labels\":{\"fdcs.tenant\":\"$t\"},\"HostConfig\":{\"NetworkMode\":\"none\"}}" \
    "http://d/$API/containers/create?name=${t}_c{}" ||
    die "creating ${t}'s containers failed"
}

# the request paths of each target
LABEL_FILTER='filters=%7B%22label%22%3A%5B%22fdcs.tenant%3Dalpha%22%5D%7D' # {"label":["fdcs.tenant=alpha"]}
path() { # path REQUEST TARGET
  case "$1:$2" in
    ping:*) echo "/$API/_ping" ;;
    list:fdcs) echo "/$API/containers/json?all=1" ;;
    list:*) echo "/$API/containers/json?all=1&$LABEL_FILTER" ;;
    inspect_name:fdcs) echo "/$API/containers/web/json" ;;
    inspect_name:*) echo "/$API/containers/alpha_web/json" ;;
    inspect_prefix:*) echo "/$API/containers/$PREFIX/json" ;;
  esac
}
port() { case "$1" in direct) echo $P_DIRECT ;; haproxy) echo $P_HAPROXY ;; fdcs) echo $P_FDCS ;; esac; }

# every target answers every request with 200, and the lists agree
sanity() {
  local req tgt ids=() n=$1
  for req in ping list inspect_name inspect_prefix; do
    for tgt in direct haproxy fdcs; do
      fcurl -o /dev/null "http://127.0.0.1:$(port $tgt)$(path $req $tgt)" >/dev/null ||
        die "$tgt: $req is not answered with 2xx"
    done
  done
  for tgt in direct haproxy fdcs; do
    ids+=("$(fcurl "http://127.0.0.1:$(port $tgt)$(path list $tgt)" |
      python3 -c 'import json,sys,hashlib; l=json.load(sys.stdin); print(len(l), hashlib.sha256(" ".join(sorted(c["Id"] for c in l)).encode()).hexdigest()[:16])')")
  done
  [ "${ids[0]}" = "${ids[1]}" ] && [ "${ids[1]}" = "${ids[2]}" ] ||
    die "the three lists differ: ${ids[*]}"
  [ "${ids[0]%% *}" = "$n" ] || die "alpha should have $n containers, the lists hold ${ids[0]%% *}"
  fcurl "http://127.0.0.1:$P_FDCS$(path inspect_name fdcs)" | grep -qF "\"Id\":\"$WEB_ID\"" ||
    die "fdcs' inspect of web does not answer alpha_web"
}

warm() {
  local tgt
  for tgt in direct haproxy fdcs; do
    wrk -t 1 -c 4 -d 1s "http://127.0.0.1:$(port $tgt)$(path inspect_name $tgt)" \
      -H 'X-Auth-Token: alpha-token' -H 'X-Auth-TenantId: alpha' >/dev/null
  done
}

# The cycle's bodies: through fdcs the docker CLI 28's `docker run -d -P
# --name web busybox httpd -f -p 80` body as captured; direct and through
# HAProxy what fdcs forwards for it, read back from a container fdcs
# created with it (labels, exposed ports, the whole HostConfig: tenant
# network, limits, log options, cgroupns), so that all three create the
# same container
cycle_bodies() {
  python3 - "$root/fdcs-policy/tests/corpus/cli28/run-web.http" "$WORK/cycle-fdcs.json" <<'PY'
import sys
raw = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(raw.split(b"\r\n\r\n", 1)[1])
PY
  local out
  out=$(fcurl -X POST -H 'Content-Type: application/json' --data-binary "@$WORK/cycle-fdcs.json" \
    "http://127.0.0.1:$P_FDCS/$API/containers/create?name=cyctemplate") ||
    die "the cycle's create through fdcs: $out"
  D inspect alpha_cyctemplate | python3 -c '
import json, sys
c = json.load(sys.stdin)[0]
cfg = c["Config"]
body = {"Image": cfg["Image"], "Cmd": cfg["Cmd"], "Entrypoint": cfg["Entrypoint"],
        "Labels": cfg["Labels"], "ExposedPorts": cfg.get("ExposedPorts"), "HostConfig": c["HostConfig"]}
json.dump(body, open(sys.argv[1], "w"))
print("cycle body direct: network %s, labels %s" % (c["HostConfig"]["NetworkMode"], sorted(cfg["Labels"])), file=sys.stderr)
' "$WORK/cycle-direct.json"
  out=$(fcurl -X DELETE "http://127.0.0.1:$P_FDCS/$API/containers/cyctemplate?force=1") ||
    die "removing the cycle's template through fdcs: $out"
}

# measure_cycles SIZE CLIENTS: ROUNDS interleaved rounds of max(CYCLES,
# CLIENTS) create + start + remove cycles on each target
measure_cycles() {
  local n=$1 c=$2 r tgt out total scope body
  total=$((CYCLES > c ? CYCLES : c))
  for r in $(seq 1 "$ROUNDS"); do
    for tgt in direct haproxy fdcs; do
      if [ "$tgt" = fdcs ]; then
        scope="" body="$WORK/cycle-fdcs.json"
      else
        scope=alpha_ body="$WORK/cycle-direct.json"
      fi
      out=$(python3 "$root/benches/three_way_client.py" cycle "$(port "$tgt")" "$c" "$total" \
        "cyc${r}${tgt:0:1}c${c}_" "$scope" "$body") || die "the cycle client failed on $tgt"
      echo "$n,cycle,$tgt,$c,$r,$(echo "$out" | cut -d, -f1-6)" | tee -a "$RESULTS/runs.csv" >&2
      echo "$n,$tgt,$c,$r,$(echo "$out" | cut -d, -f7-9)" >>"$RESULTS/cycle_steps.csv"
      serve_log_rotate
    done
  done
}

# serve's RSS with IDLE client connections open and idle: each sent one
# /_ping and read its answer (so hyper holds its buffers), from 8 source
# addresses (serve caps connections per address at 256); read within a few
# seconds, well inside serve's 30 s keep-alive bound
rss_idle() {
  local st=/proc/$PIDS_SERVE/status line est
  echo "rss_before_idle_kib=$(awk '/^VmRSS/ {print $2}' "$st")" >>"$RESULTS/meta.txt"
  log "serve's RSS with $IDLE idle client connections"
  coproc IDLER { python3 "$root/benches/three_way_client.py" idle "$P_FDCS" "$IDLE" 8; }
  read -r -t 60 line <&"${IDLER[0]}" || line="open ?"
  sleep 1
  est=$(ss -Htn state established "( sport = :$P_FDCS )" | wc -l)
  {
    echo "idle_answered=${line#open }"
    echo "idle_established=$est"
    echo "rss_idle_kib=$(awk '/^VmRSS/ {print $2}' "$st")"
    echo "hwm_idle_kib=$(awk '/^VmHWM/ {print $2}' "$st")"
  } >>"$RESULTS/meta.txt"
  exec {IDLER[1]}>&-
  wait "$IDLER_PID" 2>/dev/null || true
  sleep 1
  echo "rss_after_idle_kib=$(awk '/^VmRSS/ {print $2}' "$st")" >>"$RESULTS/meta.txt"
  log "idle connections: ${line#open } answered, $est established at serve"
}

# measure SIZE REQUEST CLIENTS: ROUNDS interleaved rounds over the targets
measure() {
  local n=$1 req=$2 c=$3 r tgt t out
  t=$((c < 2 ? c : 2))
  for r in $(seq 1 "$ROUNDS"); do
    for tgt in direct haproxy fdcs; do
      out=$(wrk -t "$t" -c "$c" -d "${DURATION}s" --timeout 30s --latency \
        -H 'X-Auth-Token: alpha-token' -H 'X-Auth-TenantId: alpha' \
        "http://127.0.0.1:$(port "$tgt")$(path "$req" "$tgt")")
      echo "$out" | awk -v pre="$n,$req,$tgt,$c,$r" '
        function us(v) {
          if (v ~ /us$/) return v + 0
          if (v ~ /ms$/) return v * 1000
          if (v ~ /m$/) return v * 60000000
          if (v ~ /s$/) return v * 1000000
          return v
        }
        /^ +50%/ { p50 = us($2) }
        /^ +99%/ { p99 = us($2) }
        /^Requests\/sec:/ { rps = $2 }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { gsub(/,/, ""); errors = $4 + $6 + $8 + $10 }
        / requests in / { requests = $1 }
        END { printf "%s,%.1f,%.1f,%.1f,%d,%d,%d\n", pre, rps, p50, p99, non2xx, errors, requests }
      ' | tee -a "$RESULTS/runs.csv" >&2
      serve_log_rotate
    done
  done
}

inner_cleanup() {
  local rc=$?
  set +e
  log "cleaning up"
  # alpha's running web first, so that dockerd need not wait for it
  [ -n "$PID_DOCKERD" ] && curl -s -m 10 -o /dev/null -X POST --unix-socket "$WORK/d.sock" \
    "http://d/$API/containers/alpha_web/kill" 2>/dev/null
  stop_pid "$PIDS_SERVE" 10
  stop_pid "$PID_HAPROXY" 10
  stop_pid "$PID_DOCKERD" 40
  # its containerd, if dockerd could not stop it
  if [ -s "$WORK/exec/containerd/containerd.pid" ]; then
    stop_pid "$(cat "$WORK/exec/containerd/containerd.pid")" 10
  fi
  # what dockerd mounted lives only in this mount namespace; unmount it so
  # that the dirs can be removed (deepest first)
  awk -v w="$WORK" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m"; done
  rm -rf --one-file-system "$WORK/data" "$WORK/exec" "$WORK/d.sock"
  exit "$rc"
}

stop_pid() { # stop_pid PID SECONDS: TERM, then KILL
  local pid=$1 limit=$2 start=$SECONDS
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - start)) -lt "$limit" ]; do sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# ------------------------------------------------------------------ summary
summarize() {
  BETA="$BETA" IDLE="$IDLE" RESULTS="$RESULTS" PLOT="$PLOT" VENV="$WORK/venv" python3 - <<'PY'
import csv, os, statistics, subprocess
res = os.environ["RESULTS"]
rows = list(csv.DictReader(open(os.path.join(res, "runs.csv"))))
meta = dict(l.rstrip("\n").split("=", 1) for l in open(os.path.join(res, "meta.txt")) if "=" in l)
groups = {}
for r in rows:
    groups.setdefault((int(r["size"]), r["request"], int(r["clients"]), r["target"]), []).append(r)
med = {}
with open(os.path.join(res, "summary.csv"), "w") as f:
    f.write("size,request,clients,target,rounds,rps,p50_us,p99_us,non2xx,errors,requests\n")
    for k, rs in sorted(groups.items()):
        m = {x: statistics.median(float(r[x]) for r in rs) for x in ("rps", "p50_us", "p99_us", "requests")}
        m["non2xx"] = sum(int(r["non2xx"]) for r in rs)
        m["errors"] = sum(int(r["errors"]) for r in rs)
        # fewer than 2 completed requests per connection: wrk's run ended
        # with most requests still waiting; rps is then a lower bound and the
        # latencies those of the requests that made it
        m["short"] = m["requests"] < 2 * k[2] and k[1] != "cycle"
        med[k] = m
        f.write("%d,%s,%d,%s,%d,%.1f,%.1f,%.1f,%d,%d,%d\n" % (k + (len(rs), m["rps"], m["p50_us"], m["p99_us"], m["non2xx"], m["errors"], m["requests"])))

def rps(m):
    v = m["rps"]
    s = "%.1fk" % (v / 1000) if v >= 10000 else "%.0f" % v if v >= 10 else "%.1f" % v
    return s + ("\\*" if m["short"] else "")
def ratio(a, b): return "%.2f" % (a / b) if a / b >= 0.1 else "%.4f" % (a / b)
def lat(us):
    if us <= 0: return "–"
    if us >= 1000000: return "%.2f s" % (us / 1000000)
    if us >= 10000: return "%.1f ms" % (us / 1000)
    if us >= 1000: return "%.2f ms" % (us / 1000)
    return "%.0f µs" % us
names = {"ping": "`GET /_ping`", "list": "`GET /containers/json?all=1` (direct, HAProxy: + owner-label filter)",
         "inspect_name": "`GET /containers/web/json` (direct, HAProxy: `alpha_web`)",
         "inspect_prefix": "`GET /containers/<12-hex prefix>/json`",
         "cycle": "create + start + remove cycle (`docker run -d -P` body; rps: cycles/s)"}
sizes = sorted({k[0] for k in med})
big = max(sizes)
print("### The three targets (engine: beta %s containers, alpha as shown)\n" % os.environ.get("BETA", "100"))
print("| request | alpha's containers | clients | direct rps | HAProxy rps | fdcs rps | fdcs / direct | fdcs / HAProxy | p50 direct / HAProxy / fdcs | p99 direct / HAProxy / fdcs | added p50 (fdcs − direct) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
short = False
for req in ("ping", "list", "inspect_name", "inspect_prefix", "cycle"):
    keys = sorted({(k[0], k[2]) for k in med if k[1] == req})
    if req == "inspect_name":
        keys = [(n, c) for n, c in keys if n == big]
    for n, c in sorted(keys, key=lambda x: (x[1], x[0])):
        d, h, x = (med.get((n, req, c, t)) for t in ("direct", "haproxy", "fdcs"))
        if not (d and h and x): continue
        short = short or d["short"] or h["short"] or x["short"]
        print("| %s | %d | %d | %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s | %s |" % (
            names[req], n, c, rps(d), rps(h), rps(x), ratio(x["rps"], d["rps"]), ratio(x["rps"], h["rps"]),
            lat(d["p50_us"]), lat(h["p50_us"]), lat(x["p50_us"]), lat(d["p99_us"]), lat(h["p99_us"]), lat(x["p99_us"]),
            ("+" if x["p50_us"] >= d["p50_us"] else "−") + lat(abs(x["p50_us"] - d["p50_us"]))))
if short:
    print("\n\\* fewer than 2 requests per connection completed within the run (median of the rounds):"
          " the run ended with most requests still waiting, so the true rate lies between this figure and"
          " (completed + clients) / duration, and the latencies are those of the requests that completed (– if none did).")
print("\n### Inspect by name, 1 client, as alpha's container count grows\n")
print("| alpha's containers | direct p50 | HAProxy p50 | fdcs p50 | fdcs rps | fdcs rps / direct rps |")
print("|---|---|---|---|---|---|")
for n in sizes:
    d, h, x = (med.get((n, "inspect_name", 1, t)) for t in ("direct", "haproxy", "fdcs"))
    if d and h and x:
        print("| %d | %s | %s | %s | %s | %s |" % (n, lat(d["p50_us"]), lat(h["p50_us"]), lat(x["p50_us"]), rps(x), ratio(x["rps"], d["rps"])))
steps_path = os.path.join(res, "cycle_steps.csv")
steps = list(csv.DictReader(open(steps_path))) if os.path.exists(steps_path) else []
if steps:
    sg = {}
    for r in steps:
        sg.setdefault((int(r["size"]), int(r["clients"]), r["target"]), []).append(r)
    print("\n### Create + start + remove: p50 of each step (median of the rounds)\n")
    print("| alpha's containers | clients | create direct / HAProxy / fdcs | start direct / HAProxy / fdcs | remove direct / HAProxy / fdcs |")
    print("|---|---|---|---|---|")
    for n, c in sorted({(k[0], k[1]) for k in sg}):
        cells = []
        for step in ("create_p50_us", "start_p50_us", "remove_p50_us"):
            cells.append(" / ".join(lat(statistics.median(float(r[step]) for r in sg.get((n, c, t), [{step: 0}])))
                                    for t in ("direct", "haproxy", "fdcs")))
        print("| %d | %d | %s |" % (n, c, " | ".join(cells)))
bad = [(k, m) for k, m in med.items() if m["non2xx"] or m["errors"]]
print("\nserve RSS after the run: %s MiB (peak %s MiB); non-2xx or socket errors: %s" % (
    "%.1f" % (int(meta.get("rss_kib", 0)) / 1024), "%.1f" % (int(meta.get("hwm_kib", 0)) / 1024),
    ", ".join("%s %s c=%d %s: %d/%d" % (k[1], k[3], k[2], k[0], m["non2xx"], m["errors"]) for k, m in bad) or "none"))
if "rss_idle_kib" in meta:
    mib = lambda k: "%.1f" % (int(meta.get(k) or 0) / 1024) if (meta.get(k) or "").isdigit() else "?"
    print("serve RSS with %s idle client connections (%s answered, %s established at serve): %s MiB"
          " (before them %s MiB, after they closed %s MiB; peak of the whole run %s MiB)" % (
              os.environ.get("IDLE", "256"), meta.get("idle_answered"), meta.get("idle_established"),
              mib("rss_idle_kib"), mib("rss_before_idle_kib"), mib("rss_after_idle_kib"), mib("hwm_idle_kib")))
print("load average before %s, after %s; %s" % (meta.get("loadavg_before"), meta.get("loadavg_after"), meta.get("settings")))

# the plot: inspect-by-name p50 vs alpha's container count
pts = {t: [(n, med[(n, "inspect_name", 1, t)]["p50_us"] / 1000) for n in sizes if (n, "inspect_name", 1, t) in med]
       for t in ("direct", "haproxy", "fdcs")}
png = os.path.join(res, "scaling.png")
label = {"direct": "direct dockerd (TCP)", "haproxy": "HAProxy 2.6 (TCP mode)", "fdcs": "fdcs-policy serve"}
title = "Inspect by name, 1 client: p50 vs the tenant's containers\n(commit %s, %s)" % (meta.get("commit", "")[:10], meta.get("date_utc", ""))
if os.environ.get("PLOT") == "matplotlib":
    code = """
import sys, json, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
pts, label, title, png = json.loads(sys.stdin.read())
fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
for t, style in (("direct", "o-"), ("haproxy", "s-"), ("fdcs", "^-")):
    xs = [p[0] for p in pts[t]]; ys = [p[1] for p in pts[t]]
    ax.plot(xs, ys, style, label=label[t])
    for x, y in zip(xs, ys):
        ax.annotate("%.2f" % y if y < 10 else "%.0f" % y, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("alpha's containers on the engine (log)"); ax.set_ylabel("p50 latency, ms (log)")
ax.set_title(title, fontsize=10); ax.grid(True, which="both", alpha=0.3); ax.legend()
fig.tight_layout(); fig.savefig(png)
"""
    import json
    subprocess.run([os.path.join(os.environ["VENV"], "bin", "python"), "-c", code],
                   input=json.dumps([pts, label, title, png]), text=True, check=True)
elif os.environ.get("PLOT") == "gnuplot":
    dat = os.path.join(res, "scaling.dat")
    with open(dat, "w") as f:
        for t in ("direct", "haproxy", "fdcs"):
            f.write("# %s\n" % t)
            for n, y in pts[t]: f.write("%d %f\n" % (n, y))
            f.write("\n\n")
    script = ('set terminal pngcairo size 770,500; set output "%s"; set logscale xy; set grid;'
              'set title "%s"; set xlabel "alpha\'s containers (log)"; set ylabel "p50, ms (log)";'
              'set key top left; plot "%s" index 0 w lp t "%s", "" index 1 w lp t "%s", "" index 2 w lp t "%s"'
              % (png, title.replace("\n", " "), dat, label["direct"], label["haproxy"], label["fdcs"]))
    subprocess.run(["gnuplot", "-e", script], check=True)
PY
}

if [ "${1:-}" = __inner ]; then
  inner
else
  outer
fi
