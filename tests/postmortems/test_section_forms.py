"""Bad input gets a clear error beside its field, and everything typed is kept for the retry."""

import datetime
import re
from decimal import Decimal

import pytest
from django import forms as django_forms
from django.core.exceptions import ValidationError

from postmortems.fields import UTCDateTimeField
from postmortems.forms.base import MAX_TEXT
from postmortems.sections import BY_SLUG
from postmortems.sections.action_items import ActionItemForm
from postmortems.sections.lessons import LessonForm
from postmortems.sections.response import ResponderForm
from postmortems.sections.root_cause import ContributingFactorForm
from postmortems.sections.supporting import SupportingLinkForm
from postmortems.sections.timeline import TimelineEventForm
from tests.factories import PostmortemFactory

# The section forms as the editor uses them: bound to the document model by their section.
OverviewForm = BY_SLUG["overview"].form
ImpactForm = BY_SLUG["impact"].form
DetectionForm = BY_SLUG["detection"].form
ResolutionForm = BY_SLUG["resolution"].form

INCIDENT_DATE = datetime.date(2026, 1, 29)
BIG_PASTE = ("log line: connection refused\n" * 7_000).strip()  # about 200 KB


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def section_form(form_class, postmortem, **fields):
    data = {"section_revision": "0", **fields}
    return form_class(data, instance=postmortem, section_revision=0)


def row_form(form_class, postmortem, **fields):
    """A row form as the editor's add form uses it: prefixed "new"."""
    data = {f"new-{name}": value for name, value in fields.items()}
    return form_class(data, postmortem=postmortem, prefix="new")


def typed(form, name):
    """What the re-rendered form shows in the box: the typed text, not the cleaned value."""
    return form[name].value()


# --- UTCDateTimeField ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:23", utc(2026, 1, 29, 14, 23)),
        ("9:05", utc(2026, 1, 29, 9, 5)),
        ("14:23:05", utc(2026, 1, 29, 14, 23, 5)),
        ("2026-01-30 00:15", utc(2026, 1, 30, 0, 15)),
        ("2026-01-29T14:23:05Z", utc(2026, 1, 29, 14, 23, 5)),
        ("14:23 UTC", utc(2026, 1, 29, 14, 23)),
        ("2026-01-29 14:23+00:00", utc(2026, 1, 29, 14, 23)),
        ("  14:23  ", utc(2026, 1, 29, 14, 23)),
    ],
    ids=[
        "time-on-incident-date",
        "one-digit-hour",
        "with-seconds",
        "next-day",
        "iso-z",
        "utc-suffix",
        "zero-offset",
        "spaces",
    ],
)
def test_it_reads_a_utc_time_as_people_write_it(text, expected):
    value = UTCDateTimeField(base_date=INCIDENT_DATE).clean(text)
    assert value == expected
    assert value.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize(
    "text",
    ["25:99", "24:00", "yesterday", "2026-13-01 10:00", "2026-02-30 10:00", "14.23"],
    ids=["bad-clock", "hour-24", "word", "month-13", "february-30", "dot"],
)
def test_it_refuses_a_time_it_cannot_read(text):
    with pytest.raises(ValidationError) as caught:
        UTCDateTimeField(base_date=INCIDENT_DATE).clean(text)
    assert caught.value.code == "invalid"
    assert "14:23" in caught.value.messages[0]  # it shows how to write it


@pytest.mark.parametrize(
    "text",
    ["2026-01-29 14:23+02:00", "2026-01-29T14:23:05-05:00", "2026-01-29 14:23+05:30"],
    ids=["plus-2", "minus-5", "plus-5-30"],
)
def test_it_refuses_a_time_in_another_zone_rather_than_converting_it(text):
    with pytest.raises(ValidationError) as caught:
        UTCDateTimeField(base_date=INCIDENT_DATE).clean(text)
    assert caught.value.code == "offset"
    assert "UTC" in caught.value.messages[0]
    assert "time zone" in caught.value.messages[0]


