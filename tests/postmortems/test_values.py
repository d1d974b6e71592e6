"""The editor, the read view, the export and the import agree on every value they share:
one rule each, in postmortems/values.py. Before, an event at 14:23:05 showed "14:23" but
exported "14:23:05", and k8s.io was k8s-io in the editor but k8sio on import."""

import datetime

import pytest

from postmortems.exchange.export import postmortem_markdown
from postmortems.exchange.importer import import_markdown, parse
from postmortems.exchange.markup import format_time, parse_time
from postmortems.fields import TagsField, UTCDateTimeField
from postmortems.models import Postmortem
from postmortems.templatetags.postmortems import utc_time
from postmortems.values import bullet_lines, service_name, single_line, utc_text
from tests.factories import PostmortemFactory, TimelineEventFactory

DAY = datetime.date(2026, 1, 29)
UTC = datetime.UTC
MOMENTS = [
    (datetime.datetime(2026, 1, 29, 14, 23, tzinfo=UTC), "14:23"),
    (datetime.datetime(2026, 1, 29, 14, 23, 5, tzinfo=UTC), "14:23:05"),
    (datetime.datetime(2026, 1, 30, 0, 15, tzinfo=UTC), "2026-01-30 00:15"),
    (datetime.datetime(2026, 1, 28, 23, 59, 59, tzinfo=UTC), "2026-01-28 23:59:59"),
]


@pytest.mark.parametrize(("moment", "text"), MOMENTS, ids=[t for _, t in MOMENTS])
def test_a_time_reads_the_same_on_the_page_in_the_export_and_in_the_editor(moment, text):
    assert utc_text(moment, DAY) == text
    assert utc_time(moment, DAY) == text  # the read view's tag
    assert format_time(moment.isoformat(), DAY) == text  # the export
    # …and whatever was written reads back as the same moment, in the editor and the import.
    assert UTCDateTimeField(base_date=DAY).clean(text) == moment
    assert parse_time(text, DAY) == moment


@pytest.mark.parametrize(
    "typed",
    ["14:23Z", "14:23 UTC", "2026-01-29T14:23:00+00:00", "2026-01-29 14:23", "14:23:00"],
)
def test_every_way_to_write_a_utc_time_means_the_same_moment_everywhere(typed):
    moment = datetime.datetime(2026, 1, 29, 14, 23, tzinfo=UTC)
    assert UTCDateTimeField(base_date=DAY).clean(typed) == moment
    assert parse_time(typed, DAY) == moment


@pytest.mark.parametrize("typed", ["2026-01-29 14:23+02:00", "quarter past two", "25:00"])
def test_what_is_not_a_utc_time_is_refused_everywhere(typed):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        UTCDateTimeField(base_date=DAY).clean(typed)
    assert parse_time(typed, DAY) is None


@pytest.mark.django_db
def test_an_event_with_seconds_shows_exports_and_imports_with_its_seconds(author, author_client):
    postmortem = PostmortemFactory(key="INC-2026-0400", incident_date=DAY, authors=[author])
    TimelineEventFactory(
        postmortem=postmortem,
        occurred_at=datetime.datetime(2026, 1, 29, 14, 23, 5, tzinfo=UTC),
        description="Alert fires",
    )
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "14:23:05" in page
    markdown = postmortem_markdown(Postmortem.objects.with_document().get(pk=postmortem.pk))
    assert "| 14:23:05 | Alert fires |" in markdown
    copy = import_markdown(markdown, by=author, key="INC-2026-0401").postmortem
    assert copy.timeline.get().occurred_at.second == 5


SERVICES = [
    ("k8s.io", "k8s-io"),
    ("Zürich", "zurich"),
    ("API Gateway", "api-gateway"),
    ("payments_v2", "payments_v2"),
    ("--edge--", "edge"),
]


@pytest.mark.parametrize(("typed", "name"), SERVICES, ids=[t for t, _ in SERVICES])
def test_a_service_is_the_same_tag_typed_in_the_editor_or_imported(typed, name):
    assert service_name(typed) == name
    assert TagsField(required=False).clean(typed) == [name]
    parsed = parse(f"# Postmortem: INC-2026-0402 T\n\n**Services**: {typed}\n")
    assert parsed.tags == [name]


