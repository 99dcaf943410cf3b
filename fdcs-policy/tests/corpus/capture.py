#!/usr/bin/env python3
"""Logging proxy used to capture the corpus's real-client requests.

Listens on TCP, relays every connection to the Docker socket, and writes
each request the client sends (head and body, exactly as sent) to
OUT_DIR/NNNN-METHOD-path.http. Hijacked connections (attach, exec start,
Upgrade) are relayed unparsed after their request.

    python3 capture.py 127.0.0.1:23750 /tmp/capture [/var/run/docker.sock]
    docker -H tcp://127.0.0.1:23750 run -d -P --name web busybox httpd -f -p 80
"""
import itertools, os, re, socket, sys, threading

listen, out_dir = sys.argv[1], sys.argv[2]
upstream = sys.argv[3] if len(sys.argv) > 3 else "/var/run/docker.sock"
os.makedirs(out_dir, exist_ok=True)
counter = itertools.count(1)
lock = threading.Lock()


def save(raw, method, target):
    with lock:
        n = next(counter)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", target.split("?")[0]).strip("-")[:60]
    with open(os.path.join(out_dir, f"{n:04d}-{method}-{slug}.http"), "wb") as f:
        f.write(raw)


def relay(src, dst):
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def client_side(cli, up):
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                data = cli.recv(65536)
                if not data:
                    up.shutdown(socket.SHUT_WR)
                    return
                buf += data
            head, _, rest = buf.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target = lines[0].split(" ")[:2]
            hdrs = {}
            for l in lines[1:]:
                k, _, v = l.partition(":")
                hdrs[k.strip().lower()] = v.strip()
            if hdrs.get("transfer-encoding", "").lower() == "chunked":
                while not re.search(rb"(^|\r\n)0\r\n(.*\r\n)?\r\n", rest, re.S):
                    rest += cli.recv(65536)
                m = re.search(rb"(^|\r\n)0\r\n(.*?\r\n)?\r\n", rest, re.S)
                body, buf = rest[: m.end()], rest[m.end():]
            else:
                n = int(hdrs.get("content-length", "0"))
                while len(rest) < n:
                    rest += cli.recv(65536)
                body, buf = rest[:n], rest[n:]
            raw = head + b"\r\n\r\n" + body
            save(raw, method, target)
            up.sendall(raw)
            path = target.split("?")[0]
            if "upgrade" in hdrs or path.endswith("/attach") or re.search(r"/exec/[^/]+/start$", path):
                up.sendall(buf)
                relay(cli, up)
                return
    except OSError:
        pass


def handle(cli):
    up = socket.socket(socket.AF_UNIX)
    up.connect(upstream)
    t = threading.Thread(target=relay, args=(up, cli), daemon=True)
    t.start()
    client_side(cli, up)
    t.join()
    cli.close()
    up.close()


host, port = listen.rsplit(":", 1)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((host, int(port)))
srv.listen(64)
while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
