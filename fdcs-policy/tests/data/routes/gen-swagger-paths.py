#!/usr/bin/env python3
"""Regenerates swagger-paths.txt from a moby git directory.

usage: gen-swagger-paths.py MOBY_GIT_DIR > swagger-paths.txt

Reads api/docs/v1.24.md (v1.24 has no swagger file), api/docs/v1.25.yaml ..
and api/swagger.yaml at HEAD; prints one `METHOD TEMPLATE FIRST..LAST` line
per (method, path template), sorted.
"""
import re, subprocess, sys, yaml

git = sys.argv[1]
def show(p):
    return subprocess.run(["git", "--git-dir", git, "show", "HEAD:" + p],
                          check=True, capture_output=True, text=True).stdout

seen = {}
def add(m, p, v):
    key = (m.upper(), p)
    lo, hi = seen.get(key, (v, v))
    seen[key] = (min(lo, v), max(hi, v))

# v1.24: markdown; `(id or name)` -> {id}, `(name)` -> {name}
for line in show("api/docs/v1.24.md").splitlines():
    line = re.sub(r"\((id or name|id|name|plugin name)\)",
                  lambda g: "{name}" if "name" in g.group(1) else "{id}", line)
    m = re.match(r"^`(GET|POST|PUT|DELETE|HEAD) (/[^ ?`]*)", line)
    if not m or m.group(2).startswith("/v1.24/"):
        continue
    path = m.group(2)
    add(m.group(1), path, (1, 24))
# v1.24 plugin push is documented with a literal example path
add("POST", "/plugins/{name}/push", (1, 24))

files = [l for l in subprocess.run(["git", "--git-dir", git, "ls-tree", "--name-only", "HEAD", "api/docs/"],
         check=True, capture_output=True, text=True).stdout.split() if l.endswith(".yaml")]
files.append("api/swagger.yaml")
for f in files:
    doc = yaml.safe_load(show(f))
    major, minor = map(int, str(doc["info"]["version"]).split("."))
    for path, ops in doc["paths"].items():
        for m in ops:
            if m.lower() in ("get", "post", "put", "delete", "head", "patch", "options"):
                add(m, path, (major, minor))

for (m, p), (lo, hi) in sorted(seen.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print(f"{m} {p} {lo[0]}.{lo[1]}..{hi[0]}.{hi[1]}")
