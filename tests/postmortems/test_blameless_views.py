"""The blameless-language check where it shows: the document page (its authors and reviewers
only), the review panel's counts, the editor (beside each text box, as typed), the rules an
administrator keeps, and marking a finding intended."""

import re

import pytest
from django.urls import reverse

from postmortems import blameless, wording
from postmortems.blameless_rules import DEFAULT_RULES
from postmortems.models import (
    Activity,
    BlamelessRule,
    BlamelessWaiver,
    Postmortem,
    TimelineEvent,
    install_default_rules,
)
from tests.factories import PostmortemFactory, UserFactory

DONE_WHEN = "The outage was human error: Bob forgot to run the check and should have known better"
FLAGGED = ["human error", "Bob forgot", "should have known better"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(doc):
    Postmortem.objects.filter(pk=doc.pk).update(root_cause_why=DONE_WHEN)
    return Postmortem.objects.get(pk=doc.pk)


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def quoted(body):
    """The words quoted by the findings on a page, in order."""
    return re.findall(r'<q class="wording-phrase">([^<]*)</q>', body)


def check(client, postmortem, text, *, section="root-cause", field="root_cause_why", row=""):
    data = {"bl_section": section, "bl_field": field, "bl_row": row, "bl_input": field}
    data[field if not row else ("new-" if row == "new" else "row-") + field] = text
    if row:
        data["bl_input"] = ("new-" if row == "new" else "row-") + field
    return client.post(reverse("postmortems:wording-check", args=[postmortem.key]), data)


# --- the rules ---------------------------------------------------------------------------------


def test_the_data_migration_wrote_the_default_rules():
    names = list(BlamelessRule.objects.values_list("name", flat=True))
    assert names == [r.name for r in DEFAULT_RULES]
    assert BlamelessRule.objects.filter(enabled=True).count() == len(DEFAULT_RULES)
    assert install_default_rules() == 0  # already there: nothing written twice


def test_a_pattern_outside_the_language_is_refused_on_save():
    from django.core.exceptions import ValidationError

    rule = BlamelessRule(name="Evil", pattern="(a+)+$", message="m", prompt="p")
    with pytest.raises(ValidationError, match="not a word of the pattern language"):
        rule.full_clean()


def test_an_administrator_adds_and_switches_off_rules_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:postmortems_blamelessrule_add"),
        {
            "name": "Heroics",
            "kind": "phrase",
            "pattern": "saved the day",
            "message": "Heroics hide the system.",
            "prompt": "Ask: what made a hero necessary?",
            "enabled": "on",
            "position": "500",
        },
    )
    assert response.status_code == 302
    refused = client.post(
        reverse("admin:postmortems_blamelessrule_add"),
        {"name": "Regex", "kind": "phrase", "pattern": ".*", "message": "m", "prompt": "p"},
    )
    assert "not a word of the pattern language" in refused.content.decode()
    assert [r.pattern for r in wording.rules_in_force()][-1] == "saved the day"
    BlamelessRule.objects.filter(name="Human error").update(enabled=False)
    assert "Human error" not in {r.name for r in wording.rules_in_force()}