def test_it_asks_for_the_date_when_there_is_no_base_date():
    with pytest.raises(ValidationError) as caught:
        UTCDateTimeField().clean("14:23")
    assert caught.value.code == "needs_date"
    assert "date" in caught.value.messages[0]


def test_it_takes_a_full_date_and_time_without_a_base_date():
    assert UTCDateTimeField().clean("2026-01-29 14:23") == utc(2026, 1, 29, 14, 23)


def test_it_leaves_an_optional_time_empty():
    assert UTCDateTimeField(required=False).clean("") is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (utc(2026, 1, 29, 14, 23), "2026-01-29 14:23"),
        (utc(2026, 1, 29, 14, 23, 5), "2026-01-29 14:23:05"),
        (
            datetime.datetime(
                2026, 1, 29, 15, 23, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
            ),
            "2026-01-29 14:23",
        ),
        ("14:2x", "14:2x"),
    ],
    ids=["minute", "seconds", "converted-to-utc", "typed-text-untouched"],
)
def test_it_shows_a_time_as_it_reads_one(value, shown):
    assert UTCDateTimeField().prepare_value(value) == shown


# --- ImpactForm ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_accepts_an_outage_period_on_the_incident_date(postmortem):
    form = section_form(ImpactForm, postmortem, outage_started_at="14:23", outage_ended_at="15:10")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["outage_started_at"] == utc(2026, 1, 29, 14, 23)
    assert form.cleaned_data["outage_ended_at"] == utc(2026, 1, 29, 15, 10)


@pytest.mark.django_db
def test_it_accepts_an_outage_that_ends_the_next_day(postmortem):
    form = section_form(
        ImpactForm, postmortem, outage_started_at="23:50", outage_ended_at="2026-01-30 00:15"
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["outage_ended_at"] == utc(2026, 1, 30, 0, 15)


@pytest.mark.django_db
def test_it_uses_the_incident_date_of_this_postmortem(author):
    postmortem = PostmortemFactory(incident_date=datetime.date(2025, 11, 12), authors=[author])
    form = section_form(ImpactForm, postmortem, outage_started_at="09:05")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["outage_started_at"] == utc(2025, 11, 12, 9, 5)


@pytest.mark.django_db
def test_it_refuses_an_outage_that_ends_before_it_starts(postmortem):
    form = section_form(
        ImpactForm,
        postmortem,
        outage_started_at="15:10",
        outage_ended_at="14:23",
        slo_name="API Availability",
    )
    assert not form.is_valid()
    assert list(form.errors) == ["outage_ended_at"]
    assert "cannot end before it started" in form.errors["outage_ended_at"][0]
    assert typed(form, "outage_started_at") == "15:10"
    assert typed(form, "outage_ended_at") == "14:23"
    assert typed(form, "slo_name") == "API Availability"


@pytest.mark.django_db
def test_it_puts_an_unreadable_outage_time_beside_its_field(postmortem):
    form = section_form(ImpactForm, postmortem, outage_started_at="half past two")
    assert not form.is_valid()
    assert list(form.errors) == ["outage_started_at"]
    assert typed(form, "outage_started_at") == "half past two"


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["0", "100", "100.5", "-1"])
def test_it_refuses_an_slo_target_outside_0_to_100(postmortem, target):
    form = section_form(ImpactForm, postmortem, slo_target=target, slo_window_days="28")
    assert not form.is_valid()
    assert list(form.errors) == ["slo_target"]
    assert "strictly between 0 and 100" in form.errors["slo_target"][0]
    assert typed(form, "slo_target") == target
    assert typed(form, "slo_window_days") == "28"


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["99.9", "0.01", "99.9999"])
def test_it_accepts_an_slo_target_between_0_and_100(postmortem, target):
    form = section_form(ImpactForm, postmortem, slo_target=target, slo_window_days="28")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["slo_target"] == Decimal(target)


