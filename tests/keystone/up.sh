#!/usr/bin/env bash
# A throwaway Keystone for the Keystone end-to-end suite (tests/tests/keystone.rs):
# Debian's python3-keystone (bookworm: 22.0.2 "Zed"), SQLite, fernet tokens,
# the package's single-process server on 127.0.0.1 only.
#
# Usage: tests/keystone/up.sh [up|start|stop|status]   (default: up)
#   up      install python3-keystone when missing, create the database once,
#           start the server unless it answers already, then provision.py
#           (idempotent: running it again changes nothing)
#   start   start the server on the existing database (after stop)
#   stop    kill the server (its data stays)
#   status  exit 0 when it answers
# Environment: KS_DIR (default /tmp/fdcs-ci-keystone), KS_PORT (default 5055).
# The server's log is $KS_DIR/server.log; Keystone's own is $KS_DIR/log/.
set -euo pipefail
KS_DIR="${KS_DIR:-/tmp/fdcs-ci-keystone}"
KS_PORT="${KS_PORT:-5055}"
ADMIN_PW=adminpw
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
URL="http://127.0.0.1:$KS_PORT/v3"
PY=/usr/bin/python3

answers() {
    "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$URL" 2>/dev/null
}

stop() {
    local pid
    pid="$(cat "$KS_DIR/keystone.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$KS_DIR/keystone.pid"
}

start() {
    if answers; then return; fi
    stop
    # the package's wsgiref server: one process, 127.0.0.1 only
    OS_KEYSTONE_CONFIG_FILES="$KS_DIR/keystone.conf" setsid nohup \
        /usr/bin/keystone-wsgi-public --host 127.0.0.1 --port "$KS_PORT" \
        >>"$KS_DIR/server.log" 2>&1 </dev/null &
    echo $! >"$KS_DIR/keystone.pid"
    local i
    for i in $(seq 120); do
        if answers; then
            echo "keystone up at $URL after $((i / 2))s (pid $(cat "$KS_DIR/keystone.pid"), log $KS_DIR/server.log)" >&2
            return
        fi
        kill -0 "$(cat "$KS_DIR/keystone.pid")" 2>/dev/null || break
        sleep 0.5
    done
    echo "keystone did not answer at $URL within 60 s; last lines of $KS_DIR/server.log:" >&2
    tail -n 30 "$KS_DIR/server.log" >&2 || true
    exit 1
}

init() {
    [ -f "$KS_DIR/ready" ] && return
    rm -rf "$KS_DIR"
    mkdir -p "$KS_DIR"/{fernet-keys,credential-keys,log}
    cat >"$KS_DIR/keystone.conf" <<CONF
[DEFAULT]
log_dir = $KS_DIR/log
[database]
connection = sqlite:///$KS_DIR/keystone.db
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = $KS_DIR/fernet-keys
[fernet_receipts]
key_repository = $KS_DIR/fernet-keys
[credential]
key_repository = $KS_DIR/credential-keys
[cache]
enabled = true
backend = dogpile.cache.memory
CONF
    local km="keystone-manage --config-file $KS_DIR/keystone.conf"
    # each prints a harmless eventlet "Exception ignored" at exit; rc is 0
    $km db_sync 2>>"$KS_DIR/manage.log"
    "$PY" -c "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode=WAL')" "$KS_DIR/keystone.db"
    $km fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" 2>>"$KS_DIR/manage.log"
    $km credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" 2>>"$KS_DIR/manage.log"
    $km bootstrap --bootstrap-password "$ADMIN_PW" \
        --bootstrap-public-url "$URL/" --bootstrap-region-id RegionOne 2>>"$KS_DIR/manage.log"
    touch "$KS_DIR/ready"
}

case "${1:-up}" in
up)
    if ! dpkg -s python3-keystone >/dev/null 2>&1; then
        echo "installing python3-keystone" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends python3-keystone >/dev/null
    fi
    init
    start
    "$PY" "$HERE/provision.py" "$URL" "$ADMIN_PW" >"$KS_DIR/projects.env"
    cat "$KS_DIR/projects.env" >&2
    ;;
start) start ;;
stop) stop ;;
status) answers ;;
*)
    echo "usage: $0 [up|start|stop|status]" >&2
    exit 2
    ;;
esac
