#!/bin/sh
# The `busybox:latest` image the end-to-end suite and the README's examples
# expect, built from the static /bin/busybox (Debian's busybox-static) with
# `docker import`, as no registry is reachable in CI. One recipe for
# `.ci/run setup` and for the test harness (tests/src/engine.rs
# `ensure_busybox`), so that the image the harness checks is the one
# `.ci/run` builds.
#
# What the suite relies on, and why:
#   EXPOSE 80       `run -P` counts and publishes the image's ports
#                   (anonymous_volumes.rs, bounds.ports)
#   CMD ["sh"]      `docker run -it busybox` without a command
#   /index.html     `httpd -f -p 80` serves a page at /
#   /tmp, 1777      `docker cp` into /tmp, writable for any user
#   /etc/passwd     a root user (`--user root`, `id`)
#   every applet    `docker run busybox sleep|cat|true|...`: exec'd directly,
#                   so each must be a file on PATH, not only a shell builtin
#
# Usage: busybox.sh check|import DOCKER_COMMAND...
#   check   prints what busybox:latest lacks, one item a line; exit 0 when
#           it lacks nothing, 1 when it lacks something, 2 when it is absent
#   import  imports busybox:latest from /bin/busybox (replacing the tag)
# DOCKER_COMMAND is the docker CLI with its options, e.g.
# `docker --config DIR -H unix:///var/run/docker.sock`. BUSYBOX_IMAGE
# names another image to check or import (default busybox:latest).
set -eu

IMAGE="${BUSYBOX_IMAGE:-busybox:latest}"

# Runs inside the image: prints one line per missing item.
INSIDE='
[ -f /index.html ] || echo "/index.html (what httpd -f -p 80 serves)"
{ [ -d /tmp ] && [ -k /tmp ] && [ -w /tmp ]; } || echo "/tmp with mode 1777"
grep -q "^root:" /etc/passwd 2>/dev/null || echo "/etc/passwd with root"
n=0 some=
for a in $(busybox --list); do
    [ "$a" = busybox ] && continue
    found=
    for d in /bin /sbin /usr/bin /usr/sbin; do
        [ -e "$d/$a" ] && found=1 && break
    done
    [ -n "$found" ] && continue
    n=$((n + 1))
    [ "$n" -gt 5 ] || some="$some $a"
done
[ "$n" = 0 ] || echo "$n busybox applets as files on PATH (missing:$some ...)"
'

check() {
    if ! "$@" image inspect "$IMAGE" >/dev/null 2>&1; then
        echo "no image $IMAGE"
        return 2
    fi
    lacks=""
    ports="$("$@" image inspect --format '{{json .Config.ExposedPorts}}' "$IMAGE")"
    [ "$ports" = '{"80/tcp":{}}' ] || lacks="${lacks}EXPOSE 80 (ExposedPorts: $ports)
"
    cmd="$("$@" image inspect --format '{{json .Config.Cmd}}' "$IMAGE")"
    [ "$cmd" = '["sh"]' ] || lacks="${lacks}CMD [\"sh\"] (Cmd: $cmd)
"
    if inside="$("$@" run --rm --network none --entrypoint sh "$IMAGE" -c "$INSIDE" 2>&1)"; then
        [ -z "$inside" ] || lacks="${lacks}${inside}
"
    else
        lacks="${lacks}a working sh: $inside
"
    fi
    if [ -n "$lacks" ]; then
        printf '%s' "$lacks"
        return 1
    fi
    return 0
}

import() {
    [ -x /bin/busybox ] || {
        echo "no /bin/busybox to build $IMAGE from (apt-get install busybox-static)" >&2
        return 1
    }
    dir="$(mktemp -d)"
    trap 'rm -rf "$dir"' EXIT
    mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/www"
    chmod 1777 "$dir/tmp"
    cp /bin/busybox "$dir/bin/busybox"
    for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
    echo '<html><body>fdcs busybox</body></html>' >"$dir/index.html"
    cp "$dir/index.html" "$dir/www/index.html"
    tar -c -C "$dir" . | "$@" import \
        --change 'ENV PATH=/bin' \
        --change 'CMD ["sh"]' \
        --change 'EXPOSE 80' \
        - "$IMAGE" >/dev/null
}

what="${1:-}"
[ $# -gt 1 ] || {
    echo "usage: $0 check|import DOCKER_COMMAND..." >&2
    exit 2
}
shift
case "$what" in
check) check "$@" ;;
import) import "$@" ;;
*)
    echo "usage: $0 check|import DOCKER_COMMAND..." >&2
    exit 2
    ;;
esac