def test_the_rules_admin_is_for_superusers_only(client):
    staff = UserFactory(username="staffer", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:postmortems_blamelessrule_changelist")).status_code == 403


# --- on the document ---------------------------------------------------------------------------


def test_its_authors_see_each_phrase_flagged_on_the_document(client, draft, coauthor):
    body = page(client, coauthor, draft.get_absolute_url())
    section = body[body.index('id="wording-root-cause"') :]
    assert quoted(section)[:3] == FLAGGED
    assert "Ask: why was this error possible?" in section
    assert "<mark>human error</mark>" in section


def test_a_reviewer_sees_them_and_the_count_per_section(client, draft, reviewer):
    TimelineEvent.objects.filter(postmortem=draft).update(description="Alice broke the deploy.")
    body = page(client, reviewer, draft.get_absolute_url())
    assert "Blameless wording: <strong>7 findings</strong>" in body
    assert '<a href="#wording-timeline">Timeline 4</a>' in body
    assert '<a href="#wording-root-cause">Root Cause 3</a>' in body
    assert "Mark as intended" not in body  # reviewers do not mark the authors' words


def test_a_reader_who_is_no_author_nor_reviewer_sees_none_of_it(client, draft, outsider):
    body = page(client, outsider, draft.get_absolute_url())
    assert "wording-" not in body and "Blameless wording" not in body


def test_nothing_shows_in_a_final_snapshot(draft):
    check_ = wording.WordingCheck(draft, None)
    assert not check_.shown and check_.findings == [] and check_.counts == []


def test_the_document_page_runs_the_same_queries_with_many_findings(client, draft, coauthor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(coauthor)
    with CaptureQueriesContext(connection) as few:
        client.get(draft.get_absolute_url())
    TimelineEvent.objects.filter(postmortem=draft).update(description="Alice broke it. Obviously.")
    with CaptureQueriesContext(connection) as many:
        client.get(draft.get_absolute_url())
    assert len(many) == len(few)


# --- in the editor -----------------------------------------------------------------------------


def test_the_editor_shows_the_findings_beside_the_text_box_without_javascript(
    client, draft, author
):
    body = page(client, author, reverse("postmortems:edit", args=[draft.key, "root-cause"]))
    box = body[body.index('id="wording-id_root_cause_why"') :]
    box = box[: box.index("</div>")]
    assert quoted(box) == FLAGGED
    assert 'hx-trigger="input changed delay:600ms from:#id_root_cause_why"' in box
    assert "Mark as intended" in box  # a link to the mark page: the saved text's findings


def test_the_editor_flags_a_saved_rows_words_under_the_row(client, draft, author):
    event = TimelineEvent.objects.filter(postmortem=draft).first()
    TimelineEvent.objects.filter(pk=event.pk).update(description="@erin ignored the alert.")
    body = page(client, author, reverse("postmortems:edit", args=[draft.key, "timeline"]))
    assert quoted(body) == ["@erin ignored"]
    assert 'class="wording-row"' in body


def test_the_check_answers_what_was_typed(client, draft, author):
    client.force_login(author)
    response = check(client, draft, "Alice simply forgot the flag. The alert failed to fire.")
    assert response.status_code == 200
    assert quoted(response.content.decode()) == ["Alice simply forgot"]
    # A row being added, with the names of the document's people.
    response = check(
        client, draft, "Bob skipped the canary.", section="timeline", field="description", row="new"
    )
    assert quoted(response.content.decode()) == ["Bob skipped"]
    assert check(client, draft, "fine", field="nonexistent").status_code == 400
    assert check(client, draft, "fine", section="impact", field="slo_name").status_code == 400


def test_the_check_is_for_who_sees_the_findings(client, draft, outsider, reviewer):
    client.force_login(outsider)
    assert check(client, draft, DONE_WHEN).status_code == 403
    Postmortem.objects.filter(pk=draft.pk).update(restricted=True)
    assert check(client, draft, DONE_WHEN).status_code == 404
    client.force_login(reviewer)
    assert check(client, draft, DONE_WHEN).status_code == 200
    client.logout()
    assert check(client, draft, DONE_WHEN).status_code == 302


def test_the_check_never_tells_of_another_document(client, draft, author, coauthor):
    other = PostmortemFactory(key="INC-2026-0777", authors=[coauthor], root_cause_why=DONE_WHEN)
    client.force_login(coauthor)
    client.post(
        reverse("postmortems:wording-mark", args=[other.key]),
        {"finding": _fingerprint(other, "human error"), "reason": "Quoted from the vendor"},
    )
    assert BlamelessWaiver.objects.filter(postmortem=other).count() == 1
    client.force_login(author)
    body = check(client, draft, DONE_WHEN).content.decode()
    assert "marked intended" not in body and "Quoted from the vendor" not in body
    assert quoted(body) == FLAGGED
    # Not an author of the other one: not theirs to check; restricted, it does not exist.
    assert check(client, other, DONE_WHEN).status_code == 403
    Postmortem.objects.filter(pk=other.pk).update(restricted=True)
    assert check(client, other, DONE_WHEN).status_code == 404


# --- marking a finding intended ----------------------------------------------------------------


def _fingerprint(postmortem, phrase):
    postmortem = Postmortem.objects.with_document().get(pk=postmortem.pk)
    user = postmortem.authors.first()
    found = wording.WordingCheck(postmortem, user).findings
    return next(f.fingerprint for f in found if f.phrase == phrase)


def test_an_author_marks_a_finding_intended_and_it_is_no_longer_counted(client, draft, author):
    client.force_login(author)
    response = client.post(
        reverse("postmortems:wording-mark", args=[draft.key]),
        {
            "finding": _fingerprint(draft, "Bob forgot"),
            "reason": "Bob is the customer's chatbot",
            "next": draft.get_absolute_url(),
        },
    )
    assert response.status_code == 302 and response["Location"] == draft.get_absolute_url()
    mark = BlamelessWaiver.objects.get(postmortem=draft)
    assert (mark.section, mark.field, mark.phrase) == ("root-cause", "root_cause_why", "Bob forgot")
    assert mark.created_by == author and mark.rule_name == "A person missed it"
    entry = Activity.objects.filter(postmortem=draft).first()
    assert entry.verb == Activity.Verb.WORDING_INTENDED
    assert "Bob forgot" in entry.detail and "chatbot" in entry.detail
    body = page(client, author, draft.get_absolute_url())
    assert "marked intended: Bob is the customer&#x27;s chatbot" in body
    assert "Blameless wording: <strong>2 findings</strong>" in body
    assert "1 marked intended" in body
    # The content did not change: no signature would go stale.
    assert Postmortem.objects.get(pk=draft.pk).revision == draft.revision


def test_a_mark_does_not_cover_a_changed_sentence(client, draft, author):
    client.force_login(author)
    client.post(
        reverse("postmortems:wording-mark", args=[draft.key]),
        {"finding": _fingerprint(draft, "Bob forgot"), "reason": "A quote"},
    )
    Postmortem.objects.filter(pk=draft.pk).update(
        root_cause_why=DONE_WHEN + ". Later, Bob forgot to run the check again."
    )
    found = wording.WordingCheck(Postmortem.objects.with_document().get(pk=draft.pk), author)
    bob = [f for f in found.findings if f.phrase == "Bob forgot"]
    assert [f.mark is not None for f in bob] == [True, False]


def test_the_mark_is_withdrawn_and_logged(client, draft, author):
    client.force_login(author)
    url = reverse("postmortems:wording-mark", args=[draft.key])
    fingerprint = _fingerprint(draft, "human error")
    client.post(url, {"finding": fingerprint, "reason": "A quote"})
    client.post(url, {"finding": fingerprint, "withdraw": "1"})
    assert not BlamelessWaiver.objects.filter(postmortem=draft).exists()
    assert Activity.objects.filter(postmortem=draft).first().verb == Activity.Verb.WORDING_UNMARKED


def test_a_mark_needs_a_reason_and_keeps_the_page(client, draft, author):
    client.force_login(author)
    url = reverse("postmortems:wording-mark", args=[draft.key])
    response = client.post(url, {"finding": _fingerprint(draft, "human error"), "reason": " "})
    assert response.status_code == 200
    assert "Say why this wording is intended" in response.content.decode()
    assert not BlamelessWaiver.objects.exists()


def test_words_not_in_the_saved_text_cannot_be_marked(client, draft, author):
    client.force_login(author)
    url = reverse("postmortems:wording-mark", args=[draft.key])
    forged = blameless.fingerprint("root-cause", "root_cause_why", "Alice", "Alice")
    response = client.post(url, {"finding": forged, "reason": "x"}, follow=True)
    assert "not in the saved text" in response.content.decode()
    assert not BlamelessWaiver.objects.exists()


def test_the_mark_page_goes_back_only_to_this_document(client, draft, author):
    client.force_login(author)
    url = reverse("postmortems:wording-mark", args=[draft.key])
    fingerprint = _fingerprint(draft, "human error")
    editor = reverse("postmortems:edit", args=[draft.key, "root-cause"])
    body = client.get(url, {"finding": fingerprint, "next": editor}).content.decode()
    assert "<mark>human error</mark>" in body and f'value="{editor}"' in body
    away = client.post(
        url, {"finding": fingerprint, "reason": "q", "next": "https://evil.example/"}
    )
    assert away["Location"].startswith(draft.get_absolute_url())


def test_reviewers_and_a_final_documents_authors_cannot_mark(client, draft, author, reviewer):
    url = reverse("postmortems:wording-mark", args=[draft.key])
    fingerprint = _fingerprint(draft, "human error")
    client.force_login(reviewer)
    assert client.post(url, {"finding": fingerprint, "reason": "x"}).status_code == 403
    Postmortem.objects.filter(pk=draft.pk).update(status=Postmortem.Status.FINAL)
    client.force_login(author)
    assert client.post(url, {"finding": fingerprint, "reason": "x"}).status_code == 403
    assert not BlamelessWaiver.objects.exists()


def test_each_finding_says_where_it_is_and_which_rule(client, draft, author):
    body = page(client, author, draft.get_absolute_url())
    start = DONE_WHEN.index("Bob forgot")
    assert (
        f'data-field="root_cause_why" data-start="{start}" data-end="{start + 10}" '
        'data-rule="A person missed it"'
    ) in body
