"""Database resilience benchmark: PostgreSQL restarted under steady load.

gunicorn as in production (2 × cores + 1 sync workers, DEBUG off) on a dedicated database. A
second process sends a steady, modest load (document page, list, search, and edits: each edit
adds a timeline row carrying a unique marker text to a Draft) for BENCH_SECONDS (40). After
BENCH_STOP_AFTER (10) seconds the PostgreSQL cluster is stopped, and started again
BENCH_DOWN_FOR (4) seconds later; `pg_isready` tells when it accepts connections again.

Every request is recorded (start, end, endpoint, status or exception) and classed by the
outage, which runs from the stop command until PostgreSQL accepts connections again:
"before" ended before the stop, "after" started once PostgreSQL was back, "during" the rest.
Afterwards the database must hold every edit that got its success answer (302 to the editor).

Targets: errors only while the database is down (none before, none after); recovery — from
PostgreSQL back to the last failed request — within 5 s; no acknowledged edit lost.

    sudo .venv/bin/python bench/db_restart.py      # or: make bench-resilience

Needs the local cluster (pg_ctlcluster; root or the cluster's owner) and restarts it: every
other client of that cluster sees the outage too. PostgreSQL is always started again on the
way out, on failure or Ctrl-C included. Environment: BENCH_SECONDS, BENCH_STOP_AFTER,
BENCH_DOWN_FOR, BENCH_RATE (10 requests/s in all), BENCH_CLIENT_THREADS (8),
BENCH_PG_VERSION / BENCH_PG_CLUSTER (default: the only entry of /etc/postgresql, "main"),
BENCH_STRICT=1 (exit 1 on a MISS), and those of bench/_common.py. Not a test: never run by
pytest or CI.
"""

import collections
import json
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time

from _common import (
    DOCUMENT_KEY,
    EDIT_KEY,
    Client,
    Server,
    database_url,
    db_address,
    db_conninfo,
    env_float,
    env_int,
    error_log_summary,
    log,
)

RECOVERY_TARGET = 5.0
REQUEST_TIMEOUT = 40  # above gunicorn's 30 s worker timeout: a hung worker shows as such
EDITOR = f"/postmortems/{EDIT_KEY}/edit/timeline/"
ROWS = f"/postmortems/{EDIT_KEY}/edit/timeline/rows/"
# Each client thread goes round this list: a third of the requests are edits.
CYCLE = ["document", "edit", "list", "search", "document", "edit"]


# --- the load, in a second process -----------------------------------------------------------


