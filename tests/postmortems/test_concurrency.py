"""Consistency under real concurrency: racing signatures, transitions and edits.

Every racing operation runs in its own thread, hence on its own database connection, and
all of them are released at the same moment by a barrier. The tests are transactional, so
each operation really commits and the row locks (``select_for_update`` on the document row
in ``workflow`` and ``editing``) are what keeps the end state consistent.

A race is easy to lose by luck, so most tests also *widen the window*: the signer's password
check (or the editor's revision stamp) sleeps inside the locked transaction. With the row
lock the competing operation simply waits; without it, both act on what they read before
the other committed — a lost finalization, a Final document on stale signatures, a signature
given to a Draft, or two saves of the same section revision.

Row locks are PostgreSQL's: on SQLite (one writer at a time) the module is skipped.
"""

import datetime
import threading
import time
from dataclasses import dataclass

import pytest
from django.db import connection

from postmortems import editing, workflow
from postmortems.content import document_hash, is_current
from postmortems.forms import ResolutionForm
from postmortems.models import Activity, Approval, Postmortem, Snapshot
from postmortems.workflow import transitions
from tests.factories import PASSWORD, UserFactory, ready_for_review
from tests.factories import sign as sign_approval

# Settings are configured before collection, so the vendor is known without connecting.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"
    ),
]

Status = Postmortem.Status
Verb = Activity.Verb

# Seconds a widened operation spends inside its locked transaction.
WINDOW = 0.2
# A head start long enough for one thread to take the row lock before the other asks.
HEAD_START = 0.1

AUTHOR, SRE, VP, ENG = "Author", "Reviewer (SRE Lead)", "Approver (VP Eng)", "Reviewer (Eng Lead)"


# --- racing ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    value: object = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def race(*operations, delays=None) -> list[Outcome]:
    """Run each operation in its own thread, all released by one barrier; wait for all.

    `delays` (seconds after the barrier, one per operation) gives a thread a head start.
    Exceptions are caught and returned, so the test asserts on who won and who was refused.
    """
    delays = delays or [0] * len(operations)
    barrier = threading.Barrier(len(operations))
    outcomes = [Outcome() for _ in operations]

    def run(index, operation):
        try:
            connection.ensure_connection()  # connect before the start line, not after it
            barrier.wait(timeout=10)
            if delays[index]:
                time.sleep(delays[index])
            outcomes[index].value = operation()
        except BaseException as error:  # reported to the test thread
            outcomes[index].error = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, op), daemon=True) for i, op in enumerate(operations)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a racing operation hung (a deadlock?)"
    for outcome in outcomes:
        # Refusals are part of the game; anything else (IntegrityError, deadlock) is a failure.
        if outcome.error is not None and not isinstance(
            outcome.error, workflow.TransitionError | editing.EditConflict
        ):
            raise outcome.error
    return outcomes


def racing() -> bool:
    return threading.current_thread() is not threading.main_thread()


@pytest.fixture
def widen_signing(monkeypatch):
    """Call it to make every racing signature wait WINDOW seconds inside its locked transaction.

    The wait is where the signature reads the content it signs: after the lock and the status
    and assignee checks, before anything is written. Signatures given by the test itself (not
    in a racing thread) stay fast.
    """

    def widen():
        original = transitions.canonical_content

        def slow_canonical_content(postmortem):
            if racing():
                time.sleep(WINDOW)
            return original(postmortem)

        monkeypatch.setattr(transitions, "canonical_content", slow_canonical_content)

    return widen


# --- the document and what to check ------------------------------------------------------------


@pytest.fixture
def engineer(db):
    return UserFactory(username="erin", display_name="Erin Park", job_title="Eng Lead")


@pytest.fixture
def doc(author, coauthor, reviewer, approver, engineer):
    """Complete Draft; the Eng Lead slot is an optional one of the authors' own (not the
    approval policy's), so it never holds up Final."""
    pm = ready_for_review(
        authors=[author, coauthor],
        slots=[
            (AUTHOR, author, True),
            (SRE, reviewer, False),
            (VP, approver, False),
        ],
    )
    Approval.objects.create(postmortem=pm, role=ENG, assignee=engineer, required=False, position=3)
    return pm