@pytest.mark.django_db
def test_it_asks_for_the_slo_window_with_a_target(postmortem):
    form = section_form(ImpactForm, postmortem, slo_target="99.9")
    assert not form.is_valid()
    assert list(form.errors) == ["slo_window_days"]
    assert "window" in form.errors["slo_window_days"][0]
    assert typed(form, "slo_target") == "99.9"


@pytest.mark.django_db
def test_it_refuses_a_200_kb_paste_stating_the_limit(postmortem):
    form = section_form(
        ImpactForm, postmortem, reputation_impact=BIG_PASTE, slo_name="API Availability"
    )
    assert not form.is_valid()
    assert list(form.errors) == ["reputation_impact"]
    message = form.errors["reputation_impact"][0]
    assert f"{MAX_TEXT:,}" in message
    assert f"{len(BIG_PASTE):,}" in message
    assert form.data["reputation_impact"] == BIG_PASTE
    assert typed(form, "reputation_impact") == BIG_PASTE
    assert typed(form, "slo_name") == "API Availability"


@pytest.mark.django_db
def test_it_accepts_a_text_of_exactly_the_limit(postmortem):
    form = section_form(ImpactForm, postmortem, reputation_impact="x" * MAX_TEXT)
    assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_it_refuses_a_text_one_character_over_the_limit(postmortem):
    form = section_form(ImpactForm, postmortem, revenue_impact="x" * (MAX_TEXT + 1))
    assert list(form.errors) == ["revenue_impact"]


@pytest.mark.django_db
def test_it_does_not_let_the_browser_cut_a_long_paste(postmortem):
    form = section_form(ImpactForm, postmortem)
    assert "maxlength" not in form.fields["reputation_impact"].widget.attrs


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form_class", "name"),
    [
        (OverviewForm, "executive_summary"),
        (DetectionForm, "detection_notes"),
        (ResolutionForm, "verification"),
    ],
    ids=["overview", "detection", "resolution"],
)
def test_it_refuses_a_200_kb_paste_in_every_section(postmortem, form_class, name):
    form = section_form(form_class, postmortem, **{name: BIG_PASTE})
    assert not form.is_valid()
    assert f"{MAX_TEXT:,}" in " ".join(form.errors[name])
    assert typed(form, name) == BIG_PASTE


@pytest.mark.django_db
def test_it_refuses_a_section_save_without_its_revision(postmortem):
    form = ImpactForm({"slo_name": "API"}, instance=postmortem, section_revision=0)
    assert list(form.errors) == ["section_revision"]


# --- DetectionForm and ResolutionForm ------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_an_unknown_detection_method(postmortem):
    form = section_form(
        DetectionForm,
        postmortem,
        detection_methods=["monitoring", "crystal_ball"],
        detection_description="Alert fired",
    )
    assert list(form.errors) == ["detection_methods"]
    assert typed(form, "detection_description") == "Alert fired"


@pytest.mark.django_db
def test_it_keeps_every_ticked_detection_method(postmortem):
    form = section_form(DetectionForm, postmortem, detection_methods=["monitoring", "user_report"])
    assert form.is_valid(), form.errors
    assert form.cleaned_data["detection_methods"] == ["monitoring", "user_report"]


@pytest.mark.django_db
def test_it_refuses_an_unknown_fix_type(postmortem):
    form = section_form(
        ResolutionForm, postmortem, fix_type="sometimes", resolution_summary="Pool to 500"
    )
    assert list(form.errors) == ["fix_type"]
    assert typed(form, "resolution_summary") == "Pool to 500"


# --- TimelineEventForm --------------------------------------------------------------------


