"""The paging and alerting readers (PagerDuty, Opsgenie, Alertmanager, Grafana) on real
payloads captured by other projects (tests/fixtures/sources/*/README.md says where each came
from): exact times in UTC, milestones, authors and texts, and what hostile input does."""

import datetime
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from postmortems.exchange.sources import alertmanager, grafana, opsgenie, pagerduty
from postmortems.exchange.sources.base import MAX_CANDIDATES, MAX_TEXT, SourceRefused

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"
READERS = {m.SOURCE: m for m in (pagerduty, opsgenie, alertmanager, grafana)}
UTC = datetime.UTC


def load(path: str):
    return json.loads((FIXTURES / path).read_text())


def at(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


def rows(candidates):
    return [(c.at, c.text, c.author, c.channel, c.milestone, c.bot) for c in candidates]


# -- Telling the formats apart ----------------------------------------------------------------


def every_fixture():
    """Every parsed JSON document under the fixtures, the chat tools' too: a JSON file, each line
    of a JSON Lines file and each JSON member of a zip, with the folder it sits in."""
    for path in sorted(FIXTURES.rglob("*")):
        folder = path.parent.name
        if path.suffix == ".json":
            yield folder, path.name, json.loads(path.read_text())
        elif path.suffix == ".jsonl":
            lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            yield folder, path.name, lines
            for number, line in enumerate(lines[:50]):
                yield folder, f"{path.name}:{number}", line
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    if name.endswith(".json"):
                        yield folder, f"{path.name}:{name}", json.loads(archive.read(name))


FIXTURE_CASES = list(every_fixture())


@pytest.mark.parametrize(
    ("folder", "name", "value"), FIXTURE_CASES, ids=[f"{f}/{n}" for f, n, _ in FIXTURE_CASES]
)
def test_each_reader_claims_its_own_files_and_no_other(folder, name, value):
    claimed = {source for source, reader in READERS.items() if reader.looks_like(value)}
    assert claimed == ({folder} if folder in READERS else set())


def test_the_fixtures_cover_every_reader():
    assert {folder for folder, _, _ in FIXTURE_CASES} >= set(READERS)


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS)
@pytest.mark.parametrize(
    "value",
    [None, 1, "text", [], {}, [None], ["x"], {"alerts": "x"}, {"event": "x"}, {"messages": 3}],
)
def test_nothing_odd_looks_like_a_payload(reader, value):
    assert reader.looks_like(value) is False


# -- PagerDuty --------------------------------------------------------------------------------


def test_pagerduty_reads_an_incidents_log_entries_in_the_order_they_happened():
    candidates = pagerduty.read(load("pagerduty/log_entries.json"))
    service = "Test Service"
    assert rows(candidates) == [
        (at(2013, 3, 6, 20, 28, 46), "Triggered: GO009: Create from go program updated"
         " (service Test Service)", "Tim Wright", service, "detected", True),
        (at(2013, 3, 6, 20, 28, 46), "Assigned to Tim Wright by timeout", service, service,
         "", True),
        (at(2013, 3, 6, 20, 28, 50), "Notified Tim Wright by phone", "PagerDuty", service,
         "alerted", True),
        (at(2013, 3, 6, 20, 28, 51), "Notified Tim Wright by email", "PagerDuty", service,
         "alerted", True),
        (at(2013, 3, 6, 20, 29, 30), "Acknowledged by Tim Wright", "Tim Wright", service,
         "acknowledged", False),
        (at(2013, 3, 6, 20, 59, 30), "Unacknowledged by timeout", service, service, "", True),
        (at(2013, 3, 6, 20, 59, 30), "Notified Tim Wright by email", "PagerDuty", service,
         "alerted", True),
        (at(2013, 3, 6, 20, 59, 31), "Notified Tim Wright by sms", "PagerDuty", service,
         "alerted", True),
        (at(2013, 3, 6, 21, 0, 30), "Escalated to Bob Smith by timeout", service, service, "",
         True),
        (at(2013, 3, 6, 21, 0, 30), "Notified Bob Smith by email", "PagerDuty", service,
         "alerted", True),
        (at(2013, 3, 6, 21, 8, 43), "Notified Bob Smith by email", "PagerDuty", service,
         "alerted", True),
        (at(2013, 3, 6, 21, 33, 15), "Resolved by Tim Wright: Fixed", "Tim Wright", service,
         "resolved", False),
    ]  # fmt: skip
    assert candidates[0].ref == "PVPXJJC" and candidates[-1].ref == "PPV5KG7"
    assert {c.source for c in candidates} == {"pagerduty"}


