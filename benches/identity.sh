#!/usr/bin/env bash
# Identity benchmark (issue 12 item 6): what each way of saying who one is
# costs a request through `fdcs-policy serve`, measured side by side in one
# run with one client (benches/identity_client.py), against the machine's
# dockerd (GET /v1.41/_ping, which serve forwards):
#
#   tenants      plain HTTP, the tenants file's token (SHA-256, constant time)
#   keystone     plain HTTP, a Keystone token with a warm cache (one
#                validation, then --keystone-cache-ttl 300 s of hits)
#   tls-headers  TLS with a client certificate that names nobody (the
#                tenants file maps none): the headers identify, as before
#   tls-cert     TLS with a client certificate that is the tenant (CN):
#                no headers
#
# tenants vs keystone is the cost of a cached Keystone token; tls-headers vs
# tls-cert the cost of certificate identity (both pay TLS); tenants vs
# tls-headers the cost of TLS.
#
# Usage (as root, NOT in CI; needs the Keystone of tests/keystone/up.sh,
# started here when it does not answer, and openssl):
#
#   benches/identity.sh                # CLIENTS="1 16", 5 s runs, 3 rounds
#
# Settings: FDCS_POLICY_BIN (default: cargo build --release -p fdcs-cli of the
# working tree, target dir $CARGO_TARGET_DIR or target/), CLIENTS, DURATION,
# ROUNDS, KS_URL (default http://127.0.0.1:5055), RESULTS (default
# target/identity/<UTC time>). Prints each run and the medians; writes them
# as CSV to $RESULTS. Everything it starts is stopped on exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLIENTS="${CLIENTS:-1 16}"
DURATION="${DURATION:-5}"
ROUNDS="${ROUNDS:-3}"
KS_URL="${KS_URL:-http://127.0.0.1:5055}"
RESULTS="${RESULTS:-$root/target/identity/$(date -u +%Y%m%dT%H%M%SZ)}"
UPSTREAM="${UPSTREAM:-unix:///var/run/docker.sock}"
mkdir -p "$RESULTS"
work="$(mktemp -d /tmp/fdcs-identity-bench.XXXXXX)"
pids=()

log() { printf '==> %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${FDCS_POLICY_BIN:-}" ]; then
  log "building (cargo build --release -p fdcs-cli)"
  (cd "$root" && cargo build --release -p fdcs-cli >&2)
  FDCS_POLICY_BIN="${CARGO_TARGET_DIR:-$root/target}/release/fdcs-policy"
fi
[ -x "$FDCS_POLICY_BIN" ] || die "no binary at $FDCS_POLICY_BIN"

if ! python3 -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1]+"/v3", timeout=2)' "$KS_URL" 2>/dev/null; then
  log "starting Keystone (tests/keystone/up.sh)"
  bash "$root/tests/keystone/up.sh" up >&2
fi

# certificates: a CA, the server's, one client that is alpha (CN=alpha)
(
  cd "$work"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=fdcs-bench-ca 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=alpha 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2 -extfile client.ext 2>/dev/null
)
printf 'tenants:\n  - id: alpha\n    tokens: [alpha-token]\n' >"$work/tokens.yaml"
printf 'tenants:\n  - id: alpha\n    certificates: [{cn: alpha}]\n' >"$work/certs.yaml"
printf 'svcpw\n' >"$work/svc.pw"

# alice's token for project alpha (provision.py's users)
token_json="$(python3 - "$KS_URL" <<'PY'
import json, sys, urllib.request
url = sys.argv[1] + "/v3/auth/tokens"
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": "alice", "domain": {"id": "default"}, "password": "alicepw"}}},
    "scope": {"project": {"name": "alpha", "domain": {"id": "default"}}}}}
req = urllib.request.Request(url, data=json.dumps(body).encode(),
                             headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req) as r:
    print(json.dumps({"token": r.headers["X-Subject-Token"],
                      "project": json.load(r)["token"]["project"]["id"]}))