@pytest.mark.django_db
def test_it_reads_a_timeline_time_on_the_incident_date(postmortem):
    form = row_form(
        TimelineEventForm, postmortem, occurred_at="14:23", milestone="started", description="Go"
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["occurred_at"] == utc(2026, 1, 29, 14, 23)


@pytest.mark.django_db
def test_it_keeps_the_description_when_the_time_is_unreadable(postmortem):
    description = 'Alert: "APIErrorRateHigh" fires (error rate: 45%)'
    form = row_form(
        TimelineEventForm,
        postmortem,
        occurred_at="25:99",
        milestone="detected",
        description=description,
    )
    assert not form.is_valid()
    assert list(form.errors) == ["occurred_at"]
    assert "14:23" in form.errors["occurred_at"][0]
    assert form.data["new-description"] == description
    assert typed(form, "description") == description
    assert typed(form, "occurred_at") == "25:99"
    assert typed(form, "milestone") == "detected"


@pytest.mark.django_db
def test_it_asks_for_the_date_of_a_timeline_row_without_a_postmortem():
    form = row_form(TimelineEventForm, None, occurred_at="14:23", description="Go")
    assert list(form.errors) == ["occurred_at"]
    assert "date" in form.errors["occurred_at"][0]


@pytest.mark.django_db
def test_it_refuses_an_unknown_milestone(postmortem):
    form = row_form(
        TimelineEventForm, postmortem, occurred_at="14:23", milestone="panicked", description="x"
    )
    assert list(form.errors) == ["milestone"]


ROW_TEXTS = pytest.mark.parametrize(
    ("form_class", "fields", "name"),
    [
        (TimelineEventForm, {"occurred_at": "14:23"}, "description"),
        (ContributingFactorForm, {}, "description"),
        (LessonForm, {"category": "technical"}, "text"),
    ],
    ids=["timeline", "contributing-factor", "lesson"],
)
ROW_TEXT_LIMIT = 2_000  # the models' max_length for a table cell


@pytest.mark.django_db
@ROW_TEXTS
def test_it_states_the_true_limit_of_a_row_text_once(postmortem, form_class, fields, name):
    # Regression: a row textarea (max_length 2,000) also got the MAX_TEXT validator, so a paste
    # got two contradictory messages: "at most 2000 characters" and "the limit is 20,000".
    form = row_form(form_class, postmortem, **fields, **{name: BIG_PASTE})
    assert list(form.errors) == [name]
    assert len(form.errors[name]) == 1
    numbers = {int(n) for n in re.findall(r"\d+", form.errors[name][0].replace(",", ""))}
    assert ROW_TEXT_LIMIT in numbers
    assert len(BIG_PASTE) in numbers
    assert MAX_TEXT not in numbers
    assert typed(form, name) == BIG_PASTE


@pytest.mark.django_db
@ROW_TEXTS
def test_it_accepts_a_row_text_of_exactly_its_limit(postmortem, form_class, fields, name):
    assert row_form(form_class, postmortem, **fields, **{name: "x" * ROW_TEXT_LIMIT}).is_valid()
    too_long = row_form(form_class, postmortem, **fields, **{name: "x" * (ROW_TEXT_LIMIT + 1)})
    assert list(too_long.errors) == [name]


# --- ActionItemForm -----------------------------------------------------------------------


def action_item(postmortem, **fields):
    data = {
        "category": "prevent",
        "action": "Lower the connection pool alert threshold",
        "owner": "",
        "owner_name": "Dana",
        "due_date": "2026-02-05",
        "priority": "p0",
        "status": "open",
        "tracker_url": "",
        **fields,
    }
    return row_form(ActionItemForm, postmortem, **data)


@pytest.mark.django_db
def test_it_accepts_a_complete_action_item(postmortem):
    form = action_item(postmortem)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["due_date"] == datetime.date(2026, 2, 5)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "due", ["31/02/2026", "next week", "2026-02-31"], ids=["31-feb", "words", "iso-30-feb"]
)
def test_it_refuses_an_unreadable_due_date_showing_the_format(postmortem, due):
    form = action_item(postmortem, due_date=due)
    assert not form.is_valid()
    assert list(form.errors) == ["due_date"]
    assert "YYYY-MM-DD" in form.errors["due_date"][0]
    assert typed(form, "due_date") == due
    assert typed(form, "action") == "Lower the connection pool alert threshold"