def test_pagerduty_reads_the_api_references_example():
    (candidate,) = pagerduty.read(load("pagerduty/log_entries_openapi_example.json"))
    assert rows([candidate]) == [
        (at(2015, 11, 7, 0, 14, 20), "Triggered: The server is on fire.", "My Mail Service", "",
         "detected", True),
    ]  # fmt: skip


def test_pagerduty_reads_a_bare_list_of_log_entries_and_a_single_one():
    entries = load("pagerduty/log_entries.json")["log_entries"]
    assert pagerduty.looks_like(entries)
    assert len(pagerduty.read(entries)) == 12
    (one,) = pagerduty.read({"log_entry": entries[0]})
    assert one.text == "Resolved by Tim Wright: Fixed"


def test_pagerduty_v1_webhook():
    (candidate,) = pagerduty.read(load("pagerduty/trigger.json"))
    assert rows([candidate]) == [
        (at(2015, 2, 7, 21, 42, 52), "Triggered: foo (service Test service)", "Test service",
         "Test service", "detected", True),
    ]  # fmt: skip
    assert candidate.ref == "44df6240-af12-11e4-8e1e-22000ae31361"


def test_pagerduty_v2_webhook_reads_its_log_entries_with_their_offset():
    (candidate,) = pagerduty.read(load("pagerduty/resolve_v2.json"))
    assert rows([candidate]) == [
        (at(2017, 9, 26, 15, 18, 9), "Resolved by Laura Haley", "Laura Haley",
         "Production XDB Cluster", "resolved", False),
    ]  # fmt: skip
    assert candidate.ref == "RNAJ8DLJGWHBXXYX1CC5G50C9O"


@pytest.mark.parametrize(
    ("name", "moment", "text", "milestone"),
    [
        ("triggered_v3", at(2021, 6, 4, 13, 35, 29, 781000),
         "Triggered: Test Incident 3 (service pig208)", "detected"),
        ("acknowledged_v3", at(2021, 6, 4, 13, 55, 30, 394000),
         "Acknowledged by PIG 208: Test Incident", "acknowledged"),
        ("resolved_v3", at(2021, 6, 4, 13, 16, 53, 816000),
         "Resolved by PIG 208: Test Incident", "resolved"),
    ],
)  # fmt: skip
def test_pagerduty_v3_webhooks(name, moment, text, milestone):
    (candidate,) = pagerduty.read(load(f"pagerduty/{name}.json"))
    assert rows([candidate]) == [(moment, text, "PIG 208", "pig208", milestone, False)]


def test_pagerduty_v3_note_keeps_its_words():
    (candidate,) = pagerduty.read(load("pagerduty/annotated_v3.json"))
    assert candidate.text == (
        "Note: Running KILL on long-running queries from the reporting-service."
    )
    assert (candidate.author, candidate.milestone, candidate.ref) == (
        "Harsh Santwani",
        "",
        "01GI0KTE33V5QXBVIJDEVJFUNE",
    )


def test_pagerduty_reads_saved_webhook_bodies_one_after_another():
    bodies = [load(f"pagerduty/{n}_v3.json") for n in ("resolved", "triggered", "acknowledged")]
    bodies.append(load("pagerduty/trigger.json"))
    assert pagerduty.looks_like(bodies)
    assert [c.milestone for c in pagerduty.read(bodies)] == [
        "detected",
        "resolved",
        "detected",
        "acknowledged",
    ]


def test_pagerduty_keeps_an_unknown_entry_and_a_time_with_an_offset():
    entry = {"type": "snooze_log_entry", "created_at": "2024-05-01T10:00:00+02:00", "id": "X1"}
    (candidate,) = pagerduty.read({"log_entries": [entry]})
    assert (candidate.at, candidate.text, candidate.bot) == (
        at(2024, 5, 1, 8, 0),
        "Snooze",
        True,
    )