def slot(pm, role) -> Approval:
    return Approval.objects.get(postmortem_id=pm.pk, role=role)


def loaded(pm) -> Postmortem:
    return Postmortem.objects.with_document().get(pk=pm.pk)


def sign(pm, role, person):
    return sign_approval(slot(pm, role), by=person, password=PASSWORD)


def submitted(pm, author, *signers):
    """Under Review, with the given (role, person) slots already signed."""
    workflow.submit_for_review(pm, by=author)
    for role, person in signers:
        sign(pm, role, person)
    return loaded(pm)


def resolution_form(pm, summary):
    """The resolution section form as an author opens it now (at the current revision)."""
    form = ResolutionForm(
        {
            "section_revision": str(editing.section_revision(pm, "resolution")),
            "resolution_summary": summary,
            "fix_type": "permanent",
            "verification": "ok",
        },
        instance=pm,
    )
    assert form.is_valid(), form.errors
    return form


def assert_consistent(pm) -> Postmortem:
    """The end state a racing history must leave, whatever the order it ran in.

    Final exactly when every required slot is signed on exactly the present content, with one
    snapshot of that content and one "finalized" entry; otherwise no snapshot of this version.
    """
    pm = loaded(pm)
    digest = document_hash(pm)
    snapshots = list(Snapshot.objects.filter(postmortem=pm))
    finalized = Activity.objects.filter(postmortem=pm, verb=Verb.FINALIZED).count()
    assert finalized == len(snapshots)
    required = [a for a in pm.approvals.all() if a.required]
    if pm.status == Status.FINAL:
        not_current = [
            a.role for a in required if not (is_current(a, pm) and a.content_hash == digest)
        ]
        assert not_current == [], f"Final, but not signed on its content by {not_current}"
        assert [(s.version, s.content_hash) for s in snapshots] == [(pm.version, digest)]
    else:
        assert not [s for s in snapshots if s.version == pm.version]
        assert not all(is_current(a, pm) for a in required), "every signature is in, not Final"
    return pm


def assert_log_replays(pm, content_hashes):
    """Replay the activity log in order: each signature was given Under Review, on the content
    of that moment (`content_hashes`: the content's hash at first, then after each edit)."""
    hashes = iter(content_hashes)
    content = next(hashes)
    status = Status.DRAFT
    for entry in Activity.objects.filter(postmortem=pm).order_by("id"):
        if entry.verb == Verb.EDITED:
            content = next(hashes)
        if entry.verb == Verb.SIGNED:
            assert status == Status.IN_REVIEW, f"signed while {status}: {entry.detail}"
            assert f"SHA-256 {content[:12]}" in entry.detail, "signed other content"
        if entry.to_status:
            status = entry.to_status
    assert status == loaded(pm).status


def verbs(pm, *only):
    entries = Activity.objects.filter(postmortem=pm).order_by("id")
    if only:
        entries = entries.filter(verb__in=only)
    return list(entries.values_list("verb", flat=True))


# --- 1 & 2: two last signatures at once --------------------------------------------------------


def assert_final_once_with_both_signatures(pm, outcomes):
    assert [o.error for o in outcomes] == [None, None]  # nobody was refused
    pm = assert_consistent(pm)
    assert pm.status == Status.FINAL
    for role in (SRE, VP):  # no signature lost to the other's transaction
        assert is_current(slot(pm, role), pm)
    assert verbs(pm, Verb.SIGNED, Verb.FINALIZED) == ["signed"] * 3 + ["finalized"]
    assert Snapshot.objects.filter(postmortem=pm).count() == 1


def test_two_last_signatures_at_once_finalize_exactly_once(
    doc, author, reviewer, approver, widen_signing
):
    pm = submitted(doc, author, (AUTHOR, author))
    widen_signing()
    outcomes = race(lambda: sign(pm, SRE, reviewer), lambda: sign(pm, VP, approver))
    assert_final_once_with_both_signatures(pm, outcomes)


