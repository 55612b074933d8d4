#!/usr/bin/env python3
"""The federation across real containers, through faults.

Run by docker/test.sh once the image is built. Starts docker/compose.yaml
(a district, two streets, four communities, each its own container on
private networks), runs a consultation with an escalation through all three
levels, then injects faults one after another: a street cut off the network
while its communities and the district keep publishing; a community killed
(SIGKILL) in the middle of an escalation; every node restarted in turn while
notices keep being published. After each step it checks that every node
converges (each ledger its office keeps — its own, those above it, those
below it — at its writer's size and root) and that every write a node
acknowledged is held by every node that keeps the writer's ledger. It prints what it checked
and exits non-zero on the first divergence.

Only the standard library: the nodes are reached over HTTP at their
addresses on the private networks, the containers driven with the docker
command line.
"""

import io
import json
import os
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

PROJECT = os.environ.get("YIYI_PROJECT", "yiyi-test")
COMPOSE = ["docker-compose", "-p", PROJECT, "-f", os.path.join(os.path.dirname(__file__), "compose.yaml")]
# Where the test reaches each node's API (an address on one of its networks).
NODES = {
    "district": "10.231.0.10",
    "street-a": "10.231.1.10",
    "street-b": "10.231.2.10",
    "community-1": "10.231.1.11",
    "community-2": "10.231.1.12",
    "community-3": "10.231.2.11",
    "community-4": "10.231.2.12",
}
# Each office's parent: a node keeps its own ledger, its ancestors' and its
# subtree's (docs/FEDERATION.md), so each check compares what each node keeps.
PARENT = {
    "street-a": "district",
    "street-b": "district",
    "community-1": "street-a",
    "community-2": "street-a",
    "community-3": "street-b",
    "community-4": "street-b",
}
# Each node's addresses, to reconnect a node cut off with the same ones.
NETWORKS = {
    "street-a": {"district-net": "10.231.0.11", "street-a-net": "10.231.1.10"},
}
TIMEOUT = float(os.environ.get("YIYI_CONVERGE_TIMEOUT", "180"))
SHANGHAI = timezone(timedelta(hours=8))

acked = []  # (node, entry hash) of every write a node acknowledged
acked_lock = threading.Lock()
tokens = {}
checks = 0


class Divergence(Exception):
    """A check that did not hold."""


def say(text):
    print(text, flush=True)


