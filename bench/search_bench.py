"""Search benchmark (`make bench`): /search/ against the plain list page at 5,000 and 50,000.

Fills a dedicated PostgreSQL database (``SEARCH_BENCH_DATABASE_URL``, by default
postgres://postgres@127.0.0.1:5432/postmortems_search_bench, created when missing) with postmortems
of realistic size — a dozen timeline events, a few action items, factors, lessons, links and
paragraphs each, in varied words — by bulk inserts followed by one set-based reindex. Then it
times the real views through django.test.Client: 50 varied searches (words, phrases,
exclusions, "or", keys, every filter, date sort, page 2) and the plain list page, interleaved,
and prints p50/p95 of each, at 5,000 documents and again at 50,000.

Targets: search p95 ≤ 3 × the list page's p95; ten times the data at most twice the time.

It is a benchmark, not a test: it never runs in `make test` or CI. Each size has a database of its
own (the URL's name + "_5000", "_50000"), reused while complete (``--fresh`` rebuilds); it
refuses to touch one holding postmortems it did not make.
"""

import argparse
import datetime
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postmortems_search_bench"
BENCH_URL = os.environ.get("SEARCH_BENCH_DATABASE_URL") or DEFAULT_URL
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

KEY_PREFIX = "BENCH-"
SIZES = (5_000, 50_000)
BATCH = 1_000


def _split(words):
    return words.split()


SERVICES = _split("""api payments checkout search auth billing notifications email sms cdn dns gateway
ledger inventory orders cart recommendations feed media upload thumbnails chat presence sessions
identity profile analytics reporting warehouse etl kafka redis postgres mysql elasticsearch
rabbitmq memcached object-storage kubernetes istio envoy nginx haproxy vault consul terraform
ci scheduler cron batch ml-serving fraud risk pricing shipping tax geo maps translation""")
FAILURES = [
    "connection pool exhaustion",
    "certificate expiry",
    "DNS misconfiguration",
    "memory leak",
    "disk full",
    "cache eviction storm",
    "thundering herd",
    "deadlock",
    "replication lag",
    "split brain",
    "noisy neighbour",
    "rate limit misconfiguration",
    "bad deploy",
    "configuration drift",
    "expired credentials",
    "clock skew",
    "retry storm",
    "queue backlog",
    "hot partition",
    "index dropped by a migration",
    "OOM kills",
    "CPU throttling",
    "network partition",
    "BGP route leak",
    "health check flapping",
    "feature flag misfire",
    "schema migration lock",
    "garbage collection pauses",
    "file descriptor exhaustion",
    "TLS handshake failures",
    "upstream provider outage",
    "overlapping cron jobs",
    "autoscaler lag",
    "stale DNS cache",
    "corrupted cache entries",
    "runaway query",
    "missing index",
    "log volume spike",
    "secret rotation failure",
    "timezone bug",
]
WORDS = _split("""request requests latency error errors rate timeout timeouts retry retries deploy
deployment rollback rollout canary traffic spike peak load capacity database query queries
connection connections pool cache node nodes cluster replica primary failover alert alerts
page paged pager on-call engineer incident commander customer customers users region zone
service services dependency upstream downstream queue consumer producer lag backlog throughput
memory cpu disk network packet loss socket thread threads worker workers process restart
restarted config configuration flag change release version migration schema index table lock
locks contention saturation threshold dashboard metric metrics graph logs trace traces span
health check probe readiness liveness container pod deployment scaling autoscaler limit quota
budget slo sli availability degraded outage partial complete mitigation workaround fix hotfix
patch investigation root cause safeguard monitoring detection response resolution verified
stable baseline recovery backfill replay data loss corruption consistency eventual write read
batch job schedule cron nightly weekly vendor provider contract escalation status update
communication support ticket tickets complaint complaints incident timeline runbook playbook
gameday drill postmortem blameless review approval sign owner action item priority due
""")
SYLLABLES = _split(
    "ka lo mi ne ru sa ti vo ze bi da fe gu hi jo ku li mo nu pa re si to vu wa xe yo zu"
)
PEOPLE = _split("Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy")


def vocabulary():
    """Real incident words, most frequent first, then 4,000 rarer made-up ones (Zipf-like)."""
    rng, made_up = random.Random(0), set()
    while len(made_up) < 4000:
        made_up.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    words = WORDS + SERVICES + sorted(made_up)
    return words, list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(words))))


VOCABULARY, CUMULATIVE_WEIGHTS = vocabulary()