@pytest.mark.django_db
def test_points_read_the_same_on_the_page_in_the_export_and_back(author):
    typed = "✅ Fast alert\n- Clear runbook\n\n* Rollback plan"
    postmortem = PostmortemFactory(key="INC-2026-0403", went_well=typed, authors=[author])
    assert bullet_lines(typed) == ["Fast alert", "Clear runbook", "Rollback plan"]
    assert postmortem.went_well_items == bullet_lines(typed)
    markdown = postmortem_markdown(Postmortem.objects.with_document().get(pk=postmortem.pk))
    copy = import_markdown(markdown, by=author, key="INC-2026-0404").postmortem
    assert copy.went_well_items == bullet_lines(typed)


@pytest.mark.django_db
def test_a_one_line_value_is_one_line_in_the_editor_and_the_mails(author_client):
    typed = "API outage\r\n\tBcc: x"
    author_client.post(
        "/postmortems/new/", {"title": typed, "incident_date": "2026-02-01", "severity": "sev2"}
    )
    assert Postmortem.objects.get().title == single_line(typed) == "API outage Bcc: x"


# --- numbers: counts typed as people write them, decimals shown as typed ------------------------


@pytest.mark.parametrize(
    ("typed", "count"),
    [
        ("1200", 1200),
        ("1,200", 1200),
        ("1 200", 1200),
        ("1\u00a0200", 1200),  # a no-break space, as a spreadsheet copies it
        ("1\u202f200", 1200),  # a narrow one
        ("12,345,678", 12345678),
        ("  7 ", 7),
        ("0", 0),
    ],
    ids=["plain", "comma", "space", "nbsp", "narrow-nbsp", "millions", "spaces-around", "zero"],
)
def test_a_count_reads_as_people_write_it(typed, count):
    from postmortems.values import parse_count

    assert parse_count(typed) == count


@pytest.mark.parametrize(
    "typed",
    ["1,20", "12,00", "1,2000", "1,200 300", "1,200.5", "1.200", "12a", "", "~1,200", "1,,200"],
    ids=[
        "short-group",
        "decimal-comma",
        "long-group",
        "mixed-separators",
        "fraction",
        "dot-grouping",
        "letters",
        "empty",
        "tilde",
        "double-comma",
    ],
)
def test_a_count_that_is_not_one_is_refused_not_guessed(typed):
    from postmortems.values import NumberRefused, parse_count

    with pytest.raises(NumberRefused):
        parse_count(typed)


@pytest.mark.parametrize(
    ("typed", "plain"),
    [("1,234.5", "1234.5"), ("31.2", "31.2"), ("99.9", "99.9"), ("abc", "abc")],
)
def test_thousands_separators_are_taken_out_of_a_decimal(typed, plain):
    from postmortems.values import ungrouped

    assert ungrouped(typed) == plain


def test_a_decimal_comma_is_refused_rather_than_read_as_thousands():
    from postmortems.values import NumberRefused, ungrouped

    with pytest.raises(NumberRefused):
        ungrouped("31,2")


@pytest.mark.parametrize(
    ("stored", "places", "shown"),
    [
        ("99.9000", 0, "99.9"),
        ("15.00", 0, "15"),
        ("31.20", 0, "31.2"),
        ("100", 0, "100"),
        ("1E+2", 0, "100"),
        ("40.32", 0, "40.32"),
        ("99.9000", 2, "99.90"),
        ("99.7300", 2, "99.73"),
        ("99.9950", 2, "99.995"),
    ],
)
def test_a_number_shows_as_typed_whatever_the_column_holds(stored, places, shown):
    from decimal import Decimal

    from postmortems.exchange.markup import format_decimal
    from postmortems.templatetags.postmortems import number
    from postmortems.values import number_text

    assert number_text(Decimal(stored), places) == shown
    assert number(Decimal(stored), places) == shown  # the read view
    assert format_decimal(Decimal(stored), places) == shown  # the export


@pytest.mark.parametrize(
    ("typed", "dated"),
    [
        ("00:20", False),
        ("00:20 UTC", False),
        ("2026-01-30 00:20", True),
        ("2026-01-30T00:20Z", True),
        ("soon", False),
    ],
)
def test_a_typed_time_says_whether_it_names_its_day(typed, dated):
    from postmortems.values import names_its_day

    assert names_its_day(typed) is dated
