#!/usr/bin/env python3
"""Load client for benches/identity.sh: the same request, the same client,
through serve under each way of saying who one is.

  identity_client.py PORT CLIENTS SECONDS [--tls CA CERT KEY] [--header K:V]...

CLIENTS threads, each on one keep-alive connection (TCP_NODELAY; TLS with
the client certificate when --tls is given), send GET /v1.41/_ping for
SECONDS and record each answer's latency. Any status but 200 counts as a
failure. Prints one CSV line: requests_per_s,p50_us,p99_us,completed,failed.
Standard library only; the client costs the same in every mode, so compare
modes measured in one run, not absolute figures.
"""

import http.client
import socket
import ssl
import sys
import threading
import time

PATH = "/v1.41/_ping"


class Conn(http.client.HTTPConnection):
    def connect(self):
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class TlsConn(http.client.HTTPSConnection):
    def connect(self):
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def worker(port, seconds, tls, headers, out):
    if tls:
        ca, cert, key = tls
        ctx = ssl.create_default_context(cafile=ca)
        ctx.load_cert_chain(cert, key)
        conn = TlsConn("127.0.0.1", port, context=ctx, timeout=30)
    else:
        conn = Conn("127.0.0.1", port, timeout=30)
    lat, failed = [], 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter_ns()
        try:
            conn.request("GET", PATH, headers=headers)
            r = conn.getresponse()
            r.read()
            ok = r.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
        t1 = time.perf_counter_ns()
        if ok:
            lat.append(t1 - t0)
        else:
            failed += 1
    conn.close()
    out.append((lat, failed))


def main(argv):
    port, clients, seconds = int(argv[1]), int(argv[2]), float(argv[3])
    tls, headers, i = None, {}, 4
    while i < len(argv):
        if argv[i] == "--tls":
            tls = (argv[i + 1], argv[i + 2], argv[i + 3])
            i += 4
        elif argv[i] == "--header":
            k, v = argv[i + 1].split(":", 1)
            headers[k] = v
            i += 2
        else:
            sys.exit(f"unknown argument {argv[i]}")
    out = []
    threads = [
        threading.Thread(target=worker, args=(port, seconds, tls, headers, out))
        for _ in range(clients)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    lat = sorted(x for l, _ in out for x in l)
    failed = sum(f for _, f in out)
    if not lat:
        print(f"0,0,0,0,{failed}")
        return

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] / 1000

    print(f"{len(lat) / elapsed:.0f},{pct(0.5):.0f},{pct(0.99):.0f},{len(lat)},{failed}")


if __name__ == "__main__":
    main(sys.argv)
