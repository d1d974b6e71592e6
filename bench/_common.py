"""What the benchmarks share: a dedicated PostgreSQL database, gunicorn run as in production,
a signed-in bench user, a lean HTTP client, and CPU accounting from /proc.

Standard library only, plus psycopg (a dependency of the app already). The scripts are run with
the project's interpreter: ``.venv/bin/python bench/load.py``.

Environment:
    BENCH_DATABASE_URL   PostgreSQL database the benchmarks own (created when missing),
                         default postgres://postgres@127.0.0.1:5432/postmortems_bench
    BENCH_RESET_DB=1     drop and recreate that database first
    BENCH_WORKERS        gunicorn workers, default 2 × cores + 1
    BENCH_PORT           first port tried, default 8021
"""

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postmortems_bench"
HOST = "127.0.0.1"
DOCUMENT_KEY = "INCIDENT-12345"  # the demo document (Final: read-only)
EDIT_KEY = "BENCH-EDITS"  # a Draft the bench user authors, for the edits
BENCH_USERNAME = "bench"
SEARCH_TEXT = "database connection pool"
GUNICORN_TIMEOUT = 30  # as in the Dockerfile

# Runs inside Django (the bench settings) to create the bench user, its Draft and a session.
_FIXTURES = f"""
import datetime, json
from importlib import import_module

import django

django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

from accounts.models import User
from postmortems import workflow
from postmortems.models import Postmortem, Severity

user, created = User.objects.get_or_create(
    username={BENCH_USERNAME!r},
    defaults={{"display_name": "Bench Runner", "email": "bench@example.com"}},
)
if created:
    user.set_unusable_password()
    user.save()
doc = Postmortem.objects.filter(key={EDIT_KEY!r}).first()
if doc is not None and (doc.status != Postmortem.Status.DRAFT or user not in doc.authors.all()):
    doc.delete()
    doc = None
if doc is None:
    doc = workflow.create_draft(
        by=user,
        key={EDIT_KEY!r},
        title="Benchmark edits",
        incident_date=datetime.date(2026, 1, 29),
        severity=Severity.SEV3,
    )
# Earlier runs' rows would only make the editor page heavier.
doc.timeline.all().delete()
doc.activity.all().delete()
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print("BENCH " + json.dumps({{"sessionid": session.session_key, "cookie": settings.SESSION_COOKIE_NAME}}))
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL


def default_workers() -> int:
    return env_int("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1)


def db_conninfo(url: str, **overrides) -> str:
    import psycopg.conninfo

    return psycopg.conninfo.make_conninfo(url, **overrides)


def db_address(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def ensure_database(url: str) -> None:
    """Create the benchmark database when missing (BENCH_RESET_DB=1: drop it first)."""
    import psycopg
    from psycopg import sql

    name = psycopg.conninfo.conninfo_to_dict(url).get("dbname")
    if not name:
        sys.exit(f"BENCH_DATABASE_URL names no database: {url}")
    try:
        admin = psycopg.connect(db_conninfo(url, dbname="postgres", connect_timeout=5))
    except psycopg.OperationalError as exc:
        sys.exit(f"PostgreSQL is not reachable at {url}: {str(exc).strip()}")
    with admin:
        admin.autocommit = True
        if os.environ.get("BENCH_RESET_DB", "").lower() in ("1", "true", "yes", "on"):
            log(f"dropping database {name} (BENCH_RESET_DB)")
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"creating database {name}")
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def free_port(start: int) -> int:
    for port in range(start, start + 200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}..{start + 199}")


class Server:
    """gunicorn as the Dockerfile runs it, production settings, on a dedicated database.

    The settings are the app's own (config.settings) with one difference: STATIC_ROOT points
    to a temporary directory, so collectstatic (needed with DEBUG off) leaves the work tree
    alone. Use as a context manager: it migrates, seeds, starts, and always stops gunicorn.
    """

    def __init__(self, *, url: str | None = None, workers: int | None = None, name: str = "bench"):
        self.url = url or database_url()
        self.workers = workers or default_workers()
        self.tmp = Path(tempfile.mkdtemp(prefix=f"postmortems-{name}-"))
        self.static_root = self.tmp / "static"
        self.access_log = self.tmp / "gunicorn-access.log"
        # gunicorn's own log and the app's (Django logs to stderr), tracebacks included.
        self.error_log = self.tmp / "gunicorn.log"
        self.log_start_line = 0
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.cookies: dict[str, str] = {}
        (self.tmp / "bench_settings.py").write_text(
            "from config.settings import *  # noqa: F403\n\n"
            f"STATIC_ROOT = {str(self.static_root)!r}\n"
        )
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench_settings",
            "PYTHONPATH": os.pathsep.join([str(self.tmp), str(BASE_DIR)]),
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": self.url,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "bench-" + secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
        }

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def manage(self, *args: str) -> str:
        return self._python(str(BASE_DIR / "manage.py"), *args)

    def _python(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise RuntimeError(f"failed: python {' '.join(args)[:80]}")
        return done.stdout

    def prepare(self) -> None:
        ensure_database(self.url)
        log("migrate, collectstatic, seed_demo, bench user and session")
        self.manage("migrate", "--no-input", "--verbosity", "0")
        self.manage("collectstatic", "--no-input", "--verbosity", "0")
        self.manage("seed_demo")
        out = self._python("-c", _FIXTURES)
        data = json.loads(next(line for line in out.splitlines() if line.startswith("BENCH "))[6:])
        self.cookies = {data["cookie"]: data["sessionid"]}

    def start(self) -> None:
        self.port = free_port(env_int("BENCH_PORT", 8021))
        cmd = [
            sys.executable, "-m", "gunicorn", "config.wsgi",
            "--bind", f"{HOST}:{self.port}",
            "--workers", str(self.workers),
            "--timeout", str(GUNICORN_TIMEOUT),
            "--access-logfile", str(self.access_log),
            "--access-logformat", '%(p)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms',
        ]  # fmt: skip
        if "--control-socket" in self._python("-m", "gunicorn", "--help"):
            # gunicorn ≥ 24 opens a control socket, by default one path for every instance.
            cmd += ["--control-socket", str(self.tmp / "gunicorn.ctl")]
        log(
            f"gunicorn: {self.workers} workers, timeout {GUNICORN_TIMEOUT} s, on {self.base} "
            f"(logs in {self.tmp})"
        )
        # Its own session: a Ctrl-C in the terminal reaches us, and we stop gunicorn in order.
        with open(self.error_log, "ab") as out:
            self.proc = subprocess.Popen(
                cmd,
                cwd=BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        client = Client(self.port)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.proc.returncode}); see {self.error_log}"
                )
            try:
                if client.get("/healthz").status == 200 and len(self.worker_pids()) >= self.workers:
                    self.log_start_line = len(self.error_log.read_bytes().splitlines())
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz within 60 s; see {self.error_log}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=GUNICORN_TIMEOUT + 5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def access_log_lines(self) -> int:
        try:
            with open(self.access_log, "rb") as f:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 16), b""))
        except OSError:
            return 0

    def wait_idle(self, timeout: float = 60) -> None:
        """Wait until gunicorn has answered what is queued: requests that a load generator
        gave up on at its deadline still run, and would slow the next measurement."""
        deadline = time.monotonic() + timeout
        last, still = self.access_log_lines(), 0
        while time.monotonic() < deadline and still < 2:
            time.sleep(0.5)
            now = self.access_log_lines()
            still = still + 1 if now == last else 0
            last = now

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def pids(self) -> list[int]:
        return ([self.proc.pid] if self.proc else []) + self.worker_pids()

    def client(self, timeout: float = 60) -> "Client":
        return Client(self.port, cookies=dict(self.cookies), timeout=timeout)

    def search_path(self) -> str:
        """/search/?q=… when the full-text search page exists, else the list's simple matcher."""
        query = urllib.parse.urlencode({"q": SEARCH_TEXT})
        if self.client().get(f"/search/?{query}").status == 200:
            return f"/search/?{query}"
        return f"/?{query}"

    def __enter__(self) -> "Server":
        try:
            self.prepare()
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.static_root, ignore_errors=True)