PY
)"
KS_TOKEN="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["token"])' "$token_json")"
KS_PROJECT="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["project"])' "$token_json")"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# serve MODE ARGS... : starts one serve, records its port in port_<mode>
serve() {
  local mode="$1"; shift
  local port; port="$(free_port)"
  FDCS_LOG=warn "$FDCS_POLICY_BIN" serve --listen "tcp://127.0.0.1:$port" --upstream "$UPSTREAM" \
    --tenant-rate 0 --tenant-concurrency 0 --max-connections-per-address 0 "$@" \
    >"$work/serve-$mode.log" 2>&1 &
  pids+=("$!")
  printf -v "port_${mode//-/_}" '%s' "$port"
}
serve tenants --tenants "$work/tokens.yaml"
serve keystone --tenants "$work/tokens.yaml" --keystone-url "$KS_URL" --keystone-user svc \
  --keystone-password-file "$work/svc.pw" --keystone-project service --keystone-cache-ttl 300
tls=(--tls-cert "$work/server.pem" --tls-key "$work/server-key.pem" --tls-client-ca "$work/ca.pem")
serve tls-headers --tenants "$work/tokens.yaml" "${tls[@]}"
serve tls-cert --tenants "$work/certs.yaml" "${tls[@]}"
sleep 1

client() { # MODE CLIENTS SECONDS
  local mode="$1" n="$2" s="$3" port_var="port_${1//-/_}"
  local port="${!port_var}"
  case "$mode" in
  tenants) python3 "$root/benches/identity_client.py" "$port" "$n" "$s" \
      --header X-Auth-Token:alpha-token --header X-Auth-TenantId:alpha ;;
  keystone) python3 "$root/benches/identity_client.py" "$port" "$n" "$s" \
      --header "X-Auth-Token:$KS_TOKEN" --header "X-Auth-TenantId:$KS_PROJECT" ;;
  tls-headers) python3 "$root/benches/identity_client.py" "$port" "$n" "$s" \
      --tls "$work/ca.pem" "$work/cert.pem" "$work/key.pem" \
      --header X-Auth-Token:alpha-token --header X-Auth-TenantId:alpha ;;
  tls-cert) python3 "$root/benches/identity_client.py" "$port" "$n" "$s" \
      --tls "$work/ca.pem" "$work/cert.pem" "$work/key.pem" ;;
  esac
}

modes="tenants keystone tls-headers tls-cert"
# every mode answers 200 before anything is measured (and Keystone's cache warms)
for m in $modes; do
  line="$(client "$m" 1 0.3)"
  case "$line" in
  0,*) die "$m answers no 200 (serve log: $(tail -n 3 "$work/serve-$m.log"))" ;;
  *,0) ;;
  *) die "$m: some requests failed: $line" ;;
  esac
done

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -r)"
  echo "fdcs: $("$FDCS_POLICY_BIN" --version 2>&1 | head -1)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} | tee "$RESULTS/meta.txt" >&2

echo "mode,clients,round,requests_per_s,p50_us,p99_us,completed,failed" >"$RESULTS/runs.csv"
for n in $CLIENTS; do
  for r in $(seq 1 "$ROUNDS"); do
    for m in $modes; do
      line="$(client "$m" "$n" "$DURATION")"
      echo "$m,$n,$r,$line" | tee -a "$RESULTS/runs.csv" >&2
    done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS/meta.txt" >&2

python3 - "$RESULTS/runs.csv" <<'PY' | tee "$RESULTS/medians.csv"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("mode,clients,requests_per_s,p50_us,p99_us,failed")
seen = []
for r in rows:
    k = (r["mode"], r["clients"])
    if k not in seen:
        seen.append(k)
for mode, n in seen:
    rs = [r for r in rows if (r["mode"], r["clients"]) == (mode, n)]
    med = lambda f: statistics.median(float(r[f]) for r in rs)
    print(f"{mode},{n},{med('requests_per_s'):.0f},{med('p50_us'):.0f},{med('p99_us'):.0f},"
          f"{sum(int(r['failed']) for r in rs)}")
PY
log "results in $RESULTS"