# -- Opsgenie ---------------------------------------------------------------------------------


def test_opsgenie_create_is_dated_by_its_milliseconds():
    (candidate,) = opsgenie.read(load("opsgenie/create.json"))
    assert rows([candidate]) == [
        (at(2017, 8, 14, 11, 25, 56, 288000), "Alert created: another alert (entity Server)",
         "test@example.com", "Webhook", "detected", True),
    ]  # fmt: skip
    assert candidate.ref == "df3ad546-c7b6-4520-8de3-52bb12d1e99a"


@pytest.mark.parametrize(
    ("name", "moment", "text", "milestone"),
    [
        ("acknowledge", at(2015, 1, 5, 10, 3, 44, 764002),
         "Acknowledged by fili@ifountain.com (alert: test alert)", "acknowledged"),
        ("addnote", at(2015, 1, 5, 10, 4, 35, 2001),
         "Note by fili@ifountain.com: note to test alert (alert: test alert)", ""),
        ("close", at(2015, 1, 5, 10, 6, 14, 669002),
         "Closed by fili@ifountain.com (alert: test alert)", "resolved"),
    ],
)  # fmt: skip
def test_opsgenie_actions_are_dated_by_their_nanoseconds(name, moment, text, milestone):
    (candidate,) = opsgenie.read(load(f"opsgenie/{name}.json"))
    expected = (moment, text, "fili@ifountain.com", "Integration1", milestone, False)
    assert rows([candidate]) == [expected]


def test_opsgenie_escalate_carries_no_time_and_is_counted_not_invented():
    skipped = Counter()
    assert opsgenie.read(load("opsgenie/escalate.json"), skipped) == []
    assert sum(skipped.values()) == 1


def test_opsgenie_reads_a_list_of_bodies_in_time_order():
    names = ("close", "addnote", "create", "acknowledge", "escalate")
    bodies = [load(f"opsgenie/{n}.json") for n in names]
    assert opsgenie.looks_like(bodies)
    skipped = Counter()
    found = opsgenie.read(bodies, skipped)
    assert [c.milestone for c in found] == ["acknowledged", "", "resolved", "detected"]
    assert sum(skipped.values()) == 1


# -- Alertmanager and Grafana -----------------------------------------------------------------


def test_alertmanager_firing_alerts_are_detections_with_labels_and_annotations():
    candidates = alertmanager.read(load("alertmanager/alert.json"))
    started = at(2020, 2, 6, 0, 17, 58, 432911)
    labels = "[host=andromeda, severity=critical]"
    assert rows(candidates) == [
        (started, "Firing: High CPU Temperature — High CPU core temperature. CPU core "
         f"temperature is 34.75C {labels}", "Alertmanager", "ops-zulip", "detected", True),
        (started, "Firing: High CPU Temperature — High CPU core temperature. CPU core "
         f"temperature is 17.625C {labels}", "Alertmanager", "ops-zulip", "detected", True),
    ]  # fmt: skip
    assert [c.ref for c in candidates] == ["a1bc48475b20e73d:firing", "c2ea85182f28cbd9:firing"]


def test_alertmanager_a_resolved_alert_with_the_zero_end_time_is_not_given_one():
    skipped = Counter()
    (candidate,) = alertmanager.read(load("alertmanager/single_alert.json"), skipped)
    assert candidate.milestone == "detected"
    assert skipped == Counter({"resolved alerts without an end time": 1})


def test_alertmanager_the_same_alert_in_two_notifications_is_read_once():
    body = load("alertmanager/alert.json")
    assert len(alertmanager.read([body, body, load("alertmanager/single_alert.json")])) == 2


def test_grafana_resolved_alert_is_a_detection_and_a_resolution():
    candidates = grafana.read(load("grafana/alert-9-resolved.json"))
    about = (
        "Test alert — This is a summary field, failure on <no value>. This is a description"
        " [test=true]"
    )
    assert rows(candidates) == [
        (at(2022, 6, 17, 0, 41, 0, 782137), f"Firing: {about}", "Grafana", "Webhook test",
         "detected", True),
        (at(2022, 6, 17, 0, 51, 24, 67337), f"Resolved: {about}", "Grafana", "Webhook test",
         "resolved", True),
    ]  # fmt: skip
    assert {c.source for c in candidates} == {"grafana"}