# --- HTTP ----------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Client:
    """http.client with keep-alive when the server allows it, and a cookie jar that sends
    every cookie (the app's cookies are Secure with DEBUG off; this is plain HTTP)."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 60
    csrf_form_token: str = ""
    _conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers=None) -> Response:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self._conn is None:
            self._conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            self._conn.request(method, path, body=body, headers=headers)
            raw = self._conn.getresponse()
            data = raw.read()
        except BaseException:
            self.close()
            raise
        for header in raw.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        if raw.will_close:
            self.close()
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def load_csrf(self, form_path: str) -> Response:
        """Open a form page: keeps its csrftoken cookie and its csrfmiddlewaretoken."""
        response = self.get(form_path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.body)
        if response.status != 200 or not match or "csrftoken" not in self.cookies:
            raise RuntimeError(f"no CSRF token on {form_path} (HTTP {response.status})")
        self.csrf_form_token = match.group(1).decode()
        return response

    def post_form(self, path: str, data: dict[str, str]) -> Response:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf_form_token, **data})
        return self.request(
            "POST",
            path,
            body=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
                "Referer": f"http://{HOST}:{self.port}/",
            },
        )

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# --- CPU accounting ------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _machine_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values[:8]) - idle, sum(values[:8])


class CpuMeter:
    """CPU seconds used by groups of processes (and the whole machine) between start and stop.

    Processes that exit in between are missed; the groups are re-read at stop, so processes
    that started in between count in full.
    """

    def __init__(self, groups):
        self.groups = groups  # name -> callable returning pids

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.self0 = os.times()
        self.before = {
            name: {p: _proc_ticks(p) for p in get()} for name, get in self.groups.items()
        }
        self.machine0 = _machine_ticks()

    def stop(self) -> dict[str, float]:
        """Percent of one core per group; "machine" in percent of all cores."""
        elapsed = time.monotonic() - self.t0
        result = {}
        for name, get in self.groups.items():
            ticks = 0
            for pid in get():
                now = _proc_ticks(pid)
                if now is not None:
                    ticks += now - (self.before[name].get(pid) or 0)
            result[name] = 100 * ticks / _TICK / elapsed
        busy1, total1 = _machine_ticks()
        busy = busy1 - self.machine0[0]
        total = total1 - self.machine0[1]
        result["machine"] = 100 * busy / total if total else 0.0
        spent = os.times()
        result["self"] = (
            100 * (spent.user + spent.system - self.self0.user - self.self0.system) / elapsed
        )
        return result


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def error_log_summary(path: Path, since_line: int = 0, top: int = 8) -> list[str]:
    """The most frequent failures in gunicorn's log: the final exception of each traceback
    (the one the request died of, not the ones chained before it), and worker events."""
    try:
        lines = path.read_text(errors="replace").splitlines()[since_line:]
    except OSError:
        return []
    counts: dict[str, int] = {}

    def count(key: str) -> None:
        key = re.sub(r"\d+", "N", key)[:160]
        counts[key] = counts.get(key, 0) + 1

    final = None  # the last exception line of the traceback being read
    for line in [*lines, "<end>"]:
        text = line.strip()
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout|Shutdown)\b.*:", line):
            final = text
            continue
        if final and (line == "<end>" or re.match(r"^\[?\d{4}-\d\d-\d\d", line)):
            count(final)  # a new log record, or the end: the traceback is over
            final = None
        if "WORKER TIMEOUT" in text or "Worker exiting" in text or "Booting worker" in text:
            count(re.sub(r".*\] ", "", text))
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
    return [f"{n:6d} × {text}" for text, n in ranked]