@pytest.mark.django_db
@pytest.mark.parametrize("owner_name", ["", "   "], ids=["empty", "blank"])
def test_it_needs_an_owner(postmortem, owner_name):
    form = action_item(postmortem, owner_name=owner_name)
    assert not form.is_valid()
    assert list(form.errors) == ["owner_name"]
    assert "owner" in form.errors["owner_name"][0]
    assert typed(form, "action") == "Lower the connection pool alert threshold"


@pytest.mark.django_db
def test_it_accepts_a_picked_owner_without_a_name(postmortem, author):
    form = action_item(postmortem, owner=str(author.pk), owner_name="")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["owner"] == author


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://x.example.com/a", "data:text/html,<script>x</script>"],
    ids=["javascript", "ftp", "data"],
)
def test_it_refuses_a_tracker_link_that_is_not_a_web_link(postmortem, url):
    form = action_item(postmortem, tracker_url=url)
    assert not form.is_valid()
    assert list(form.errors) == ["tracker_url"]
    assert "http://" in form.errors["tracker_url"][0]
    assert typed(form, "tracker_url") == url


@pytest.mark.django_db
def test_it_completes_a_tracker_link_typed_without_a_scheme(postmortem):
    form = action_item(postmortem, tracker_url="jira.example.com/browse/OPS-1")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["tracker_url"] == "https://jira.example.com/browse/OPS-1"
    assert form.instance.tracker_url == "https://jira.example.com/browse/OPS-1"


# --- SupportingLinkForm -------------------------------------------------------------------


def supporting_link(postmortem, url):
    return row_form(
        SupportingLinkForm, postmortem, kind="dashboard", title="Error Rate Graph", url=url
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "ftp://files.example.com/dump.log",
    ],
    ids=["javascript", "javascript-mixed-case", "data", "ftp"],
)
def test_it_refuses_a_supporting_link_that_is_not_http(postmortem, url):
    form = supporting_link(postmortem, url)
    assert not form.is_valid()
    assert list(form.errors) == ["url"]
    assert "https://" in form.errors["url"][0]
    assert typed(form, "title") == "Error Rate Graph"
    assert typed(form, "url") == url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "https://grafana.example.com/d/api-errors?from=1738166580000&to=1738169400000",
        "http://kibana.internal.example.com/app/discover",
    ],
    ids=["https", "http"],
)
def test_it_accepts_a_web_supporting_link(postmortem, url):
    form = supporting_link(postmortem, url)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["url"] == url


# --- ResponderForm ------------------------------------------------------------------------


def responder(postmortem, **fields):
    return row_form(
        ResponderForm,
        postmortem,
        **{"role": "Incident Commander", "user": "", "name": "", "joined_at": "", **fields},
    )


@pytest.mark.django_db
def test_it_needs_a_person_or_a_name_for_a_responder(postmortem):
    form = responder(postmortem, joined_at="14:37")
    assert not form.is_valid()
    assert list(form.errors) == ["name"]
    assert "name" in form.errors["name"][0]
    assert typed(form, "role") == "Incident Commander"
    assert typed(form, "joined_at") == "14:37"


@pytest.mark.django_db
def test_it_accepts_a_responder_by_name_only(postmortem):
    form = responder(postmortem, name="Dana from the vendor")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["user"] is None
    assert form.cleaned_data["name"] == "Dana from the vendor"


@pytest.mark.django_db
def test_it_accepts_a_responder_picked_from_the_people(postmortem, coauthor):
    form = responder(postmortem, user=str(coauthor.pk))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["user"] == coauthor


@pytest.mark.django_db
def test_it_reads_when_a_responder_joined_on_the_incident_date(postmortem):
    form = responder(postmortem, name="Bob", joined_at="14:40")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["joined_at"] == utc(2026, 1, 29, 14, 40)


