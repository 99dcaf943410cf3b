#!/usr/bin/env python3
"""Two tenants drive fdcs with docker-py, as an unmodified client would.

Run by tests/tests/docker_py.rs:

    tenant_flow.py PROXY_URL ENGINE_URL TAG TENANT=CONFIG_DIR TENANT=CONFIG_DIR

Each tenant is a plain `docker.DockerClient(base_url=PROXY_URL)` created with
DOCKER_CONFIG pointing at a directory whose config.json carries the tenant's
fdcs headers in `HttpHeaders` (docker-py reads that file when the client is
created and adds the headers to every request). Both tenants use the same
names (`py-...-TAG`) at the same time. ENGINE_URL is the engine's own socket:
the ground truth (which engine object carries which owner label) is read
there, never through the proxy.

Every step prints `ok: ...`; the first failed expectation raises, and the
script exits non-zero with the step and what was seen.
"""

import os
import sys
import time

import docker
from docker.errors import APIError, NotFound

OWNER_LABEL = "fdcs.tenant"


def ok(tenant, what):
    print(f"ok: {tenant}: {what}", flush=True)


def client_for(proxy_url, config_dir):
    # docker-py reads $DOCKER_CONFIG/config.json when the client is made.
    os.environ["DOCKER_CONFIG"] = config_dir
    try:
        return docker.DockerClient(base_url=proxy_url, timeout=60)
    finally:
        del os.environ["DOCKER_CONFIG"]


def eventually(what, probe, tries=100):
    """Calls probe() until it returns a true value (the container is
    starting, its log is being written); no timing is asserted, only that
    the value shows up at all."""
    last = None
    for _ in range(tries):
        last = probe()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"{what}: never happened (last: {last!r})")


def container_names(client):
    return {c.id: c.name for c in client.containers.list(all=True)}


