"""Numbers and times come back on the pages as they were typed: 1,200 is taken, 99.9 shows as
99.9 (not the column's 99.9000) in the editor, the read view and the export, 15:31 stays 15:31,
and an outage from 23:50 to 00:20 is read as crossing midnight, and said so."""

import datetime
import re
from decimal import Decimal

import pytest

from postmortems.content import canonical_content, document_hash
from postmortems.exchange.export import postmortem_markdown
from postmortems.models import Postmortem
from postmortems.sections import BY_SLUG
from tests.factories import PostmortemFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def edit_url(pm, slug):
    return f"/postmortems/{pm.key}/edit/{slug}/"


def loaded(pm):
    return Postmortem.objects.with_document().get(pk=pm.pk)


def impact(**fields):
    return {
        "section_revision": "0",
        "affected_users": "1,200",
        "affected_users_percent": "15",
        "regions": "Global",
        "slo_name": "API Availability",
        "slo_target": "99.9",
        "slo_achieved": "99.73",
        "slo_window_days": "28",
        "error_budget_consumed_minutes": "31.2",
        **fields,
    }


def test_numbers_typed_in_the_editor_come_back_as_typed_everywhere(author_client, author):
    pm = PostmortemFactory(authors=[author])
    response = author_client.post(edit_url(pm, "impact"), impact())
    assert response.status_code == 302
    pm.refresh_from_db()
    assert pm.affected_users == 1200
    assert pm.slo_target == Decimal("99.9000")  # as the column holds it

    page = author_client.get(edit_url(pm, "impact")).content.decode()
    for name, shown in [
        ("slo_target", "99.9"),
        ("affected_users_percent", "15"),
        ("slo_achieved", "99.73"),
        ("error_budget_consumed_minutes", "31.2"),
        ("affected_users", "1200"),
    ]:
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)[0]
        assert f'value="{shown}"' in box, box
    assert "99.9000" not in page

    read = author_client.get(pm.get_absolute_url()).content.decode()
    assert "(15% of" in read or "(15%)" in read
    assert "77.4% consumed</span> (31.2 of 40.32 minutes" in read
    assert "(99.90% → 99.73%)" in read  # the template's SLO figures, as the export writes them
    markdown = postmortem_markdown(loaded(pm))
    assert "- **Affected Users**: ~1,200 users (15%)" in markdown
    assert "- **Error Budget**: 77.4% consumed (31.2 of 40.32 minutes, 28-day window)" in markdown


def test_showing_a_number_as_typed_changes_neither_the_value_nor_the_signed_hash(author):
    pm = PostmortemFactory(
        authors=[author],
        slo_target=Decimal("99.9"),
        slo_window_days=28,
        error_budget_consumed_minutes=Decimal("31.2"),
    )
    before = document_hash(loaded(pm))
    assert canonical_content(loaded(pm))["slo_target"] == "99.9000"  # the column's, as signed
    # Opening the editor and saving what it shows, unchanged, leaves the hash as it was.
    form = BY_SLUG["impact"].form(instance=loaded(pm), section_revision=0)
    assert form["slo_target"].value() == "99.9"
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    again = BY_SLUG["impact"].form(data, instance=loaded(pm), section_revision=0)
    assert again.is_valid(), again.errors
    again.save()
    assert canonical_content(loaded(pm))["slo_target"] == "99.9000"
    assert document_hash(loaded(pm)) == before


def test_an_event_time_comes_back_as_typed_in_the_row_form(author_client, author):
    pm = PostmortemFactory(authors=[author])
    author_client.post(
        f"{edit_url(pm, 'timeline')}rows/",
        {"new-occurred_at": "15:31", "new-description": "Config deployed"},
    )
    later = TimelineEventFactory(
        postmortem=pm,
        occurred_at=datetime.datetime(2026, 1, 30, 0, 15, tzinfo=datetime.UTC),
        description="Closed",
    )
    event = pm.timeline.get(description="Config deployed")
    body = author_client.get(f"{edit_url(pm, 'timeline')}rows/{event.pk}/", **HTMX).content
    box = re.search(rb'<input[^>]*name="row-occurred_at"[^>]*>', body)[0].decode()
    assert 'value="15:31"' in box
    body = author_client.get(f"{edit_url(pm, 'timeline')}rows/{later.pk}/", **HTMX).content
    box = re.search(rb'<input[^>]*name="row-occurred_at"[^>]*>', body)[0].decode()
    assert 'value="2026-01-30 00:15"' in box


def test_an_outage_across_midnight_is_saved_and_said_beside_its_end(author_client, author):
    pm = PostmortemFactory(authors=[author])
    response = author_client.post(
        edit_url(pm, "impact"), impact(outage_started_at="23:50", outage_ended_at="00:20")
    )
    assert response.status_code == 302
    pm.refresh_from_db()
    assert pm.outage_ended_at == datetime.datetime(2026, 1, 30, 0, 20, tzinfo=datetime.UTC)
    page = author_client.get(edit_url(pm, "impact")).content.decode()
    note = page.index('id="id_outage_ended_at_warning"')
    assert (
        "Ends the next day, 2026-01-30 at 00:20 UTC: the outage crosses midnight (30 minutes)."
        in page[note : note + 400]
    )
    read = author_client.get(pm.get_absolute_url()).content.decode()
    assert "30 minutes (23:50–2026-01-30 00:20 UTC)" in read


def test_an_outage_across_midnight_is_said_even_when_another_field_is_wrong(author_client, author):
    pm = PostmortemFactory(authors=[author])
    response = author_client.post(
        edit_url(pm, "impact"),
        impact(outage_started_at="23:50", outage_ended_at="00:20", affected_users="lots"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Write a whole number, like 1200 or 1,200." in page
    assert "Read as ending the next day, 2026-01-30 at 00:20 UTC" in page
    box = re.search(r'<input[^>]*name="outage_ended_at"[^>]*>', page)[0]
    assert 'value="00:20"' in box  # what was typed stays in the box
    assert 'aria-describedby="id_outage_ended_at_helptext id_outage_ended_at_warning"' in box


def test_an_outage_on_the_calendars_last_day_is_an_error_beside_its_end_not_a_500(
    author_client, author
):
    """9999-12-31 has no next day: 23:50 to 00:20 cannot cross midnight, and an outage saved
    on that day shows in the editor."""
    last = datetime.date(9999, 12, 31)
    pm = PostmortemFactory(authors=[author], incident_date=last)
    response = author_client.post(
        edit_url(pm, "impact"), impact(outage_started_at="23:50", outage_ended_at="00:20")
    )
    assert response.status_code == 200
    assert "The outage cannot end before it started." in response.content.decode()
    pm.refresh_from_db()
    assert pm.outage_ended_at is None
    Postmortem.objects.filter(pk=pm.pk).update(
        outage_started_at=datetime.datetime(9999, 12, 31, 10, 0, tzinfo=datetime.UTC),
        outage_ended_at=datetime.datetime(9999, 12, 31, 11, 0, tzinfo=datetime.UTC),
    )
    assert author_client.get(edit_url(pm, "impact")).status_code == 200