@pytest.mark.parametrize("round_", range(5))
def test_two_last_signatures_at_once_without_help(doc, author, reviewer, approver, round_):
    pm = submitted(doc, author, (AUTHOR, author))
    outcomes = race(lambda: sign(pm, SRE, reviewer), lambda: sign(pm, VP, approver))
    assert_final_once_with_both_signatures(pm, outcomes)


# --- 3: the last signature against a request for changes ---------------------------------------


@pytest.mark.parametrize(
    ("first", "delays"),
    [
        ("sign", [0, HEAD_START]),
        ("request_changes", [HEAD_START, 0]),
        (None, [0, 0]),
    ],
    ids=["signature-first", "request-first", "same-moment"],
)
def test_a_signature_racing_a_request_for_changes(
    doc, author, reviewer, approver, engineer, widen_signing, first, delays
):
    pm = submitted(doc, author, (AUTHOR, author), (VP, approver))
    before = document_hash(pm)
    widen_signing()
    signature, request = race(
        lambda: sign(pm, SRE, reviewer),
        lambda: workflow.request_changes(pm, by=engineer, comment="Explain the threshold."),
        delays=delays,
    )

    # Exactly one of them happened; the other was refused for the state the first left.
    assert signature.ok != request.ok
    refused = request if signature.ok else signature
    assert "this needs it to be Under Review" in str(refused.error)
    if first:
        assert (signature if first == "sign" else request).ok

    pm = assert_consistent(pm)
    assert_log_replays(pm, [before])
    if signature.ok:  # the last signature won: Final on what was signed
        assert pm.status == Status.FINAL
        assert is_current(slot(pm, SRE), pm)
        assert slot(pm, SRE).content_hash == document_hash(pm) == before
    else:  # the request won: a Draft, nothing frozen, the refused signature not stored
        assert pm.status == Status.DRAFT
        assert not Snapshot.objects.filter(postmortem=pm).exists()
        assert not slot(pm, SRE).is_signed
        assert verbs(pm)[-1] == Verb.CHANGES_REQUESTED


# --- 4: a signature against the author's withdraw → edit → resubmit ----------------------------


# Who gets the row first: delays are [signature, author's work]; "sign-while-draft" keeps the
# document a Draft for a while by slowing the author's save.
ORDERS = pytest.mark.parametrize(
    ("order", "delays", "slow_edit"),
    [
        pytest.param("sign-first", [0, HEAD_START], False, id="sign-first"),
        pytest.param("same-moment", [0, 0], False, id="same-moment"),
        pytest.param("sign-while-draft", [HEAD_START, 0], True, id="sign-while-draft"),
        pytest.param("sign-after-resubmit", [0.6, 0], False, id="sign-after-resubmit"),
    ],
)


def withdraw_edit_resubmit(pm, author):
    def run():
        workflow.withdraw(pm, by=author)
        draft = loaded(pm)
        editing.save_section(draft, "resolution", resolution_form(draft, "changed"), by=author)
        return workflow.submit_for_review(draft, by=author)

    return run


def slow_edits(monkeypatch):
    """Make a racing section save wait WINDOW seconds inside its locked transaction, after its
    revision check (the document stays a Draft meanwhile)."""
    original = editing._stamp

    def slow_stamp(*args, **kwargs):
        if racing():
            time.sleep(WINDOW)
        return original(*args, **kwargs)

    monkeypatch.setattr(editing, "_stamp", slow_stamp)


def signed_before_the_edit(pm, person) -> bool:
    """In the order the transactions committed (they are serialized by the row lock)."""
    signed = Activity.objects.filter(postmortem=pm, verb=Verb.SIGNED, actor=person).latest("id")
    edited = Activity.objects.get(postmortem=pm, verb=Verb.EDITED)
    return signed.pk < edited.pk