def test_grafana_offsets_are_turned_into_utc_and_an_empty_receiver_names_the_alert():
    firing = grafana.read(load("grafana/alert_new_multiple.json"))
    assert [(c.at, c.channel) for c in firing] == [
        (at(2021, 10, 12, 7, 51, 3, 157076), "My Super Webhook"),
        (at(2021, 10, 12, 7, 56, 3, 157076), "My Super Webhook"),
    ]
    resolved = grafana.read(load("grafana/alert_new.json"))
    assert [(c.at, c.channel, c.milestone) for c in resolved] == [
        (at(2022, 8, 31, 5, 54, 4, 522893), "TestAlert", "detected"),
        (at(2022, 8, 31, 10, 30, 0, 522884), "TestAlert", "resolved"),
    ]


def test_grafana_legacy_alert_has_no_time_and_is_refused_with_what_to_do():
    with pytest.raises(SourceRefused, match="contact point"):
        grafana.read(load("grafana/alert.json"))


# -- Hostile input ----------------------------------------------------------------------------


def test_a_huge_list_stops_at_the_bound():
    entry = {"type": "notify_log_entry", "created_at": "2024-01-01T00:00:00Z", "summary": "x"}
    skipped = Counter()
    found = pagerduty.read({"log_entries": [entry] * (MAX_CANDIDATES + 10)}, skipped)
    assert len(found) == MAX_CANDIDATES
    assert sum(skipped.values()) == 10


def test_a_huge_alert_group_stops_at_the_bound():
    alert = {"status": "firing", "labels": {}, "startsAt": "2024-01-01T00:00:00Z"}
    body = {"receiver": "r", "groupKey": "k", "alerts": []}
    body["alerts"] = [{**alert, "fingerprint": str(n)} for n in range(MAX_CANDIDATES + 3)]
    assert len(alertmanager.read(body)) == MAX_CANDIDATES


def test_a_long_text_is_clipped():
    long = "word " * 5_000
    entry = {"type": "annotate_log_entry", "created_at": "2024-01-01T00:00:00Z"}
    (candidate,) = pagerduty.read({"log_entries": [{**entry, "channel": {"summary": long}}]})
    assert len(candidate.text) <= MAX_TEXT


def test_deep_nesting_is_not_followed():
    deep: dict = {}
    for _ in range(10_000):
        deep = {"summary": deep}
    entry = {"type": "trigger_log_entry", "created_at": 1700000000, "incident": deep}
    (candidate,) = pagerduty.read({"log_entries": [entry]})
    assert candidate.text == "Triggered: incident"


@pytest.mark.parametrize(
    ("reader", "value"),
    [
        (pagerduty, {"log_entries": ["x", 3, None, {"type": 5, "created_at": []}]}),
        (pagerduty, {"messages": ["x", {"type": "incident.trigger", "created_on": {}}]}),
        (pagerduty, {"event": {"event_type": "incident.triggered", "occurred_at": "soon"}}),
        (opsgenie, [{"action": "Create", "alert": {"createdAt": "never", "message": []}}, 7]),
        (alertmanager, {"receiver": [], "groupKey": 1, "alerts": ["x", {"startsAt": 9}]}),
        (grafana, {"receiver": "", "orgId": "x", "groupKey": 1, "alerts": [{"startsAt": "x"}]}),
    ],
)
def test_wrong_types_are_skipped_and_counted_never_a_crash(reader, value):
    skipped = Counter()
    assert reader.read(value, skipped) == []
    assert sum(skipped.values()) >= 1


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS)
def test_nothing_at_all_is_refused_with_a_message(reader):
    with pytest.raises(SourceRefused):
        reader.read([])


def test_epoch_seconds_milliseconds_and_nanoseconds_give_the_same_moment():
    base = {"action": "Acknowledge", "alert": {"message": "m", "username": "a"}}
    moments = {
        opsgenie.read({**base, "alert": {**base["alert"], "updatedAt": value}})[0].at
        for value in (1700000000, 1700000000000, 1700000000000000000, "1700000000")
    }
    assert moments == {at(2023, 11, 14, 22, 13, 20)}