class Writer:
    """Deterministic text of realistic shape: sentences of frequent and rare words."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def words_(self, n):
        return self.rng.choices(VOCABULARY, cum_weights=CUMULATIVE_WEIGHTS, k=n)

    def sentence(self, lo=8, hi=18, *, service=None, failure=None):
        words = self.words_(self.rng.randint(lo, hi))
        if service and self.rng.random() < 0.5:
            words.insert(self.rng.randrange(len(words)), service)
        if failure and self.rng.random() < 0.3:
            words.insert(self.rng.randrange(len(words)), failure)
        if self.rng.random() < 0.15:
            words.append(f"{self.rng.choice(SERVICES)}-{self.rng.randrange(16**4):04x}")
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def paragraph(self, n, **kw):
        return " ".join(self.sentence(**kw) for _ in range(n))

    def lines(self, n, **kw):
        return "\n".join(self.sentence(4, 10, **kw) for _ in range(n))


def create_database():
    import psycopg

    parts = urlsplit(BENCH_URL)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            log(f"Created database {name}.")


def empty_database():
    from django.db import connection

    from postmortems.models import Postmortem

    foreign = Postmortem.objects.exclude(key__startswith=KEY_PREFIX)
    if foreign.exists():
        sys.exit(
            f"{BENCH_URL} holds postmortems this benchmark did not make "
            f"(e.g. {foreign.first().key}); point SEARCH_BENCH_DATABASE_URL at a database of its own."
        )
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE postmortems_postmortem, postmortems_tag RESTART IDENTITY CASCADE")


def people():
    from accounts.models import User

    users = []
    for n in range(300):
        user, _ = User.objects.get_or_create(
            username=f"bench{n:03d}",
            defaults={"display_name": f"{PEOPLE[n % len(PEOPLE)]} Bench{n:03d}"},
        )
        users.append(user)
    return users


def generate(start, stop, users, tags):
    """Documents number `start` to `stop - 1`, bulk-inserted with all their rows."""
    from django.db import transaction

    from postmortems.models import (
        ActionItem,
        ContributingFactor,
        Lesson,
        Postmortem,
        Responder,
        SupportingLink,
        TimelineEvent,
    )

    Authors, Tags = Postmortem.authors.through, Postmortem.tags.through
    restricted = any(f.name == "restricted" for f in Postmortem._meta.fields)
    first_day = datetime.date(2020, 1, 1)
    for batch_start in range(start, stop, BATCH):
        documents, extras = [], []
        for n in range(batch_start, min(batch_start + BATCH, stop)):
            w = Writer(n)
            rng = w.rng
            service, failure = rng.choice(SERVICES), rng.choice(FAILURES)
            day = first_day + datetime.timedelta(days=rng.randrange(2500))
            fields = {
                "key": f"{KEY_PREFIX}{day.year}-{n:06d}",
                "title": f"{service.capitalize()} {rng.choice(['outage', 'degradation', 'errors', 'latency', 'incident'])}: {failure}",
                "incident_date": day,
                "severity": rng.choices(["sev1", "sev2", "sev3", "sev4"], [5, 20, 45, 30])[0],
                "status": rng.choices(["final", "in_review", "draft"], [85, 10, 5])[0],
                "executive_summary": w.paragraph(3, service=service, failure=failure),
                "regions": rng.choice(["Global", "eu-west-1", "us-east-1", "ap-south-1"]),
                "revenue_impact": w.sentence(),
                "reputation_impact": w.sentence(),
                "slo_name": f"{service} availability",
                "root_cause_summary": failure.capitalize(),
                "root_cause_component": w.sentence(service=service),
                "root_cause_why": w.paragraph(2, failure=failure),
                "root_cause_underlying": w.paragraph(3, service=service, failure=failure),
                "root_cause_safeguards": w.paragraph(2),
                "detection_description": w.sentence(),
                "detection_notes": w.paragraph(2),
                "response_actions": w.lines(6, service=service),
                "went_well": w.lines(3),
                "went_poorly": w.lines(3, failure=failure),
                "resolution_summary": w.sentence(6, 12, service=service),
                "resolution_details": w.paragraph(2, service=service),
                "verification": w.lines(3),
                "created_by": rng.choice(users),
            }
            if restricted:
                fields["restricted"] = rng.random() < 0.02
            documents.append(Postmortem(**fields))
            extras.append((w, service, failure, day))

        rows = {model: [] for model in (TimelineEvent, ContributingFactor, Responder)}
        rows.update({ActionItem: [], Lesson: [], SupportingLink: []})
        authors, tagged = [], []
        for pm, (w, service, failure, day) in zip(documents, extras, strict=True):
            rng = w.rng
            at = datetime.datetime.combine(day, datetime.time(rng.randrange(24)), datetime.UTC)
            for i in range(rng.randint(10, 14)):
                rows[TimelineEvent].append(
                    TimelineEvent(
                        postmortem=pm,
                        occurred_at=at + datetime.timedelta(minutes=4 * i),
                        description=w.sentence(6, 16, service=service, failure=failure),
                    )
                )
            for _ in range(rng.randint(2, 5)):
                rows[ContributingFactor].append(
                    ContributingFactor(postmortem=pm, description=w.sentence())
                )
            for role in rng.sample(["On-call", "Incident Commander", "SME", "Comms"], 3):
                rows[Responder].append(Responder(postmortem=pm, role=role, name=rng.choice(PEOPLE)))
            for _ in range(rng.randint(3, 6)):
                rows[ActionItem].append(
                    ActionItem(
                        postmortem=pm,
                        category=rng.choice(["prevent", "detection", "response", "process"]),
                        action=w.sentence(5, 12, service=service)[:300],
                        owner=rng.choice(users),
                        due_date=day + datetime.timedelta(days=rng.randint(7, 60)),
                        priority=rng.choice(["p0", "p1", "p2", "p3"]),
                        status=rng.choices(["done", "open", "in_progress"], [70, 20, 10])[0],
                    )
                )
            for _ in range(rng.randint(3, 5)):
                rows[Lesson].append(Lesson(postmortem=pm, text=w.sentence()))
            for i in range(rng.randint(2, 4)):
                rows[SupportingLink].append(
                    SupportingLink(
                        postmortem=pm,
                        title=w.sentence(2, 5),
                        url=f"https://grafana.example.com/d/{service}-{i}",
                    )
                )
            for user in rng.sample(users, rng.randint(1, 3)):
                authors.append(Authors(postmortem=pm, user_id=user.pk))
            for tag in {tags[service], *rng.sample(list(tags.values()), rng.randint(0, 2))}:
                tagged.append(Tags(postmortem=pm, tag_id=tag.pk))
        # One batch, one transaction: a restarted cluster loses whole batches only, and the
        # next run carries on from the documents that are there.
        with transaction.atomic():
            Postmortem.objects.bulk_create(documents)
            for model, objects in rows.items():
                model.objects.bulk_create(objects, batch_size=5000)
            Authors.objects.bulk_create(authors)
            Tags.objects.bulk_create(tagged)


def queries(users, keys):
    """50 varied searches, as people type them."""
    alice = users[7].username
    searches = [
        {"q": "outage"},
        {"q": "database"},
        {"q": "timeout"},
        {"q": "latency spike"},
        {"q": "rollback"},
        {"q": "payments"},
        {"q": "redis"},
        {"q": "kafka consumer lag"},
        {"q": '"connection pool"'},
        {"q": '"certificate expiry"'},
        {"q": '"replication lag"'},
        {"q": "dns misconfiguration"},
        {"q": "memory leak checkout"},
        {"q": "outage -redis"},
        {"q": "latency -cdn -dns"},
        {"q": "kafka or rabbitmq"},
        {"q": "deadlock or timeout"},
        {"q": keys[0]},
        {"q": keys[1]},
        {"q": "kalo"},
        {"q": "mineru satizu"},
        {"q": "failover replica primary"},
        {"q": "thundering herd retry storm"},
        {"q": "the alert fired late"},
        {"q": "exhausted pools"},
        {"q": "outage", "severity": "sev1"},
        {"q": "database", "status": "final"},
        {"q": "timeout", "since": "2024-01-01", "until": "2024-12-31"},
        {"q": "latency", "service": "api"},
        {"q": "errors", "author": alice},
        {"q": "rollback", "open_items": "on"},
        {"q": "redis", "severity": ["sev1", "sev2"], "status": "final"},
        {"q": "cache", "service": "checkout", "since": "2023-01-01"},
        {"q": "deploy", "sort": "date"},
        {"q": "outage", "page": "2"},
        {"q": "database", "page": "5"},
        {"q": '"connection pool"', "sort": "date", "page": "2"},
        {"severity": "sev1", "sort": "date"},
        {"status": "in_review"},
        {"service": "payments", "since": "2025-01-01"},
        {"author": alice},
        {"open_items": "on", "severity": "sev2"},
        {"q": "incident", "severity": "sev4", "status": "draft"},
        {"q": "region eu-west-1"},
        {"q": "vendor escalation"},
        {"q": "slo budget"},
        {"q": "ci scheduler cron"},
        {"q": "TLS handshake failures"},
        {"q": "gameday drill", "sort": "date"},
        {"q": "disk full", "service": "postgres", "severity": "sev2"},
    ]
    assert len(searches) == 50
    return ["/search/?" + urlencode(params, doseq=True) for params in searches]


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(client, urls, rounds):
    """Time each search and a list page beside it; every search's result is checked."""
    list_times, search_times = [], []
    for url in [*urls, "/"]:  # warm-up: caches, plans, templates
        assert client.get(url).status_code == 200, url
    for _ in range(rounds):
        for url in urls:
            started = time.perf_counter()
            response = client.get("/")
            list_times.append(time.perf_counter() - started)
            assert response.status_code == 200
            started = time.perf_counter()
            response = client.get(url)
            search_times.append(time.perf_counter() - started)
            assert response.status_code == 200, url
    return list_times, search_times