def run(*args, check=True, capture=True):
    result = subprocess.run(args, capture_output=capture, text=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def container(node):
    return run(*COMPOSE, "ps", "-q", node).decode().strip()


def token(node):
    if node not in tokens:
        raw = run("docker", "cp", f"{container(node)}:/data/api.token", "-")
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            tokens[node] = tar.extractfile(tar.getmembers()[0]).read().decode().strip()
    return tokens[node]


def get(node, path, timeout=3):
    """The node's JSON answer, or None when it does not answer 200. Read as
    the office (with its token), so that the checks' many reads are not held
    to the public's per-address rate."""
    request = urllib.request.Request(f"http://{NODES[node]}:8111{path}",
                                     headers={"authorization": f"Bearer {token(node)}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return json.load(r)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def act(node, body, timeout=10):
    """An office action; the entry and notices it acknowledged are recorded."""
    request = urllib.request.Request(
        f"http://{NODES[node]}:8111/api/v1/actions",
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token(node)}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            answer = json.load(r)
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{node} refused {body['action']}: {e.read().decode(errors='replace')}") from e
    with acked_lock:
        acked.append((node, answer["entry"]["hash"]))
        for notice in answer.get("notices") or []:
            acked.append((node, notice["hash"]))
        if answer.get("forwarded"):
            acked.append((node, answer["forwarded"]["hash"]))
    return answer


def wait(what, done, timeout=TIMEOUT):
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if done():
            return
        time.sleep(0.5)
    raise Divergence(f"timed out after {timeout:.0f} s waiting for {what}")


def lineage(node):
    """`node` and the offices above it."""
    chain = [node]
    while chain[-1] in PARENT:
        chain.append(PARENT[chain[-1]])
    return chain


def keepers(writer):
    """The nodes that keep `writer`'s ledger: itself, those above it, those
    below it."""
    return [n for n in NODES if n in lineage(writer) or writer in lineage(n)]


def own_log(view):
    return next((log for log, kept in view.items() if kept[2]), None)


def converged(nodes):
    """Waits until each of `nodes` holds every ledger its office keeps (of
    the offices in `nodes`) at the size and root its writer has, and no
    other, and says so; raises Divergence with the last views."""
    global checks
    views = {}

    def same():
        views.clear()
        for node in nodes:
            answer = get(node, "/api/v1/logs")
            if answer is None:
                return False
            views[node] = {log["log"]: (log["size"], log["root"], log["own"]) for log in answer["logs"]}
        own = {node: own_log(view) for node, view in views.items()}
        for node, view in views.items():
            kept = {own[n] for n in keepers(node) if n in nodes}
            if set(view) != kept:
                return False
            for n in keepers(node):
                if n in nodes and view[own[n]][:2] != views[n][own[n]][:2]:
                    return False
        return True

    try:
        wait(f"{len(nodes)} nodes to converge", same)
    except Divergence:
        for node, view in views.items():
            sizes = sorted(size for size, _, _ in view.values()) if view else "no answer"
            say(f"   {node:12} {sizes}")
        raise
    held = sum(len(v) for v in views.values())
    checks += 1
    say(f"   ✓ converged: {len(nodes)} nodes hold the ledgers their offices keep ({held} copies), each at its writer's size and root")


def all_acked_held(nodes):
    """Every write acknowledged so far is held by every node in `nodes` that
    keeps its writer's ledger."""
    global checks
    with acked_lock:
        hashes = list(acked)
    missing = []
    copies = 0
    for node in nodes:
        for writer, h in hashes:
            if node not in keepers(writer):
                continue
            copies += 1
            if get(node, f"/api/v1/entries/by-hash/{h}") is None:
                missing.append((node, writer, h))
    if missing:
        for node, writer, h in missing[:10]:
            say(f"   ✗ {node} lacks {h[:16]}… acknowledged by {writer}")
        raise Divergence(f"{len(missing)} acknowledged entries missing")
    checks += 1
    say(f"   ✓ all {len(hashes)} acknowledged entries held by each of the {len(nodes)} nodes that keeps its writer's ledger ({copies} copies)")


def healthy(node):
    return get(node, "/api/v1/logs") is not None


def today(days=0):
    return (datetime.now(SHANGHAI) + timedelta(days=days)).strftime("%Y-%m-%d")


def consult_to_suggestion(node, topic, title, solution):
    meeting = f"M-{topic}"
    act(node, {"action": "topic", "id": topic, "title": title, "category": "public-affairs",
               "scale": "minor", "source": "resident",
               "raised_by": {"name": "王五", "phone": "13700000000"}})
    act(node, {"action": "accept", "topic": topic})
    act(node, {"action": "meeting", "id": meeting, "topics": [topic], "form": "card", "date": today()})
    act(node, {"action": "step", "meeting": meeting, "step": "sign-in",
               "attendees": [{"name": "张三", "phone": "13800000000"}]})
    for step in ["explain-topic", "introduce-participants", "read-rules", "discuss"]:
        act(node, {"action": "step", "meeting": meeting, "step": step})
    act(node, {"action": "step", "meeting": meeting, "step": "form-result",
               "result": f"居民一致同意：{title}，超出社区职权，作为建议件上报"})
    act(node, {"action": "outcome", "topic": topic, "meeting": meeting, "class": "suggestion",
               "proposed_solution": solution})
    act(node, {"action": "step", "meeting": meeting, "step": "publish-result"})


serial = iter(range(1, 1_000_000))


def publish(node):
    """One more write: a notice at a community, a directory entry at the
    district (it keeps no topics)."""
    n = next(serial)
    if node == "district":
        act(node, {"action": "department", "id": f"d{n}", "name": f"部门{n}", "handles": ["测试"]})
    else:
        topic = f"T-{node}-{n}"
        act(node, {"action": "topic", "id": topic, "title": f"议题{n}", "category": "daily-life",
                   "scale": "minor", "source": "resident"})
        act(node, {"action": "decline", "topic": topic, "citation": "《物业管理条例》",
                   "explanation": "已有规定"})


def matter_at(node, matter):
    answer = get(node, f"/api/v1/matters/{urllib.request.quote(matter, safe='')}")
    return answer["path"] if answer else None


def topic_status(node, topic):
    answer = get(node, f"/api/v1/topics/{topic}")
    return answer and answer.get("status")


def start():
    say("== starting the federation (docker/compose.yaml, project " + PROJECT + ")")
    run(*COMPOSE, "down", "-v", "--remove-orphans", check=False)
    run(*COMPOSE, "up", "-d")
    for node in NODES:
        wait(f"{node} to answer", lambda: healthy(node))
    # The district knows all seven offices, the others five: the district,
    # both streets and their own street's two communities.
    wait("every node to know the offices of its branch", lambda: all(
        (f := get(node, "/api/v1/federation")) is not None
        and sum(m["standing"] == "active" for m in f["members"]) == (7 if node == "district" else 5)
        for node in NODES))
    wait("every container's health check to pass", lambda: all(
        run("docker", "inspect", "--format", "{{.State.Health.Status}}", container(node)).strip() == b"healthy"
        for node in NODES))
    users = {run("docker", "inspect", "--format", "{{.Config.User}}", container(node)).strip() for node in NODES}
    if users != {b"10001:10001"}:
        raise Divergence(f"the nodes should run as user 10001, not {users}")
    say("   ✓ 7 containers healthy, running as user 10001; each node knows the offices of its branch by their charters")
    converged(list(NODES))


def consultation():
    say("== a consultation at 舜玉社区 (community-1), escalated: street → district → two departments")
    consult_to_suggestion("community-1", "T-bus", "增开公交线路", "请区交通运输局调整线路")
    sent = act("community-1", {"action": "escalate", "topic": "T-bus", "priority": "important"})
    matter = sent["id"]
    wait("the street's receipt at the community", lambda: (p := matter_at("community-1", matter))
         and p[0].get("receipt_held"))
    forwarded = act("street-a", {"action": "decide", "matter": matter, "decision": "forward",
                                 "reason": "涉及公交线网调整", "deadline": today(30)})
    hop = forwarded["forwarded"]["hash"]
    wait("the district's receipt", lambda: (p := matter_at("district", hop)) and len(p) > 1
         and p[1]["status"] == "received")
    for dept, name in [("jtj", "区交通运输局"), ("zjj", "区住房和城乡建设局")]:
        act("district", {"action": "department", "id": dept, "name": name, "handles": ["公交"]})
    act("district", {"action": "dispatch", "matter": hop, "departments": ["jtj", "zjj"]})
    act("district", {"action": "resolve", "matter": hop, "department": "jtj", "result": "已调整102路走向"})
    act("district", {"action": "resolve", "matter": hop, "department": "zjj", "result": "已建成港湾式站台"})
    wait("the resolution notice at the community", lambda: topic_status("community-1", "T-bus") == "done")
    say("   ✓ resolved by both departments; the resolution came down and 舜玉社区 published it")
    converged(list(NODES))
    all_acked_held(list(NODES))


def partition():
    say("== street-a cut off the network (docker network disconnect) while its communities and the district publish")
    street = container("street-a")
    for network in NETWORKS["street-a"]:
        run("docker", "network", "disconnect", f"{PROJECT}_{network}", street)
    before = len(acked)
    for _ in range(3):
        for node in ["community-1", "community-2", "district", "community-3"]:
            publish(node)
    # The cut is real: what the cut-off communities write stays with them.
    time.sleep(3)
    cut_off = [h for w, h in acked[before:] if w in ("community-1", "community-2")]
    leaked = [h for h in cut_off if get("district", f"/api/v1/entries/by-hash/{h}") is not None]
    if leaked:
        raise Divergence(f"{len(leaked)} writes of the cut-off communities reached the district: the cut did not hold")
    say(f"   ✓ while cut off: none of the {len(cut_off)} writes of street-a's communities reached the district")
    # The side still connected keeps replicating among itself.
    connected = ["district", "street-b", "community-3", "community-4"]
    wait("the connected side to hold the district's and community-3's writes", lambda: all(
        all(get(n, f"/api/v1/entries/by-hash/{h}") is not None for n in connected if n in keepers(w))
        for w, h in list(acked) if w in ("district", "community-3")))
    say("   ✓ while cut off: the district, street-b and its communities hold the new writes they keep")
    for network, address in NETWORKS["street-a"].items():
        run("docker", "network", "connect", "--ip", address, f"{PROJECT}_{network}", street)
    say("   healed (docker network connect, same addresses)")
    converged(list(NODES))
    all_acked_held(list(NODES))


def kill_in_escalation():
    say("== community-2 killed (SIGKILL) in the middle of an escalation and of a burst of writes, then started again")
    victim = container("community-2")
    consult_to_suggestion("community-2", "T-wall", "修缮小区围墙", "请街道拨付维修资金")
    stop = threading.Event()

    def burst():
        while not stop.is_set():
            try:
                publish("community-2")
            except (RuntimeError, OSError, urllib.error.URLError):
                pass  # killed: not acknowledged

    thread = threading.Thread(target=burst)
    thread.start()
    sent = act("community-2", {"action": "escalate", "topic": "T-wall"})
    # Killed while writes are being acknowledged: each one acknowledged
    # must be there after the restart.
    time.sleep(0.3)
    run("docker", "kill", victim)
    stop.set()
    thread.join()
    matter = sent["id"]
    time.sleep(2)
    run("docker", "start", victim)
    wait("community-2 to answer", lambda: healthy("community-2"))
    wait("the street to receive the escalation", lambda: (p := matter_at("street-a", matter))
         and p[0]["status"] == "received")
    receipts = sum(s["action"] == "receipt" for s in matter_at("street-a", matter)[0]["steps"])
    if receipts != 1:
        raise Divergence(f"street-a signed {receipts} receipts for one escalation")
    act("street-a", {"action": "decide", "matter": matter, "decision": "accept"})
    act("street-a", {"action": "resolve", "matter": matter, "result": "街道已拨付维修资金"})
    wait("the resolution notice at community-2", lambda: topic_status("community-2", "T-wall") == "done")
    say("   ✓ delivered after the restart, received exactly once, resolved by the street and noticed at community-2")
    converged(list(NODES))
    all_acked_held(list(NODES))


def rolling_restart():
    say("== every node restarted in turn (docker restart) while notices keep being published")
    stop = threading.Event()
    refused = [0]

    def publisher():
        while not stop.is_set():
            for node in ["community-1", "community-4", "district"]:
                try:
                    publish(node)
                except (RuntimeError, OSError, urllib.error.URLError):
                    refused[0] += 1  # the node is down: nothing acknowledged
            time.sleep(0.2)

    thread = threading.Thread(target=publisher)
    thread.start()
    try:
        for node in NODES:
            before = len(acked)
            run("docker", "restart", "-t", "20", container(node))
            wait(f"{node} to answer again", lambda: healthy(node))
            say(f"   restarted {node:12} ({len(acked) - before} writes acknowledged meanwhile)")
    finally:
        stop.set()
        thread.join()
    say(f"   writes refused while their node was down (not acknowledged, not counted): {refused[0]}")
    converged(list(NODES))
    all_acked_held(list(NODES))


def main():
    began = time.monotonic()
    try:
        start()
        consultation()
        partition()
        kill_in_escalation()
        rolling_restart()
    except (Divergence, RuntimeError) as e:
        say(f"✗ FAILED: {e}")
        return 1
    say(f"== all {checks} checks held ({len(acked)} acknowledged writes, {time.monotonic() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
