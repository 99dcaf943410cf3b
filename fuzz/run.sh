#!/bin/sh
# Runs one fuzz target for $2 seconds (default 600) on its seeded corpus, as
# one low-priority process: `fuzz/run.sh create 600`. Seed first with
# `python3 fuzz/seed.py`. -jobs=1 -workers=1: libFuzzer runs one worker,
# whose log (the figures) ends up in fuzz/logs/<target>.log; crashes go to
# fuzz/artifacts/<target>/. The binary is run directly, not through
# `cargo fuzz run`, which after a crash rebuilds everything to print it.
set -u
cd "$(dirname "$0")"
t=$1
secs=${2:-600}
mkdir -p "corpus/$t" "artifacts/$t" logs
rm -f fuzz-0.log
# --sanitizer none: the crates are safe Rust (forbid(unsafe_code)), so
# AddressSanitizer finds nothing there and would halve the speed;
# overflow checks and debug assertions stay on (Cargo.toml).
# FUZZ_NO_BUILD=1: run the binary built last (in a shared checkout, others'
# edits would otherwise rebuild the crates before every run)
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
    nice -n 10 cargo +nightly fuzz build --sanitizer none "$t" >"logs/$t.build.log" 2>&1 || exit 2
fi
nice -n 10 "target/x86_64-unknown-linux-gnu/release/$t" "corpus/$t" \
    -artifact_prefix="artifacts/$t/" -max_total_time="$secs" -jobs=1 -workers=1 \
    -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    >"logs/$t.driver.log" 2>&1
rc=$?
mv -f fuzz-0.log "logs/$t.log" 2>/dev/null
echo "exit $rc" >>"logs/$t.log"
exit $rc