def prepare(size, *, fresh):
    """The database for this size, filled unless a previous run left it complete."""
    from django.core.management import call_command
    from django.db import connection

    from postmortems import search
    from postmortems.models import Postmortem, Tag
    from postmortems.models.document import SearchDocument

    call_command("migrate", verbosity=0)
    users = people()
    # A batch cut short before batches were transactions lacks its last rows (its tags).
    Postmortem.objects.filter(key__startswith=KEY_PREFIX, tags__isnull=True).delete()
    have = Postmortem.objects.filter(key__startswith=KEY_PREFIX).count()
    if fresh or have > size:
        empty_database()
        have = 0
    if have == size and SearchDocument.objects.count() == size:
        log(f"{size:,} postmortems: reusing the complete database (--fresh to rebuild).")
        return users
    if have:
        log(f"{size:,} postmortems: carrying on from the {have:,} a previous run left.")
    tags = {name: Tag.objects.get_or_create(name=name.lower())[0] for name in SERVICES}
    started = time.perf_counter()
    generate(have, size, users, tags)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    if SearchDocument.objects.exists():  # a previous reindex was cut short: finish it
        missing = list(
            Postmortem.objects.filter(search_document__isnull=True).values_list("pk", flat=True)
        )
        search.reindex(missing)
    else:
        search.reindex_all()
    reindexed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(
        f"{size:,} postmortems: generated in {generated:.0f} s, "
        f"reindexed (set-based) in {reindexed:.0f} s."
    )
    return users