def load_process(config: dict, out_path: str) -> None:
    import threading

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    paths = {"document": f"/postmortems/{DOCUMENT_KEY}/", "list": "/", "search": config["search"]}
    threads_n = config["threads"]
    interval = threads_n / config["rate"]
    records: list[dict] = []
    fatal: list[str] = []
    lock = threading.Lock()

    def user(i: int) -> None:
        client = Client(config["port"], cookies=dict(config["cookies"]), timeout=REQUEST_TIMEOUT)
        try:
            client.load_csrf(EDITOR)
        except Exception as exc:
            fatal.append(f"client thread {i} could not open {EDITOR}: {exc}")
            return
        next_at = config["start_at"] + i * interval / threads_n
        seq = 0
        while True:
            delay = next_at - time.time()
            if delay > 0:
                time.sleep(delay)
            if time.time() >= config["stop_at"]:
                break
            op = CYCLE[seq % len(CYCLE)]
            rec = {"op": op, "thread": i, "t0": time.time()}
            try:
                if op == "edit":
                    rec["marker"] = f"bench-{config['run_id']}-{i}-{seq}"
                    response = client.post_form(
                        ROWS,
                        {
                            "new-occurred_at": "14:23",
                            "new-milestone": "",
                            "new-description": rec["marker"],
                        },
                    )
                    location = response.headers.get("location", "")
                    ok = response.status == 302 and location.startswith(EDITOR)
                else:
                    response = client.get(paths[op])
                    ok = response.status == 200
                rec["status"] = response.status
            except Exception as exc:
                ok = False
                rec["error"] = f"{type(exc).__name__}: {exc}"[:200]
            rec["t1"] = time.time()
            rec["ok"] = ok
            with lock:
                records.append(rec)
            seq += 1
            next_at += interval
            next_at = max(next_at, time.time() - interval)  # late: no burst to catch up
        client.close()

    threads = [threading.Thread(target=user, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open(out_path, "w") as f:
        for rec in sorted(records, key=lambda r: r["t0"]):
            f.write(json.dumps(rec) + "\n")
    if fatal:
        sys.exit("\n".join(fatal))


# --- PostgreSQL ------------------------------------------------------------------------------


def _lsclusters() -> list[str]:
    try:
        done = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True)
    except OSError:
        return []
    return [line for line in done.stdout.splitlines() if line.strip()]


class Cluster:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.version = os.environ.get("BENCH_PG_VERSION", "").strip()
        self.name = os.environ.get("BENCH_PG_CLUSTER", "").strip()
        if not self.version:
            # The cluster serving the port of BENCH_DATABASE_URL, else the first version.
            for line in _lsclusters():
                version, name, cluster_port = line.split()[:3]
                if cluster_port == str(port) and (not self.name or self.name == name):
                    self.version, self.name = version, name
                    break
            else:
                versions = (
                    sorted(os.listdir("/etc/postgresql"))
                    if os.path.isdir("/etc/postgresql")
                    else []
                )
                self.version = versions[0] if versions else ""
        self.name = self.name or "main"

    def check(self) -> None:
        if not shutil.which("pg_ctlcluster") or not self.version:
            sys.exit(
                "pg_ctlcluster or /etc/postgresql/<version> not found: needs Debian's PostgreSQL."
            )
        owner = os.stat(f"/etc/postgresql/{self.version}/{self.name}").st_uid
        if os.geteuid() not in (0, owner):
            sys.exit("Restarting PostgreSQL needs root (or the cluster's owner): run with sudo.")
        if not self.ready():
            sys.exit(
                f"PostgreSQL {self.version} {self.name} is not running on {self.host}:{self.port}."
            )

    def ctl(self, action: str) -> subprocess.CompletedProcess:
        # Its own session, so that a Ctrl-C cannot interrupt pg_ctlcluster half-way.
        return subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action],
            capture_output=True,
            text=True,
            timeout=120,
            start_new_session=True,
        )

    def ctl_background(self, action: str) -> subprocess.Popen:
        return subprocess.Popen(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def ready(self) -> bool:
        done = subprocess.run(
            ["pg_isready", "-q", "-h", self.host, "-p", str(self.port), "-t", "1"],
            start_new_session=True,
        )
        return done.returncode == 0

    def wait_ready(self, timeout: float) -> float | None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.ready():
                return time.time()
            time.sleep(0.05)
        return None

    def ensure_running(self) -> None:
        """Start the cluster if it is down; wait until it accepts connections. Never raises."""
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            if self.ready():
                return
            log(f"starting PostgreSQL {self.version} {self.name} again")
            for _ in range(3):
                try:
                    self.ctl("start")
                except Exception as exc:
                    log(f"pg_ctlcluster start: {exc}")
                if self.wait_ready(30):
                    log("PostgreSQL is running")
                    return
            log("PostgreSQL did NOT come back: start it by hand: pg_ctlcluster "
                f"--skip-systemctl-redirect {self.version} {self.name} start")  # fmt: skip
        finally:
            signal.signal(signal.SIGINT, previous)


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


# --- the run ---------------------------------------------------------------------------------


def run(cluster: Cluster) -> tuple[list[dict], dict, Server, list[str], str]:
    seconds = env_float("BENCH_SECONDS", 40)
    stop_after = env_float("BENCH_STOP_AFTER", 10)
    down_for = env_float("BENCH_DOWN_FOR", 4)
    run_id = time.strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(3)
    marks: dict[str, float] = {}
    proc = None
    with Server(name="resilience") as server:
        out_path = str(server.tmp / "requests.jsonl")
        start_at = time.time() + 3  # time for the client threads to open the editor once
        config = {
            "port": server.port,
            "cookies": server.cookies,
            "search": server.search_path(),
            "run_id": run_id,
            "threads": env_int("BENCH_CLIENT_THREADS", 8),
            "rate": env_float("BENCH_RATE", 10),
            "start_at": start_at,
            "stop_at": start_at + seconds,
        }
        try:
            proc = multiprocessing.get_context("spawn").Process(
                target=load_process, args=(config, out_path), daemon=True
            )
            proc.start()
            marks["start"] = start_at
            log(
                f"load: {config['rate']:g} requests/s from {config['threads']} threads for "
                f"{seconds:g} s; PostgreSQL stops at +{stop_after:g} s for {down_for:g} s"
            )
            time.sleep(max(0.0, start_at + stop_after - time.time()))
            marks["stop"] = time.time()
            log(f"stopping PostgreSQL {cluster.version} {cluster.name}")
            done = cluster.ctl("stop")
            marks["stopped"] = time.time()
            if done.returncode != 0 or cluster.ready():
                raise RuntimeError(f"PostgreSQL did not stop: {done.stdout}{done.stderr}")
            time.sleep(max(0.0, marks["stopped"] + down_for - time.time()))
            log("starting PostgreSQL")
            marks["start_cmd"] = time.time()
            # pg_ctlcluster returns a while after the server accepts connections: poll meanwhile.
            starting = cluster.ctl_background("start")
            ready = cluster.wait_ready(60)
            starting.wait(timeout=60)
            if ready is None:
                raise RuntimeError("PostgreSQL did not accept connections within 60 s of start")
            marks["ready"] = ready
            log(f"PostgreSQL accepts connections ({ready - marks['stop']:.1f} s after the stop)")
            proc.join(timeout=max(0.0, config["stop_at"] - time.time()) + REQUEST_TIMEOUT + 10)
            if proc.exitcode != 0:
                raise RuntimeError(f"the load process failed (exit code {proc.exitcode})")
        finally:
            if proc is not None and proc.is_alive():
                proc.terminate()
                proc.join(5)
            cluster.ensure_running()
        problems = error_log_summary(server.error_log, since_line=server.log_start_line)
        access_log = server.access_log.read_text(errors="replace")
    with open(out_path) as f:
        records = [json.loads(line) for line in f]
    marks["run_id"] = run_id
    marks["rate"] = config["rate"]
    return records, marks, server, problems, access_log


def stored_markers(url: str, run_id: str) -> set[str]:
    import psycopg

    with psycopg.connect(db_conninfo(url, connect_timeout=10)) as conn:
        rows = conn.execute(
            "SELECT e.description FROM postmortems_timelineevent e "
            "JOIN postmortems_postmortem p ON p.id = e.postmortem_id "
            "WHERE p.key = %s AND e.description LIKE %s",
            [EDIT_KEY, f"bench-{run_id}-%"],
        ).fetchall()
    return {row[0] for row in rows}


def kind(rec: dict) -> str:
    if rec.get("error"):
        return rec["error"].split(":")[0]
    return f"HTTP {rec.get('status')}"


def report(records, marks, server, problems, access_log, url) -> int:
    t_stop, t_ready = marks["stop"], marks["ready"]

    def phase(rec):
        if rec["t1"] < t_stop:
            return "before"
        if rec["t0"] >= t_ready:
            return "after"
        return "during"

    phases = {"before": [], "during": [], "after": []}
    for rec in records:
        phases[phase(rec)].append(rec)
    failures = [r for r in records if not r["ok"]]
    ok_after = [r["t1"] for r in records if r["ok"] and r["t1"] >= t_ready]
    first_ok = min(ok_after) - t_ready if ok_after else None
    last_error = max((r["t1"] for r in failures), default=None)
    recovery = max(0.0, last_error - t_ready) if last_error is not None else 0.0
    if first_ok is None:
        recovery = float("inf")

    edits = [r for r in records if r["op"] == "edit"]
    acked = {r["marker"] for r in edits if r["ok"]}
    unacked = {r["marker"] for r in edits if not r["ok"]}
    stored = stored_markers(url, marks["run_id"])
    lost = acked - stored

    start = marks["start"]
    span = max(r["t1"] for r in records) - start
    print()
    print(
        f"Resilience: gunicorn {server.workers} sync workers (timeout 30 s), DEBUG off, "
        f"PostgreSQL restarted under load; {len(records)} requests in {span:.0f} s "
        f"({len(records) / span:.1f}/s, target {marks['rate']:g}/s; document, list, search, edit)"
    )
    print(
        f"PostgreSQL: stop issued +{t_stop - start:.1f} s, down +{marks['stopped'] - start:.1f} s, "
        f"start issued +{marks['start_cmd'] - start:.1f} s, accepting connections "
        f"+{t_ready - start:.1f} s  → outage {t_ready - t_stop:.1f} s"
    )
    header = f"{'phase':<8} {'requests':>8} {'errors':>6}  errors by endpoint / kind"
    print(header)
    print("-" * 72)
    for name, recs in phases.items():
        errs = [r for r in recs if not r["ok"]]
        by_op = collections.Counter(r["op"] for r in errs)
        by_kind = collections.Counter(kind(r) for r in errs)
        detail = ", ".join(f"{k} {v}" for k, v in sorted(by_op.items()))
        if by_kind:
            detail += "  |  " + ", ".join(f"{k} ×{v}" for k, v in by_kind.most_common(4))
        print(f"{name:<8} {len(recs):>8} {len(errs):>6}  {detail}")
    print(
        "first success after PostgreSQL was back: "
        + (f"{first_ok:.2f} s" if first_ok is not None else "none")
        + "; last error: "
        + (
            f"{last_error - t_ready:+.2f} s from back"
            if last_error is not None
            else "none (no request failed)"
        )
    )
    slow = sorted(records, key=lambda r: r["t1"] - r["t0"], reverse=True)[:3]
    print(
        "slowest requests: "
        + ", ".join(
            f"{r['op']} {r['t1'] - r['t0']:.2f} s at +{r['t0'] - start:.1f} s" for r in slow
        )
    )
    print(
        f"edits: {len(edits)} sent, {len(acked)} acknowledged, {len(stored)} in the database "
        f"({len(stored & unacked)} of them unacknowledged), {len(lost)} acknowledged but missing"
    )
    after_errors = [r for r in phases["after"] if not r["ok"]]
    if after_errors:
        print("errors after PostgreSQL was back:")
        for r in after_errors[:10]:
            print(f"  +{r['t0'] - t_ready:.2f} s {r['op']}: {kind(r)} {r.get('error', '')[:120]}")
    # Which gunicorn workers answered 5xx: one worker failing on is a stuck connection.
    by_pid = collections.Counter(
        m.group(1)
        for m in re.finditer(r'^<(\d+)> \[[^\]]*\] "[^"]*" (5\d\d) ', access_log, re.MULTILINE)
    )
    if by_pid:
        print(
            "5xx answers by gunicorn worker pid: "
            + ", ".join(f"{p} ×{n}" for p, n in by_pid.most_common())
        )
    if problems:
        print("gunicorn error log (since the load started):")
        for line in problems:
            print("  " + line)
    print()
    errors_outside = sum(not r["ok"] for r in phases["before"] + phases["after"])
    misses = 0
    for ok, text in [
        (
            errors_outside == 0,
            "errors only while the database is down: "
            f"{sum(not r['ok'] for r in phases['before'])} before, "
            f"{sum(not r['ok'] for r in phases['after'])} after",
        ),
        (
            recovery <= RECOVERY_TARGET,
            f"recovery ≤ {RECOVERY_TARGET:g} s after PostgreSQL is back: {recovery:.2f} s",
        ),
        (not lost, f"zero lost acknowledged edits: {len(lost)} of {len(acked)} missing"),
    ]:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
        misses += not ok
    if lost:
        print("  missing: " + ", ".join(sorted(lost)[:10]))
    strict = os.environ.get("BENCH_STRICT", "").lower() in ("1", "true", "yes", "on")
    return 1 if misses and strict else 0


def main() -> int:
    url = database_url()
    cluster = Cluster(*db_address(url))
    cluster.check()
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        records, marks, server, problems, access_log = run(cluster)
    finally:
        cluster.ensure_running()  # whatever happened above
    return report(records, marks, server, problems, access_log, url)


if __name__ == "__main__":
    sys.exit(main())