@pytest.mark.django_db
def test_it_puts_an_unreadable_join_time_beside_its_field(postmortem):
    form = responder(postmortem, name="Bob", joined_at="2026-01-29 14:40+01:00")
    assert list(form.errors) == ["joined_at"]
    assert "UTC" in form.errors["joined_at"][0]
    assert typed(form, "name") == "Bob"


# --- OverviewForm -------------------------------------------------------------------------


def overview(postmortem, **fields):
    data = {
        "title": "VirtEngine API outage",
        "incident_date": "2026-01-29",
        "severity": "sev2",
        "executive_summary": "The API returned errors for 47 minutes.",
        "tags": "",
        **fields,
    }
    return section_form(OverviewForm, postmortem, **data)


@pytest.mark.django_db
def test_it_refuses_a_document_without_authors(postmortem):
    form = overview(postmortem, authors=[], tags="api")
    assert not form.is_valid()
    assert list(form.errors) == ["authors"]
    assert typed(form, "title") == "VirtEngine API outage"
    assert typed(form, "tags") == "api"


@pytest.mark.django_db
def test_it_cleans_the_services_to_sorted_unique_names(postmortem, author, coauthor):
    form = overview(
        postmortem, authors=[str(author.pk), str(coauthor.pk)], tags="API, Postgres , api"
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["tags"] == ["api", "postgres"]
    assert set(form.cleaned_data["authors"]) == {author, coauthor}


# --- numbers and times come back as typed -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["1,200", "1 200", "1200"])
def test_it_takes_a_count_with_thousands_separators(postmortem, typed):
    form = section_form(ImpactForm, postmortem, affected_users=typed, degraded_minutes="1,020")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["affected_users"] == 1200
    assert form.cleaned_data["degraded_minutes"] == 1020


@pytest.mark.django_db
def test_every_count_is_a_text_box_that_keeps_what_was_typed(postmortem):
    form = section_form(ImpactForm, postmortem, affected_users="1,20", slo_window_days="2 8")
    assert not form.is_valid()
    assert form.errors["affected_users"] == ["Write a whole number, like 1200 or 1,200."]
    assert "slo_window_days" in form.errors
    assert typed(form, "affected_users") == "1,20"
    html = str(form["affected_users"])
    assert 'type="text"' in html and 'inputmode="numeric"' in html
    # A number box would post nothing for "1,200": no integer field of a section is one.
    for section in BY_SLUG.values():
        forms = [section.form] if section.form else []
        forms += [section.rows.form] if section.rows else []
        for form_class in forms:
            for name, field in form_class.base_fields.items():
                if isinstance(field, django_forms.IntegerField) and name not in (
                    "section_revision",
                    "revision",
                ):
                    assert not isinstance(field.widget, django_forms.NumberInput), name


@pytest.mark.django_db
def test_a_count_too_big_for_the_database_is_refused_beside_its_field(postmortem):
    form = section_form(ImpactForm, postmortem, affected_users="9,999,999,999,999")
    assert not form.is_valid()
    assert form.errors["affected_users"] == [
        "That is more than this box takes: 2,147,483,647 at most."
    ]
    assert typed(form, "affected_users") == "9,999,999,999,999"


@pytest.mark.django_db
def test_decimals_show_as_typed_not_as_the_column_holds_them(postmortem):
    postmortem.slo_target = Decimal("99.9")
    postmortem.affected_users_percent = Decimal("15")
    postmortem.error_budget_consumed_minutes = Decimal("31.2")
    postmortem.slo_window_days = 28
    postmortem.save()
    postmortem.refresh_from_db()
    assert postmortem.slo_target == Decimal("99.9000")  # the stored value is untouched
    form = ImpactForm(instance=postmortem, section_revision=0)
    assert form["slo_target"].value() == "99.9"
    assert form["affected_users_percent"].value() == "15"
    assert form["error_budget_consumed_minutes"].value() == "31.2"
    assert 'value="99.9"' in str(form["slo_target"])


@pytest.mark.django_db
def test_a_decimal_reads_with_thousands_separators_but_refuses_a_decimal_comma(postmortem):
    form = section_form(ImpactForm, postmortem, error_budget_consumed_minutes="1,234.5")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["error_budget_consumed_minutes"] == Decimal("1234.5")
    form = section_form(ImpactForm, postmortem, error_budget_consumed_minutes="31,2")
    assert not form.is_valid()
    assert form.errors["error_budget_consumed_minutes"] == [
        "Write a number, like 31.2 (a point for decimals)."
    ]
    assert typed(form, "error_budget_consumed_minutes") == "31,2"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (utc(2026, 1, 29, 15, 31), "15:31"),
        (utc(2026, 1, 29, 15, 31, 5), "15:31:05"),
        (utc(2026, 1, 30, 0, 15), "2026-01-30 00:15"),
        (utc(2026, 1, 28, 23, 59), "2026-01-28 23:59"),
    ],
    ids=["incident-date", "seconds", "next-day", "day-before"],
)
def test_a_time_comes_back_as_typed_on_the_incident_date(value, shown):
    assert UTCDateTimeField(base_date=INCIDENT_DATE).prepare_value(value) == shown