def run_one(size, *, rounds, fresh):
    """In a process of its own, on the database of its own size: prints one JSON line."""
    create_database()
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from postmortems.models import Postmortem

    settings.DEBUG = False  # no query log in memory
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    users = prepare(size, fresh=fresh)
    client = Client()
    client.force_login(users[7])
    keys = list(Postmortem.objects.order_by("?").values_list("key", flat=True)[:2])
    list_times, search_times = measure(client, queries(users, keys), rounds)
    print("RESULT " + json.dumps({"size": size, "list": list_times, "search": search_times}))


def log(message):
    print(message, file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="Times each of the 50 runs.")
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="Document counts, growing."
    )
    parser.add_argument("--fresh", action="store_true", help="Regenerate every database.")
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_size:
        run_one(args.one_size, rounds=args.rounds, fresh=args.fresh)
        return

    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        # One database per size (reused while complete), one process per database.
        env = {**os.environ, "SEARCH_BENCH_DATABASE_URL": f"{BENCH_URL}_{size}"}
        command = [sys.executable, __file__, "--one-size", str(size), "--rounds", str(args.rounds)]
        done = subprocess.run(
            command + (["--fresh"] if args.fresh else []),
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
        measured = json.loads(line.removeprefix("RESULT "))
        results.append((measured["size"], measured["list"], measured["search"]))
    report(results, args.rounds)


def report(results, rounds):
    ms = 1000
    print()
    print(
        f"Timings through the full Django view ({rounds} rounds of 50 searches, list page beside each):"
    )
    print(
        f"{'documents':>10} {'list p50':>9} {'list p95':>9} {'search p50':>11} {'search p95':>11}"
    )
    for size, list_times, search_times in results:
        print(
            f"{size:>10,} {statistics.median(list_times) * ms:>7.1f}ms"
            f" {percentile(list_times, 95) * ms:>7.1f}ms"
            f" {statistics.median(search_times) * ms:>9.1f}ms"
            f" {percentile(search_times, 95) * ms:>9.1f}ms"
        )
    print()
    for size, list_times, search_times in results:
        ratio = percentile(search_times, 95) / percentile(list_times, 95)
        verdict = "meets" if ratio <= 3 else "MISSES"
        print(f"At {size:,}: search p95 / list p95 = {ratio:.2f} ({verdict} the target ≤ 3).")
    if len(results) > 1:
        (small, _, small_search), (large, _, large_search) = results[0], results[-1]
        growth = percentile(large_search, 95) / percentile(small_search, 95)
        verdict = "meets" if growth <= 2 else "MISSES"
        print(
            f"Search p95 at {large:,} / at {small:,} = {growth:.2f} "
            f"({verdict} the target ≤ 2 for {large // small}× the data)."
        )


if __name__ == "__main__":
    main()
