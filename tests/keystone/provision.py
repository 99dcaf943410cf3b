#!/usr/bin/python3
"""Provisions the Keystone started by up.sh for tests/tests/keystone.rs.

usage: provision.py URL ADMIN_PASSWORD   (URL: http://127.0.0.1:5055/v3)

Idempotent (finds before it creates). In the default domain:
  projects alpha, beta, service
  alice/alicepw  member on alpha
  bob/bobpw      member on beta
  carol/carolpw  reader (only) on alpha
  svc/svcpw      service on service (serve --keystone-user: validates tokens)
Prints the ids as shell assignments (KS_ALPHA=..., KS_BETA=...).
"""
import json
import sys
import urllib.error
import urllib.request

URL, ADMIN_PW = sys.argv[1].rstrip("/"), sys.argv[2]


def call(method, path, token=None, body=None):
    req = urllib.request.Request(URL + path, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(req, data, timeout=30) as r:
        text = r.read()
        return r.headers, (json.loads(text) if text else {})


def token(user, pw, project):
    ident = {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": pw}}}
    scope = {"project": {"name": project, "domain": {"id": "default"}}}
    h, _ = call("POST", "/auth/tokens", body={"auth": {"identity": ident, "scope": scope}})
    return h["X-Subject-Token"]


ADM = token("admin", ADMIN_PW, "admin")


def ensure(kind, name, extra):
    """The id of the `kind` (projects, users, roles) called `name`, made if missing."""
    _, found = call("GET", f"/{kind}?name={name}", ADM)
    if found[kind]:
        return found[kind][0]["id"]
    _, made = call("POST", f"/{kind}", ADM, {kind[:-1]: dict(name=name, **extra)})
    return made[kind[:-1]]["id"]


dom = {"domain_id": "default"}
projects = {p: ensure("projects", p, dom) for p in ("alpha", "beta", "service")}
roles = {r: ensure("roles", r, {}) for r in ("member", "reader", "service")}
for user, project, role in (
    ("alice", "alpha", "member"),
    ("bob", "beta", "member"),
    ("carol", "alpha", "reader"),
    ("svc", "service", "service"),
):
    uid = ensure("users", user, dict(dom, password=user + "pw"))
    call("PUT", f"/projects/{projects[project]}/users/{uid}/roles/{roles[role]}", ADM)
# every user can sign in with its own project
for user, project in (("alice", "alpha"), ("bob", "beta"), ("carol", "alpha"), ("svc", "service")):
    token(user, user + "pw", project)
print(f"KS_ALPHA={projects['alpha']}\nKS_BETA={projects['beta']}")