def main(argv):
    proxy_url, engine_url, tag = argv[1], argv[2], argv[3]
    tenants = [a.split("=", 1) for a in argv[4:]]
    assert len(tenants) == 2, "two TENANT=CONFIG_DIR arguments"
    engine = docker.DockerClient(base_url=engine_url, timeout=60)
    clients = {tid: client_for(proxy_url, cfg) for tid, cfg in tenants}
    (a, b) = [tid for tid, _ in tenants]
    other = {a: b, b: a}
    net, net2 = f"py-net-{tag}", f"py-net2-{tag}"
    vol, web = f"py-vol-{tag}", f"py-web-{tag}"
    made = {}

    print(f"docker-py {docker.__version__}", flush=True)
    for tid, c in clients.items():
        assert c.ping(), f"{tid}: ping"
        ok(tid, "ping")

    # Networks and volumes, same names for both tenants.
    for tid, c in clients.items():
        n = c.networks.create(net)
        n2 = c.networks.create(net2)
        v = c.volumes.create(vol)
        assert v.name == vol, f"{tid}: volume create answers {v.name!r}"
        made[tid] = {"net": n.id, "net2": n2.id, "vol": vol}
        ok(tid, f"networks.create {net}, {net2}; volumes.create {vol}")

    # containers.run with network=: docker-py sends
    # NetworkingConfig.EndpointsConfig {"<net>": null}, which dockerd accepts.
    for tid, c in clients.items():
        said = f"said-by-{tid}"
        ctr = c.containers.run(
            "busybox",
            ["sh", "-c", f"echo {said}; exec sleep 300"],
            name=web,
            network=net,
            volumes={vol: {"bind": "/data", "mode": "rw"}},
            detach=True,
        )
        made[tid]["web"] = ctr.id
        ctr.reload()
        assert ctr.name == web, f"{tid}: run answers name {ctr.name!r}"
        nets = ctr.attrs["NetworkSettings"]["Networks"]
        assert list(nets) == [net], f"{tid}: container networks {list(nets)}"
        ok(tid, f"containers.run(network={net!r}) -> {ctr.short_id}")

    for tid, c in clients.items():
        ctr = c.containers.get(web)
        assert ctr.id == made[tid]["web"], f"{tid}: get({web}) is someone else's"
        said = f"said-by-{tid}"
        logs = eventually(
            f"{tid}: logs show {said}",
            lambda: (lambda s: s if said in s else None)(ctr.logs().decode()),
        )
        assert logs.strip() == said, f"{tid}: logs {logs!r}"
        ok(tid, "logs")
        code, out = ctr.exec_run(["sh", "-c", "echo inside > /data/f; cat /data/f"])
        assert (code, out) == (0, b"inside\n"), f"{tid}: exec_run {code} {out!r}"
        ok(tid, "exec_run")

    # Each tenant lists only its own, under its own names.
    for tid, c in clients.items():
        mine, theirs = made[tid], made[other[tid]]
        names = container_names(c)
        assert names.get(mine["web"]) == web, f"{tid}: list {names}"
        assert theirs["web"] not in names, f"{tid} lists {other[tid]}'s container"
        assert all(not n.startswith(f"{tid}_") for n in names.values()), names
        nets = {n.id: n.name for n in c.networks.list()}
        assert nets.get(mine["net"]) == net and nets.get(mine["net2"]) == net2, (
            f"{tid}: networks.list {nets}"
        )
        assert theirs["net"] not in nets and theirs["net2"] not in nets, (
            f"{tid} lists {other[tid]}'s networks: {nets}"
        )
        vols = [v.name for v in c.volumes.list()]
        assert vol in vols, f"{tid}: volumes.list {vols}"
        assert all(not n.startswith(f"{tid}_") for n in vols), vols
        try:
            c.containers.get(theirs["web"])
            raise AssertionError(f"{tid} can get {other[tid]}'s container by id")
        except NotFound:
            pass
        try:
            c.networks.get(theirs["net"])
            raise AssertionError(f"{tid} can get {other[tid]}'s network by id")
        except NotFound:
            pass
        ok(tid, "containers.list, networks.list, volumes.list: only its own")

    # Ground truth on the engine: every object carries its tenant's label.
    for tid in clients:
        m = made[tid]
        ctr = engine.containers.get(m["web"])
        assert ctr.labels.get(OWNER_LABEL) == tid, f"engine: {ctr.name} {ctr.labels}"
        assert ctr.name == f"{tid}_{web}", f"engine-side name {ctr.name}"
        for key in ("net", "net2"):
            n = engine.networks.get(m[key])
            assert n.attrs["Labels"].get(OWNER_LABEL) == tid, f"engine: {n.name}"
        v = engine.volumes.get(f"{tid}_{vol}")
        assert v.attrs["Labels"].get(OWNER_LABEL) == tid, f"engine: {v.name}"
        ok(tid, "engine labels")

    # info and df count the tenant's own objects only.
    for tid, c in clients.items():
        for _ in range(20):
            before = c.containers.list(all=True)
            info = c.info()
            after = c.containers.list(all=True)
            if [x.id for x in before] == [x.id for x in after]:
                break
        running = sum(1 for x in after if x.status == "running")
        got = (info["Containers"], info["ContainersRunning"])
        assert got == (len(after), running), (
            f"{tid}: info Containers/ContainersRunning {got}, "
            f"its list has {len(after)}/{running}"
        )
        ok(tid, f"info: Containers {got[0]}, Running {got[1]}")
        listed = {x.id for x in c.containers.list(all=True)}
        df = c.df()
        df_ids = {x["Id"] for x in df.get("Containers") or []}
        own_ids = listed | {x.id for x in c.containers.list(all=True)}
        assert made[tid]["web"] in df_ids, f"{tid}: df lacks its container"
        assert made[other[tid]]["web"] not in df_ids, f"{tid}: df shows {other[tid]}'s"
        assert df_ids <= own_ids, (
            f"{tid}: df shows containers it does not list: {df_ids - own_ids}"
        )
        df_names = [n for x in df.get("Containers") or [] for n in x.get("Names", [])]
        assert f"/{web}" in df_names, f"{tid}: df container names {df_names}"
        assert not any(n.startswith(f"/{tid}_") for n in df_names), df_names
        df_vols = [x["Name"] for x in df.get("Volumes") or []]
        assert vol in df_vols, f"{tid}: df volumes {df_vols}"
        assert not any(n.startswith(f"{tid}_") or n.startswith(f"{other[tid]}_")
                       for n in df_vols), f"{tid}: df volumes {df_vols}"
        ok(tid, "df: its own containers and volumes")

    # Removing something the tenant does not own is the daemon's not-found.
    for tid, c in clients.items():
        try:
            c.api.remove_container(made[other[tid]]["web"], force=True)
            raise AssertionError(f"{tid} removed {other[tid]}'s container")
        except NotFound:
            pass
        except APIError as e:
            raise AssertionError(f"{tid}: {e}") from e
        theirs = engine.containers.get(made[other[tid]]["web"])
        assert theirs.status == "running", f"{tid}'s remove reached {theirs.name}"
        ok(tid, "cannot remove the other's container by id")
    # Connect, disconnect, stop, remove.
    for tid, c in clients.items():
        ctr = c.containers.get(web)
        n2 = c.networks.get(net2)
        n2.connect(ctr)
        ctr.reload()
        assert sorted(ctr.attrs["NetworkSettings"]["Networks"]) == sorted([net, net2]), (
            f"{tid}: after connect {list(ctr.attrs['NetworkSettings']['Networks'])}"
        )
        n2.reload()
        assert ctr.id in [x.id for x in n2.containers], f"{tid}: {net2} containers"
        n2.disconnect(ctr)
        ok(tid, f"networks connect/disconnect {net2}")
        ctr.stop(timeout=1)
        ctr.reload()
        assert ctr.status == "exited", f"{tid}: after stop {ctr.status}"
        ok(tid, "stop")
        if tid == a:
            # The other tenant's same-named container still runs.
            theirs = engine.containers.get(made[b]["web"])
            assert theirs.status == "running", f"{a}'s stop reached {theirs.name}"
        ctr.remove(v=False)
        try:
            c.containers.get(web)
            raise AssertionError(f"{tid}: {web} still there after remove")
        except NotFound:
            pass
        ok(tid, "remove")
        for name in (net, net2):
            c.networks.get(name).remove()
        c.volumes.get(vol).remove()
        assert net not in [n.name for n in c.networks.list()], f"{tid}: {net} left"
        assert vol not in [v.name for v in c.volumes.list()], f"{tid}: {vol} left"
        ok(tid, "networks and volume removed")

    print("all ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
