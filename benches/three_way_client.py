#!/usr/bin/env python3
"""Load clients for benches/three_way.sh that wrk cannot be.

  cycle  PORT CLIENTS CYCLES PREFIX SCOPE BODY_FILE
         CLIENTS threads, each on one keep-alive connection, share CYCLES
         create + start + remove cycles of a container named PREFIX<w>_<i>
         (SCOPE is prepended to the name in the paths: "" through fdcs, which
         scopes it itself, "alpha_" direct and through HAProxy). A cycle is
         POST /containers/create?name=... (201, its Id) -> POST
         /containers/<Id>/start (204) -> DELETE /containers/<name>?force=1
         (204), as `docker run -d` then `docker rm -f NAME` send them. Prints
         one CSV line: cycles_per_s,p50_us,p99_us,failed,errors,completed,
         create_p50_us,start_p50_us,remove_p50_us.
  idle   PORT COUNT ADDRESSES
         COUNT connections to 127.0.0.1:PORT from ADDRESSES source addresses
         (127.0.1.1, 127.0.1.2, ...: the proxy caps connections per client
         address), each sends one GET /v1.41/_ping and reads its answer, then
         stays open and idle until stdin closes. Prints "open N" once all are
         open (N: how many answered 200), then waits.

Every request carries tenant alpha's credentials (as wrk's do, to all three
targets). Standard library only.
"""

import http.client
import json
import math
import socket
import sys
import threading
import time

API = "/v1.41"
HEADERS = {"X-Auth-Token": "alpha-token", "X-Auth-TenantId": "alpha"}


class Conn(http.client.HTTPConnection):
    """Keep-alive, with TCP_NODELAY: http.client writes a request's head and
    body in two sends, which Nagle and delayed ACKs would hold ~40 ms."""

    def connect(self):
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def pct(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, math.ceil(p / 100.0 * len(v)) - 1))
    return v[k]


def cycle(port, clients, cycles, prefix, scope, body_file):
    body = open(body_file, "rb").read()
    lock = threading.Lock()
    totals, steps = [], {"create": [], "start": [], "remove": []}
    failed = [0]
    errors = [0]

    def worker(w):
        conn = Conn("127.0.0.1", port, timeout=120)

        def call(method, path, data=None):
            nonlocal conn
            h = dict(HEADERS)
            if data is not None:
                h["Content-Type"] = "application/json"
            try:
                conn.request(method, API + path, body=data, headers=h)
                r = conn.getresponse()
                return r.status, r.read()
            except (OSError, http.client.HTTPException):
                with lock:
                    errors[0] += 1
                conn.close()
                conn = Conn("127.0.0.1", port, timeout=120)
                return 0, b""

        for i in range(w, cycles, clients):
            name = "%s%d_%d" % (prefix, w, i)
            t0 = time.perf_counter()
            st, out = call("POST", "/containers/create?name=%s%s" % (scope, name), body)
            t1 = time.perf_counter()
            ok = st == 201
            if ok:
                cid = json.loads(out)["Id"]
                st, out = call("POST", "/containers/%s/start" % cid)
                ok = st == 204
            t2 = time.perf_counter()
            st, out = call("DELETE", "/containers/%s%s?force=1" % (scope, name))
            t3 = time.perf_counter()
            ok = ok and st == 204
            with lock:
                if ok:
                    totals.append(t3 - t0)
                    steps["create"].append(t1 - t0)
                    steps["start"].append(t2 - t1)
                    steps["remove"].append(t3 - t2)
                else:
                    failed[0] += 1
                    if failed[0] <= 3:
                        sys.stderr.write("cycle %s failed: %s %s\n" % (name, st, out[:300]))
        conn.close()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    us = lambda xs, p: pct(xs, p) * 1e6 if xs else 0.0
    print("%.2f,%.1f,%.1f,%d,%d,%d,%.1f,%.1f,%.1f" % (
        len(totals) / wall, us(totals, 50), us(totals, 99), failed[0], errors[0], len(totals),
        us(steps["create"], 50), us(steps["start"], 50), us(steps["remove"], 50)))


def idle(port, count, addresses):
    socks, ok = [], 0
    req = ("GET %s/_ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: alpha-token\r\n"
           "X-Auth-TenantId: alpha\r\n\r\n" % API).encode()
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.1.%d" % (1 + i % addresses), 0))
        s.settimeout(30)
        s.connect(("127.0.0.1", port))
        s.sendall(req)
        socks.append(s)
    for s in socks:
        # the answer to a ping is small: its head and "OK" come in one read
        # or two; read until the body (Content-Length 2) is in
        data = b""
        try:
            while b"\r\n\r\n" not in data or not data.endswith(b"OK"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        if data.startswith(b"HTTP/1.1 200"):
            ok += 1
    print("open %d" % ok, flush=True)
    sys.stdin.read()  # hold them until the caller closes our stdin
    for s in socks:
        s.close()


if __name__ == "__main__":
    a = sys.argv[1:]
    if a and a[0] == "cycle" and len(a) == 7:
        cycle(int(a[1]), int(a[2]), int(a[3]), a[4], a[5], a[6])
    elif a and a[0] == "idle" and len(a) == 4:
        idle(int(a[1]), int(a[2]), int(a[3]))
    else:
        sys.exit(__doc__)