@pytest.mark.django_db
def test_a_row_edit_form_shows_an_event_time_as_typed(postmortem):
    from tests.factories import TimelineEventFactory

    event = TimelineEventFactory(postmortem=postmortem, occurred_at=utc(2026, 1, 29, 15, 31))
    other = TimelineEventFactory(postmortem=postmortem, occurred_at=utc(2026, 1, 30, 0, 5))
    assert (
        TimelineEventForm(instance=event, postmortem=postmortem)["occurred_at"].value() == "15:31"
    )
    assert (
        TimelineEventForm(instance=other, postmortem=postmortem)["occurred_at"].value()
        == "2026-01-30 00:05"
    )


@pytest.mark.django_db
def test_an_outage_typed_across_midnight_ends_the_next_day_and_says_so(postmortem):
    form = section_form(ImpactForm, postmortem, outage_started_at="23:50", outage_ended_at="00:20")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["outage_started_at"] == utc(2026, 1, 29, 23, 50)
    assert form.cleaned_data["outage_ended_at"] == utc(2026, 1, 30, 0, 20)
    assert form.notes["outage_ended_at"] == (
        "Read as ending the next day, 2026-01-30 at 00:20 UTC: the outage crosses midnight "
        "(30 minutes)."
    )
    # Saved, the form opened again says it too, beside the end it now shows with its date.
    form.save()
    again = ImpactForm(instance=postmortem, section_revision=1)
    assert again["outage_ended_at"].value() == "2026-01-30 00:20"
    assert again["outage_started_at"].value() == "23:50"
    assert again.notes["outage_ended_at"].startswith("Ends the next day, 2026-01-30 at 00:20")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-01-29 23:50", "00:20"), ("23:50", "2026-01-29 00:20")],
    ids=["start-dated", "end-dated"],
)
def test_a_time_typed_with_its_date_is_taken_at_its_word(postmortem, start, end):
    form = section_form(ImpactForm, postmortem, outage_started_at=start, outage_ended_at=end)
    assert not form.is_valid()
    assert list(form.errors) == ["outage_ended_at"]
    assert "If it ended on a later day, write that day too" in form.errors["outage_ended_at"][0]


@pytest.mark.django_db
def test_an_outage_in_order_has_no_note(postmortem):
    form = section_form(ImpactForm, postmortem, outage_started_at="14:23", outage_ended_at="15:10")
    assert form.is_valid(), form.errors
    assert form.notes == {}


def test_a_time_placeholder_is_an_example_not_a_value():
    field = UTCDateTimeField(base_date=INCIDENT_DATE)
    assert field.widget.attrs["placeholder"] == "e.g. 14:23"
    # An empty box posts nothing, whatever its placeholder says.
    assert UTCDateTimeField(required=False).clean("") is None
