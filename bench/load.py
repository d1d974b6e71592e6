"""Load benchmark: throughput and latency of the app's pages under gunicorn on PostgreSQL.

gunicorn as in production (2 × cores + 1 sync workers, DEBUG off) on a dedicated database,
signed in as a bench user. One endpoint at a time, each warmed up and then loaded for the full
duration at the same concurrency: /healthz (the trivial page: one SELECT 1), the demo
document, the list and a search. Targets: the document page serves at least 40 % of the
trivial page's requests per second, and no request fails (anything but 200 is an error).

The client is wrk (Debian package `wrk`) when installed: C and epoll, it costs little CPU on
the machine the server shares. Without it a threaded http.client loop stands in, which on two
cores takes CPU from the server; the CPU columns show how much.

    .venv/bin/python bench/load.py          # or: make bench-load

Environment: BENCH_SECONDS (30), BENCH_CONCURRENCY (20), BENCH_WARMUP (3),
BENCH_CLIENT (auto | wrk | python), BENCH_WRK_THREADS (1), BENCH_STRICT=1 (exit 1 on a MISS),
and those of bench/_common.py (BENCH_DATABASE_URL, BENCH_WORKERS, BENCH_PORT).
Not a test: never run by pytest or CI.
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time

from _common import (
    DOCUMENT_KEY,
    CpuMeter,
    Server,
    env_float,
    env_int,
    error_log_summary,
    log,
    percentile,
    postgres_pids,
)

TARGET_RATIO = 0.40

# Counts every answer but a 200 as an error (a 302 to the sign-in page included), and prints
# the figures as one JSON line.
WRK_SCRIPT = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local non200 = 0
  for _, t in ipairs(threads) do non200 = non200 + t:get("bad") end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "non200": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"p50": %d, "p95": %d, "p99": %d, "max": %d}\n',
    summary.requests, summary.duration, summary.bytes, non200,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def run_wrk(server, path, seconds, concurrency, script) -> dict:
    threads = min(env_int("BENCH_WRK_THREADS", 1), concurrency)
    cookie = "; ".join(f"{k}={v}" for k, v in server.cookies.items())
    cmd = [
        "wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(seconds))}s",
        "--timeout", "30s", "-s", script, "-H", f"Cookie: {cookie}", server.base + path,
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
    data = json.loads(line[8:])
    errors = data["non200"] + data["connect"] + data["read"] + data["write"] + data["timeout"]
    return {
        "requests": data["requests"],
        "errors": errors,
        "seconds": data["duration_us"] / 1e6,
        "bytes": data["bytes"],
        "p50": data["p50"] / 1000,
        "p95": data["p95"] / 1000,
        "p99": data["p99"] / 1000,
        "max": data["max"] / 1000,
    }


def run_python(server, path, seconds, concurrency) -> dict:
    """Fallback client: one thread and one http.client connection per concurrent user."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    sizes = [0] * concurrency
    start = time.perf_counter()
    deadline = start + seconds

    def user(i: int) -> None:
        client = server.client(timeout=30)
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            size = 0
            try:
                response = client.get(path)
                ok = response.status == 200
                size = len(response.body)
            except Exception:
                ok = False
            t1 = time.perf_counter()
            if t1 > deadline:
                break
            latencies[i].append(t1 - t0)
            sizes[i] += size
            if not ok:
                errors[i] += 1
        client.close()

    threads = [threading.Thread(target=user, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = sorted(x * 1000 for lat in latencies for x in lat)
    return {
        "requests": len(merged),
        "errors": sum(errors),
        "seconds": time.perf_counter() - start,
        "bytes": sum(sizes),
        "p50": percentile(merged, 50),
        "p95": percentile(merged, 95),
        "p99": percentile(merged, 99),
        "max": merged[-1] if merged else float("nan"),
    }


def cost_ms(result: dict) -> float:
    """gunicorn + PostgreSQL CPU milliseconds per request."""
    if not result["requests"]:
        return 0.0
    share = (result["cpu"]["gunicorn"] + result["cpu"]["postgres"]) / 100
    return 1000 * share * result["seconds"] / result["requests"]


def measure(server, path, seconds, concurrency, kind, script) -> dict:
    server.wait_idle()
    meter = CpuMeter({"gunicorn": server.pids, "postgres": postgres_pids})
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    meter.start()
    if kind == "wrk":
        result = run_wrk(server, path, seconds, concurrency, script)
    else:
        result = run_python(server, path, seconds, concurrency)
    cpu = meter.stop()
    if kind == "wrk":
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = (children1.ru_utime - children0.ru_utime) + (children1.ru_stime - children0.ru_stime)
        cpu["client"] = 100 * used / result["seconds"]
    else:
        cpu["client"] = cpu["self"]
    result["cpu"] = cpu
    server.wait_idle()
    result["rps"] = result["requests"] / result["seconds"] if result["seconds"] else 0.0
    return result


def main() -> int:
    seconds = env_float("BENCH_SECONDS", 30)
    concurrency = env_int("BENCH_CONCURRENCY", 20)
    warmup = env_float("BENCH_WARMUP", 3)
    kind = os.environ.get("BENCH_CLIENT", "auto").strip().lower() or "auto"
    if kind == "auto":
        kind = "wrk" if shutil.which("wrk") else "python"
    if kind == "wrk" and not shutil.which("wrk"):
        sys.exit("BENCH_CLIENT=wrk but wrk is not installed (apt-get install wrk).")
    if kind == "python":
        log("wrk not found (apt-get install wrk): using the threaded Python client")

    with Server(name="load") as server:
        script = str(server.tmp / "count.lua")
        with open(script, "w") as f:
            f.write(WRK_SCRIPT)
        endpoints = [
            ("trivial", "/healthz"),
            ("document", f"/postmortems/{DOCUMENT_KEY}/"),
            ("list", "/"),
            ("search", server.search_path()),
        ]
        check = server.client()
        for name, path in endpoints:
            response = check.get(path)
            if response.status != 200 or (
                name == "document" and DOCUMENT_KEY.encode() not in response.body
            ):
                raise RuntimeError(f"{path} answers {response.status}: not the page to measure")
        check.close()

        results = {}
        for name, path in endpoints:
            if warmup > 0:
                log(f"{name}: warm-up {warmup:g} s")
                measure(server, path, warmup, concurrency, kind, script)
            log(f"{name}: {seconds:g} s at concurrency {concurrency} on {path}")
            results[name] = measure(server, path, seconds, concurrency, kind, script)
            r = results[name]
            log(f"{name}: {r['requests']} requests, {r['errors']} errors, {r['rps']:.1f} req/s")
        problems = error_log_summary(server.error_log, since_line=server.log_start_line)
        workers = server.workers

    cores = os.cpu_count() or 1
    client_label = (
        f"wrk, {min(env_int('BENCH_WRK_THREADS', 1), concurrency)} thread(s)"
        if kind == "wrk"
        else "Python threads"
    )
    print()
    print(
        f"Load: {seconds:g} s per endpoint at concurrency {concurrency}; gunicorn {workers} sync "
        f"workers (2 × {cores} cores + 1), DEBUG off, PostgreSQL; client: {client_label}"
    )
    header = (
        f"{'endpoint':<9} {'path':<38} {'requests':>8} {'errors':>6} {'req/s':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'KB/resp':>7}  "
        f"{'CPU%: client':>12} {'gunicorn':>8} {'postgres':>8} {'machine':>7}  "
        f"{'server CPU ms/req':>17}"
    )
    print(header)
    print("-" * len(header))
    for (name, path), r in zip(endpoints, results.values(), strict=True):
        cpu = r["cpu"]
        kb = r["bytes"] / r["requests"] / 1024 if r["requests"] else 0
        print(
            f"{name:<9} {path[:38]:<38} {r['requests']:>8} {r['errors']:>6} {r['rps']:>8.1f} "
            f"{r['p50']:>7.1f} {r['p95']:>7.1f} {r['p99']:>7.1f} {kb:>7.1f}  "
            f"{cpu['client']:>12.0f} {cpu['gunicorn']:>8.0f} {cpu['postgres']:>8.0f} "
            f"{cpu['machine']:>7.0f}  {cost_ms(r):>17.1f}"
        )
    print(
        f"(CPU: percent of one core; machine: percent of all {cores} cores, other processes on "
        "the machine included; server CPU ms/req: gunicorn + PostgreSQL CPU time per request; "
        "KB/resp: as the client counts it, wrk with the headers)"
    )
    if problems:
        print("gunicorn error log:")
        for line in problems:
            print("  " + line)

    trivial, document = results["trivial"], results["document"]
    ratio = document["rps"] / trivial["rps"] if trivial["rps"] else 0.0
    total = sum(r["requests"] for r in results.values())
    errors = sum(r["errors"] for r in results.values())
    print()
    print(
        f"document / trivial throughput: {document['rps']:.1f} / {trivial['rps']:.1f} req/s "
        f"= {ratio:.1%} (target ≥ {TARGET_RATIO:.0%})"
    )
    if cost_ms(document):
        print(
            f"by server CPU per request (what else runs on the machine aside): "
            f"{cost_ms(trivial):.1f} / {cost_ms(document):.1f} ms "
            f"= {cost_ms(trivial) / cost_ms(document):.1%}"
        )
    misses = 0
    for ok, text in [
        (
            ratio >= TARGET_RATIO,
            f"document page ≥ 40 % of the trivial page's throughput: {ratio:.1%}",
        ),
        (errors == 0, f"zero errors: {errors} of {total} requests failed"),
    ]:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
        misses += not ok
    strict = os.environ.get("BENCH_STRICT", "").lower() in ("1", "true", "yes", "on")
    return 1 if misses and strict else 0


if __name__ == "__main__":
    sys.exit(main())
