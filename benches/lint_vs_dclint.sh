#!/usr/bin/env bash
# Lint the compose corpus (tests/compose) with `fdcs-policy lint` and with
# dclint (npm package `dclint`), in one run, and print both figures and the
# ratio. DESIGN.md's budget: fdcs-policy at least 20x faster.
#
# Not run in CI: it installs dclint from npm into a temporary directory.
# Needs: cargo, npm/node; hyperfine if available (apt-get install hyperfine),
# otherwise a plain timing loop is used.
#
# Usage: benches/lint_vs_dclint.sh [RUNS]     (default 20)
#        FDCS_POLICY_BIN=path/to/fdcs-policy benches/lint_vs_dclint.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# FDCS_POLICY_BIN: use an already built binary instead of building one
fdcs=${FDCS_POLICY_BIN:-}
if [ -z "$fdcs" ]; then
  echo "== building fdcs-policy (release)" >&2
  cargo build --release -q -p fdcs-cli --manifest-path "$root/Cargo.toml"
  fdcs="${CARGO_TARGET_DIR:-$root/target}/release/fdcs-policy"
fi

echo "== installing dclint into $tmp" >&2
npm install --prefix "$tmp" --no-audit --no-fund --silent dclint >&2
dclint="$tmp/node_modules/.bin/dclint"
"$dclint" --version >&2 || true

# the same files for both tools: every compose file of the corpus
mapfile -t files < <(find "$root/tests/compose" -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
echo "== ${#files[@]} compose files" >&2

# both exit non-zero when they find something; only time them
fdcs_cmd="$fdcs lint --format json ${files[*]} >/dev/null 2>&1 || true"
dclint_cmd="$dclint ${files[*]} >/dev/null 2>&1 || true"

if command -v hyperfine >/dev/null; then
  # hyperfine runs each through a shell and subtracts the shell's own start-up
  hyperfine --warmup 3 --runs "$runs" --export-json "$tmp/h.json" \
    -n fdcs-policy "$fdcs_cmd" -n dclint "$dclint_cmd" >&2
  python3 - "$tmp/h.json" "${#files[@]}" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
f, d = r["fdcs-policy"], r["dclint"]
print(f"files: {sys.argv[2]}")
print(f"fdcs-policy lint: mean {f['mean']*1e3:.2f} ms (median {f['median']*1e3:.2f} ms, ±{f['stddev']*1e3:.2f})")
print(f"dclint:           mean {d['mean']*1e3:.2f} ms (median {d['median']*1e3:.2f} ms, ±{d['stddev']*1e3:.2f})")
print(f"ratio (dclint / fdcs-policy, medians): {d['median']/f['median']:.1f}x")
PY
else
  t() { local s e; s=$(date +%s%N); for _ in $(seq "$runs"); do bash -c "$1"; done; e=$(date +%s%N); echo $(( (e - s) / runs / 1000 )); }
  bash -c "$fdcs_cmd"; bash -c "$dclint_cmd"   # warm up
  f=$(t "$fdcs_cmd"); d=$(t "$dclint_cmd")
  echo "files: ${#files[@]}"
  echo "fdcs-policy lint: mean $((f / 1000)).$(( (f % 1000) / 10 )) ms"
  echo "dclint:           mean $((d / 1000)).$(( (d % 1000) / 10 )) ms"
  python3 -c "print(f'ratio (dclint / fdcs-policy, means): {$d/$f:.1f}x')"
fi