@ORDERS
def test_a_signature_racing_withdraw_edit_resubmit(
    doc, author, reviewer, approver, widen_signing, monkeypatch, order, delays, slow_edit
):
    """The reviewer signs while the author withdraws, edits and resubmits; the approver has not
    signed yet, so the reviewer's signature is not the last one."""
    pm = submitted(doc, author, (AUTHOR, author))
    before, revision_before = document_hash(pm), pm.revision
    widen_signing()
    if slow_edit:
        slow_edits(monkeypatch)
    signature, author_work = race(
        lambda: sign(pm, SRE, reviewer), withdraw_edit_resubmit(pm, author), delays=delays
    )

    assert author_work.ok  # the document was never Final, so withdrawing is always allowed
    pm = loaded(pm)
    after = document_hash(pm)
    assert (pm.status, pm.resolution_summary) == (Status.IN_REVIEW, "changed")
    assert after != before and pm.revision != revision_before
    assert_log_replays(pm, [before, after])

    reviewer_slot = slot(pm, SRE)
    if signature.ok:
        # The stored signature carries the hash of the content it was given on.
        assert (reviewer_slot.signed_revision, reviewer_slot.content_hash) in [
            (revision_before, before),
            (pm.revision, after),
        ]
        stale = signed_before_the_edit(pm, reviewer)
        assert is_current(reviewer_slot, pm) is not stale
    else:
        assert "this needs it to be Under Review" in str(signature.error)
        assert not reviewer_slot.is_signed
    expected = {
        "sign-first": "stale",
        "sign-while-draft": "refused",
        "sign-after-resubmit": "current",
    }.get(order)
    if expected:
        if not signature.ok:
            outcome = "refused"
        elif is_current(reviewer_slot, pm):
            outcome = "current"
        else:
            outcome = "stale"
        assert outcome == expected

    # Everyone else signs the new content: Final only if the reviewer's signature is current.
    sign(pm, AUTHOR, author)
    sign(pm, VP, approver)
    pm = assert_consistent(pm)
    assert (pm.status == Status.FINAL) is is_current(reviewer_slot, pm)
    if pm.status != Status.FINAL:
        sign(pm, SRE, reviewer)
        pm = assert_consistent(pm)
        assert pm.status == Status.FINAL
    assert Snapshot.objects.get(postmortem=pm).content_hash == after


@ORDERS
def test_the_last_signature_racing_withdraw_edit_resubmit(
    doc, author, reviewer, approver, widen_signing, monkeypatch, order, delays, slow_edit
):
    """As above, but the reviewer's signature is the last one: it may finalize the document
    only on the content every signer saw, never on content changed in the meantime."""
    pm = submitted(doc, author, (AUTHOR, author), (VP, approver))
    before = document_hash(pm)
    widen_signing()
    if slow_edit:
        slow_edits(monkeypatch)
    signature, author_work = race(
        lambda: sign(pm, SRE, reviewer), withdraw_edit_resubmit(pm, author), delays=delays
    )

    pm = assert_consistent(pm)
    if signature.ok and not author_work.ok:  # the signature won: Final, withdraw refused
        assert pm.status == Status.FINAL
        assert "this needs it to be Under Review" in str(author_work.error)
        assert verbs(pm, Verb.WITHDRAWN, Verb.EDITED) == []
        assert Snapshot.objects.get(postmortem=pm).content_hash == before
        assert_log_replays(pm, [before])
    else:  # the author's work went through; the earlier signatures are stale now
        assert author_work.ok
        assert pm.status == Status.IN_REVIEW
        assert pm.resolution_summary == "changed"
        assert not is_current(slot(pm, AUTHOR), pm) and not is_current(slot(pm, VP), pm)
        assert_log_replays(pm, [before, document_hash(pm)])
        if signature.ok:  # only possible after the resubmission, on the new content
            assert is_current(slot(pm, SRE), pm)
            assert slot(pm, SRE).content_hash == document_hash(pm)
    expected = {
        "sign-first": "final",
        "sign-while-draft": "refused",
        "sign-after-resubmit": "current",
    }.get(order)
    if expected:
        if pm.status == Status.FINAL:
            outcome = "final"
        elif signature.ok:
            outcome = "current"
        else:
            outcome = "refused"
        assert outcome == expected


