#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from the repository's own test inputs, so
that no copy of them lives in git: the request corpus
(fdcs-policy/tests/corpus), the captured bodies (fdcs-policy/tests/data),
the route list, the policies and the compose fixtures. Idempotent: a seed
is named by its content's hash. Run from anywhere: `python3 fuzz/seed.py`.
"""
import hashlib
import json
import pathlib
import re
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "corpus"
TESTS = ROOT / "fdcs-policy" / "tests"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def split_http(raw):
    """(method, target, body) of a raw request file, leniently."""
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    line = head.split(b"\n", 1)[0].decode("utf-8", "replace").split(" ")
    if len(line) < 2:
        return None
    return line[0], line[1], body


def main():
    https = sorted(TESTS.rglob("*.http"))
    for f in https:
        raw = f.read_bytes()
        put("rawhttp", raw)
        parts = split_http(raw)
        if not parts:
            continue
        method, target, body = parts
        put("route", f"{method}\n{target}")
        if "/containers/create" in target and body.strip():
            put("create", body.strip())
        query = urllib.parse.urlsplit(target).query
        for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
            if k == "filters":
                put("filters", v)
    for f in sorted((TESTS / "data" / "bodies").rglob("*")):
        if f.is_file():
            data = f.read_bytes()
            # captured create bodies (and every other body: near misses)
            put("create", data)
    swagger = TESTS / "data" / "routes" / "swagger-paths.txt"
    for line in swagger.read_text().splitlines():
        words = line.split()
        if len(words) >= 2:
            put("route", f"{words[0]}\n/v1.41{re.sub(r'{[^}]*}', 'db', words[1])}")
    for f in sorted((ROOT / "policies").rglob("*.yaml")):
        put("policy", f.read_bytes())
    composes = [f for f in (ROOT / "tests").rglob("*") if f.is_file()
                and re.fullmatch(r"(docker-)?compose.*\.ya?ml", f.name)]
    for f in sorted(composes):
        put("compose", f.read_bytes())
    # compose snippets inside policy test suites
    for f in sorted((ROOT / "policies" / "tests").glob("*.yaml")):
        for m in re.finditer(r"compose: \|\n((?:\s{6,}.*\n)+)", f.read_text()):
            lines = m.group(1).splitlines()
            indent = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
            put("compose", "\n".join(l[indent:] for l in lines) + "\n")
    for seeds in sorted((ROOT / "fuzz" / "seeds").glob("*/*")):
        put(seeds.parent.name, seeds.read_bytes())
    for d in sorted(OUT.iterdir()):
        print(f"{d.name}: {sum(1 for _ in d.iterdir())} seeds")


if __name__ == "__main__":
    main()