# --- 5: two authors save the same section at once ----------------------------------------------


@pytest.mark.parametrize("widened", [False, True], ids=["natural", "widened"])
def test_two_authors_save_the_same_section_revision_at_once(
    doc, author, coauthor, monkeypatch, widened
):
    revision_before = doc.revision
    forms = {}
    for person, summary in [(author, "Alice's summary"), (coauthor, "Bob's summary")]:
        draft = loaded(doc)  # each author opened the form on their own copy, at revision 0
        forms[person.pk] = (draft, resolution_form(draft, summary))
    if widened:
        slow_edits(monkeypatch)

    def save(person):
        draft, form = forms[person.pk]
        return lambda: editing.save_section(draft, "resolution", form, by=person)

    outcomes = race(save(author), save(coauthor))

    assert sorted(o.ok for o in outcomes) == [False, True]  # exactly one save went through
    (winner,) = [p for p, o in zip((author, coauthor), outcomes, strict=True) if o.ok]
    (loser,) = [o for o in outcomes if not o.ok]
    assert isinstance(loser.error, editing.EditConflict)
    assert loser.error.by == winner.name  # the refused author is told who saved meanwhile

    pm = loaded(doc)
    assert pm.resolution_summary == forms[winner.pk][1].cleaned_data["resolution_summary"]
    assert editing.section_revision(pm, "resolution") == 1
    assert pm.revision == revision_before + 1
    assert verbs(pm, Verb.EDITED) == ["edited"]


# --- and: two drafts created at once ------------------------------------------------------------


def test_two_drafts_created_at_once_get_different_keys(author, coauthor):
    def create(person):
        return lambda: workflow.create_draft(
            by=person, title="Outage", incident_date=datetime.date(2026, 3, 1), severity="sev2"
        )

    outcomes = race(create(author), create(coauthor))

    assert all(o.ok for o in outcomes)
    keys = sorted(o.value.key for o in outcomes)
    assert keys == ["INC-2026-0001", "INC-2026-0002"]
    for outcome in outcomes:  # each draft is whole: its own slots, its own creation entry
        assert outcome.value.approvals.count() == 4
        assert verbs(outcome.value) == ["created"]


# --- stale requests on the approvals table and the document's tables ------------------------


def test_a_slot_update_after_a_concurrent_removal_is_refused(doc, author, coauthor):
    approval = slot(doc, ENG)  # both authors have the approvals page open
    removal, update = race(
        lambda: workflow.remove_approval(approval, by=author),
        lambda: workflow.update_approval(
            approval, by=coauthor, role=ENG, assignee=None, required=False
        ),
        delays=[0, HEAD_START],
    )
    assert removal.ok
    assert isinstance(update.error, workflow.TransitionError)
    assert not Approval.objects.filter(pk=approval.pk).exists()


def test_two_authors_removing_the_same_slot_log_one_removal(doc, author, coauthor):
    approval = slot(doc, ENG)
    race(
        lambda: workflow.remove_approval(approval, by=author),
        lambda: workflow.remove_approval(approval, by=coauthor),
    )
    assert not Approval.objects.filter(pk=approval.pk).exists()
    assert verbs(doc, Verb.APPROVALS_CHANGED) == [Verb.APPROVALS_CHANGED]


def test_two_authors_deleting_the_same_row_log_one_removal(doc, author, coauthor):
    row = doc.timeline.first()
    revision_before = doc.revision
    race(
        lambda: editing.delete_row(doc, "timeline", row, by=author),
        lambda: editing.delete_row(doc, "timeline", row, by=coauthor),
    )
    assert not doc.timeline.filter(pk=row.pk).exists()
    assert verbs(doc, Verb.EDITED) == [Verb.EDITED]
    assert loaded(doc).revision == revision_before + 1
