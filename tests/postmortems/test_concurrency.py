"""Consistency under real concurrency: racing signatures, transitions and edits.

Every racing operation runs in its own thread, hence on its own database connection, and
all of them are released at the same moment by a barrier. The tests are transactional, so
each operation really commits and the row locks (``select_for_update`` on the document row
in ``workflow`` and ``editing``) are what keeps the end state consistent.

Each test asserts the one outcome its order of events must produce. The order is not left to
timing: every racing connection records when it is granted the document's row lock
(``Locks``, through Django's public ``connection.execute_wrapper``), an operation can be held
back until another one holds the lock (``Locks.after``), and a "same moment" race is checked
against the order the database actually granted the lock in.

A race is easy to lose by luck, so most tests also *widen the window*: a racing signature (or
section save) sleeps inside its locked transaction, between reading and writing. The sleep
hangs on Django's public model signals (``pre_save`` of the signed Approval, ``post_save`` of
the saved document), not on a private function. With the row lock the competing operation
simply waits; without it, both act on what they read before the other committed — a lost
finalization, a Final document on stale signatures, a signature given to a Draft, or two saves
of the same section revision.

Row locks are PostgreSQL's: on SQLite (one writer at a time) the module is skipped.
"""

import datetime
import threading
import time
from dataclasses import dataclass

import pytest
from django.db import connection
from django.db.models.signals import post_save, pre_save

from postmortems import editing, workflow
from postmortems.content import document_hash, is_current
from postmortems.models import Activity, Approval, Postmortem, Snapshot
from postmortems.sections import BY_SLUG
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
# Seconds to wait for a racing operation to reach its turn (far more than it ever needs).
PATIENCE = 10

AUTHOR, SRE, VP, ENG = "Author", "Reviewer (SRE Lead)", "Approver (VP Eng)", "Reviewer (Eng Lead)"


# --- racing ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    value: object = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Locks:
    """The order in which the racing operations were granted the document's row lock.

    `order` holds one operation index per transaction that locked the row: once a thread's
    ``SELECT … FOR UPDATE`` on the document returns, it holds the row until its transaction
    ends, so no other thread can be recorded in between.
    """

    def __init__(self):
        self.order: list[int] = []
        self._changed = threading.Condition()

    def recorder(self, index):
        """The execute wrapper of racing operation `index`'s connection."""
        table = connection.ops.quote_name(Postmortem._meta.db_table)
        recorded = set()  # transactions of this connection already in `order`

        def record(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if sql.rstrip().endswith("FOR UPDATE") and f"FROM {table}" in sql:
                with context["connection"].cursor() as cursor:
                    cursor.execute("SELECT pg_current_xact_id()")
                    (transaction_id,) = cursor.fetchone()
                if transaction_id not in recorded:
                    recorded.add(transaction_id)
                    with self._changed:
                        self.order.append(index)
                        self._changed.notify_all()
            return result

        return record

    def wait(self, index, times=1):
        """Until operation `index` has been granted the row lock `times` times."""
        with self._changed:
            reached = self._changed.wait_for(lambda: self.order.count(index) >= times, PATIENCE)
        assert reached, f"operation {index} never took the row lock {times}×: {self.order}"

    def after(self, index, times, operation):
        """`operation`, started once operation `index` has taken the row lock `times` times."""

        def run():
            self.wait(index, times)
            return operation()

        return run

    def before(self, index, other) -> int:
        """How many times operation `other` held the row lock before operation `index` did."""
        first = self.order.index(index)
        return self.order[:first].count(other)


_thread = threading.local()


def racing() -> bool:
    return getattr(_thread, "racing", False)


def race(*operations, locks=None) -> list[Outcome]:
    """Run each operation in its own thread, all released by one barrier; wait for all.

    `locks` (a ``Locks``) records who took the document's row lock when; operations wrapped
    with ``locks.after`` wait for their turn. Exceptions are caught and returned, so the test
    asserts on who won and who was refused.
    """
    locks = locks if locks is not None else Locks()
    barrier = threading.Barrier(len(operations))
    outcomes = [Outcome() for _ in operations]

    def run(index, operation):
        _thread.racing = True
        try:
            connection.ensure_connection()  # connect before the start line, not after it
            barrier.wait(timeout=PATIENCE)
            with connection.execute_wrapper(locks.recorder(index)):
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


def refused_for_the_status(outcome):
    assert isinstance(outcome.error, workflow.TransitionError), outcome
    assert "this needs it to be Under Review" in str(outcome.error)


@pytest.fixture
def widen_signing():
    """Call it to make every racing signature wait WINDOW seconds inside its locked transaction.

    The wait is at the signature's write (the `pre_save` signal of the Approval being signed):
    after the lock, the status and assignee checks and the reading of the content it signs,
    before anything is written. Signatures given by the test itself (not in a racing thread)
    stay fast. Returns the roles whose signature waited, in order.
    """
    waited = []

    def slow_signature(sender, instance, update_fields=None, **kwargs):
        if racing() and getattr(_thread, "signing", False) and instance.signed_at is not None:
            waited.append(instance.role)
            time.sleep(WINDOW)

    def widen():
        pre_save.connect(slow_signature, sender=Approval, weak=False, dispatch_uid="widen-signing")
        return waited

    yield widen
    pre_save.disconnect(sender=Approval, dispatch_uid="widen-signing")


@pytest.fixture
def widen_editing():
    """Call it to make a racing section save wait WINDOW seconds inside its locked transaction,
    after its revision check and its write (the `post_save` signal of the document, sent by
    the section save only: the transitions save the status), before its revisions are bumped.
    The document stays a Draft meanwhile. Returns the number of saves that waited."""
    waited = []

    def slow_save(sender, instance, update_fields=None, **kwargs):
        if racing() and update_fields and "status" not in update_fields:
            waited.append(instance.pk)
            time.sleep(WINDOW)

    def widen():
        post_save.connect(slow_save, sender=Postmortem, weak=False, dispatch_uid="widen-editing")
        return waited

    yield widen
    post_save.disconnect(sender=Postmortem, dispatch_uid="widen-editing")


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
    _thread.signing = True
    try:
        return sign_approval(slot(pm, role), by=person, password=PASSWORD)
    finally:
        _thread.signing = False


def submitted(pm, author, *signers):
    """Under Review, with the given (role, person) slots already signed."""
    workflow.submit_for_review(pm, by=author)
    for role, person in signers:
        sign(pm, role, person)
    return loaded(pm)


def resolution_form(pm, summary):
    """The resolution section form as an author opens it now (at the current revision)."""
    form = BY_SLUG["resolution"].form(
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


def assert_final_once_with_both_signatures(pm, outcomes, locks, signers):
    assert [o.error for o in outcomes] == [None, None]  # nobody was refused
    pm = assert_consistent(pm)
    assert pm.status == Status.FINAL
    for role in (SRE, VP):  # no signature lost to the other's transaction
        assert is_current(slot(pm, role), pm)
    assert verbs(pm, Verb.SIGNED, Verb.FINALIZED) == ["signed"] * 3 + ["finalized"]
    assert Snapshot.objects.filter(postmortem=pm).count() == 1
    # Each took the row once; the second to get it gave the last signature, and finalized.
    assert sorted(locks.order) == [0, 1]
    finalized = Activity.objects.get(postmortem=pm, verb=Verb.FINALIZED)
    assert finalized.actor == signers[locks.order[1]]


def test_two_last_signatures_at_once_finalize_exactly_once(
    doc, author, reviewer, approver, widen_signing
):
    pm = submitted(doc, author, (AUTHOR, author))
    waited = widen_signing()
    locks = Locks()
    outcomes = race(lambda: sign(pm, SRE, reviewer), lambda: sign(pm, VP, approver), locks=locks)
    assert_final_once_with_both_signatures(pm, outcomes, locks, [reviewer, approver])
    assert sorted(waited) == sorted([SRE, VP])  # each waited inside its locked transaction


@pytest.mark.parametrize("round_", range(5))
def test_two_last_signatures_at_once_without_help(doc, author, reviewer, approver, round_):
    pm = submitted(doc, author, (AUTHOR, author))
    locks = Locks()
    outcomes = race(lambda: sign(pm, SRE, reviewer), lambda: sign(pm, VP, approver), locks=locks)
    assert_final_once_with_both_signatures(pm, outcomes, locks, [reviewer, approver])


# --- 3: the last signature against a request for changes ---------------------------------------

SIGNATURE, REQUEST = 0, 1


@pytest.mark.parametrize(
    "first",
    [SIGNATURE, REQUEST, None],
    ids=["signature-first", "request-first", "same-moment"],
)
def test_a_signature_racing_a_request_for_changes(
    doc, author, reviewer, approver, engineer, widen_signing, first
):
    """The reviewer's is the last signature. "signature-first": the request is sent while the
    signature holds the row; "request-first": the other way round; "same-moment": both are
    released together, and the database decides (the test reads its decision from `locks`)."""
    pm = submitted(doc, author, (AUTHOR, author), (VP, approver))
    before = document_hash(pm)
    waited = widen_signing()
    locks = Locks()
    operations = [
        lambda: sign(pm, SRE, reviewer),
        lambda: workflow.request_changes(pm, by=engineer, comment="Explain the threshold."),
    ]
    if first is not None:
        second = REQUEST if first == SIGNATURE else SIGNATURE
        operations[second] = locks.after(first, 1, operations[second])
    signature, request = race(*operations, locks=locks)

    # Each took the row once; whoever took it first happened, the other was refused for the
    # state the first one left.
    assert sorted(locks.order) == [SIGNATURE, REQUEST]
    winner = locks.order[0]
    if first is not None:
        assert winner == first
    pm = assert_consistent(pm)
    assert_log_replays(pm, [before])
    if winner == SIGNATURE:  # the last signature: Final on what was signed
        assert signature.ok
        refused_for_the_status(request)
        assert waited == [SRE]
        assert pm.status == Status.FINAL
        assert is_current(slot(pm, SRE), pm)
        assert slot(pm, SRE).content_hash == document_hash(pm) == before
        assert verbs(pm)[-2:] == [Verb.SIGNED, Verb.FINALIZED]
    else:  # the request: a Draft, nothing frozen, the refused signature not stored
        assert request.ok
        refused_for_the_status(signature)
        assert waited == []  # refused before it wrote anything
        assert pm.status == Status.DRAFT
        assert not Snapshot.objects.filter(postmortem=pm).exists()
        assert not slot(pm, SRE).is_signed
        assert verbs(pm)[-1] == Verb.CHANGES_REQUESTED


# --- 4: a signature against the author's withdraw → edit → resubmit ----------------------------

# The author's work takes the row three times (withdraw, edit, resubmit). Where the signature
# gets it among them decides what it is: before the withdrawal, a signature on the old content
# (stale after the edit); between, refused (a Draft); after the resubmission, a current one.
# "sign-while-draft" arrives while the (slowed) edit holds the row; the author resubmits only
# after it. "same-moment" is decided by the database.
SIGNER, AUTHOR_WORK = 0, 1
ORDERS = pytest.mark.parametrize(
    "order", ["sign-first", "same-moment", "sign-while-draft", "sign-after-resubmit"]
)
# How many of the author's row locks came before the signature's, for each order.
AUTHOR_LOCKS_BEFORE = {"sign-first": 0, "sign-while-draft": 2, "sign-after-resubmit": 3}


def withdraw_edit_resubmit(pm, author, before_resubmit=None):
    def run():
        workflow.withdraw(pm, by=author)
        draft = loaded(pm)
        editing.save_section(draft, "resolution", resolution_form(draft, "changed"), by=author)
        if before_resubmit:
            before_resubmit()
        return workflow.submit_for_review(draft, by=author)

    return run


def racing_author(order, pm, reviewer, author, widen_editing):
    """The signature and the author's work, held back as `order` says; and the `Locks`."""
    locks = Locks()

    def signature():
        return sign(pm, SRE, reviewer)

    if order == "sign-while-draft":
        widen_editing()
        work = withdraw_edit_resubmit(pm, author, lambda: locks.wait(SIGNER))
        signature = locks.after(AUTHOR_WORK, 2, signature)  # while the edit holds the row
    else:
        work = withdraw_edit_resubmit(pm, author)
    if order == "sign-first":
        work = locks.after(SIGNER, 1, work)
    if order == "sign-after-resubmit":
        signature = locks.after(AUTHOR_WORK, 3, signature)
    return signature, work, locks


def author_locks_before_the_signature(order, locks) -> int:
    observed = locks.before(SIGNER, AUTHOR_WORK)
    if order in AUTHOR_LOCKS_BEFORE:
        assert observed == AUTHOR_LOCKS_BEFORE[order], locks.order
    return observed


def signed_before_the_edit(pm, person) -> bool:
    """In the order the transactions committed (they are serialized by the row lock)."""
    signed = Activity.objects.filter(postmortem=pm, verb=Verb.SIGNED, actor=person).latest("id")
    edited = Activity.objects.get(postmortem=pm, verb=Verb.EDITED)
    return signed.pk < edited.pk


@ORDERS
def test_a_signature_racing_withdraw_edit_resubmit(
    doc, author, reviewer, approver, widen_signing, widen_editing, order
):
    """The reviewer signs while the author withdraws, edits and resubmits; the approver has not
    signed yet, so the reviewer's signature is not the last one."""
    pm = submitted(doc, author, (AUTHOR, author))
    before, revision_before = document_hash(pm), pm.revision
    widen_signing()
    signature, author_work, locks = racing_author(order, pm, reviewer, author, widen_editing)
    signature, author_work = race(signature, author_work, locks=locks)

    assert author_work.ok  # the document was never Final, so withdrawing is always allowed
    pm = loaded(pm)
    after = document_hash(pm)
    assert (pm.status, pm.resolution_summary) == (Status.IN_REVIEW, "changed")
    assert after != before and pm.revision != revision_before
    assert_log_replays(pm, [before, after])

    reviewer_slot = slot(pm, SRE)
    author_locks = author_locks_before_the_signature(order, locks)
    assert locks.order.count(AUTHOR_WORK) == 3 and locks.order.count(SIGNER) == 1
    if author_locks == 0:  # signed the content before the edit: stale now
        assert signature.ok
        assert (reviewer_slot.signed_revision, reviewer_slot.content_hash) == (
            revision_before,
            before,
        )
        assert signed_before_the_edit(pm, reviewer)
        assert not is_current(reviewer_slot, pm)
    elif author_locks in (1, 2):  # the document was a Draft
        refused_for_the_status(signature)
        assert not reviewer_slot.is_signed
    else:  # after the resubmission: on the new content
        assert signature.ok
        assert (reviewer_slot.signed_revision, reviewer_slot.content_hash) == (pm.revision, after)
        assert not signed_before_the_edit(pm, reviewer)
        assert is_current(reviewer_slot, pm)

    # Everyone else signs the new content: Final only if the reviewer's signature is current.
    sign(pm, AUTHOR, author)
    sign(pm, VP, approver)
    pm = assert_consistent(pm)
    if author_locks == 3:
        assert pm.status == Status.FINAL
    else:
        assert pm.status == Status.IN_REVIEW
        sign(pm, SRE, reviewer)
        pm = assert_consistent(pm)
        assert pm.status == Status.FINAL
    assert Snapshot.objects.get(postmortem=pm).content_hash == after


@ORDERS
def test_the_last_signature_racing_withdraw_edit_resubmit(
    doc, author, reviewer, approver, widen_signing, widen_editing, order
):
    """As above, but the reviewer's signature is the last one: it may finalize the document
    only on the content every signer saw, never on content changed in the meantime."""
    pm = submitted(doc, author, (AUTHOR, author), (VP, approver))
    before = document_hash(pm)
    widen_signing()
    signature, author_work, locks = racing_author(order, pm, reviewer, author, widen_editing)
    signature, author_work = race(signature, author_work, locks=locks)

    pm = assert_consistent(pm)
    author_locks = author_locks_before_the_signature(order, locks)
    if author_locks == 0:  # the signature won: Final, the withdrawal refused
        assert signature.ok
        refused_for_the_status(author_work)
        assert locks.order == [SIGNER, AUTHOR_WORK]
        assert pm.status == Status.FINAL
        assert verbs(pm, Verb.WITHDRAWN, Verb.EDITED) == []
        assert Snapshot.objects.get(postmortem=pm).content_hash == before
        assert_log_replays(pm, [before])
        return
    # The author's work went through; the earlier signatures are stale now.
    assert author_work.ok
    assert locks.order.count(AUTHOR_WORK) == 3 and locks.order.count(SIGNER) == 1
    assert pm.status == Status.IN_REVIEW
    assert pm.resolution_summary == "changed"
    assert not is_current(slot(pm, AUTHOR), pm) and not is_current(slot(pm, VP), pm)
    assert_log_replays(pm, [before, document_hash(pm)])
    if author_locks in (1, 2):  # the document was a Draft
        refused_for_the_status(signature)
        assert not slot(pm, SRE).is_signed
    else:  # after the resubmission, on the new content: current, not the last any more
        assert signature.ok
        assert is_current(slot(pm, SRE), pm)
        assert slot(pm, SRE).content_hash == document_hash(pm)
        assert not Snapshot.objects.filter(postmortem=pm).exists()


# --- 5: two authors save the same section at once ----------------------------------------------


@pytest.mark.parametrize("widened", [False, True], ids=["natural", "widened"])
def test_two_authors_save_the_same_section_revision_at_once(
    doc, author, coauthor, widen_editing, widened
):
    revision_before = doc.revision
    forms = {}
    people = [author, coauthor]
    for person, summary in [(author, "Alice's summary"), (coauthor, "Bob's summary")]:
        draft = loaded(doc)  # each author opened the form on their own copy, at revision 0
        forms[person.pk] = (draft, resolution_form(draft, summary))
    waited = widen_editing() if widened else []

    def save(person):
        draft, form = forms[person.pk]
        return lambda: editing.save_section(draft, "resolution", form, by=person)

    locks = Locks()
    outcomes = race(save(author), save(coauthor), locks=locks)

    # Whoever took the row first saved; the other was refused, told who saved meanwhile.
    assert sorted(locks.order) == [0, 1]
    first, second = locks.order
    winner, winning, losing = people[first], outcomes[first], outcomes[second]
    assert winning.ok
    assert isinstance(losing.error, editing.EditConflict)
    assert losing.error.by == winner.name
    if widened:
        assert waited == [doc.pk]  # only the save that went through reached its write

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
    locks = Locks()
    removal, update = race(
        lambda: workflow.remove_approval(approval, by=author),
        locks.after(
            0,
            1,
            lambda: workflow.update_approval(
                approval, by=coauthor, role=ENG, assignee=None, required=False
            ),
        ),
        locks=locks,
    )
    assert locks.order == [0, 1]
    assert removal.ok
    assert isinstance(update.error, workflow.TransitionError)
    assert str(update.error) == "That approval slot was removed meanwhile."
    assert not Approval.objects.filter(pk=approval.pk).exists()


def test_two_authors_removing_the_same_slot_log_one_removal(doc, author, coauthor):
    approval = slot(doc, ENG)
    locks = Locks()
    outcomes = race(
        lambda: workflow.remove_approval(approval, by=author),
        lambda: workflow.remove_approval(approval, by=coauthor),
        locks=locks,
    )
    # The first to take the row removed the slot; the second found it gone and was told so.
    assert sorted(locks.order) == [0, 1]
    first, second = locks.order
    assert outcomes[first].ok
    assert isinstance(outcomes[second].error, workflow.TransitionError)
    assert str(outcomes[second].error) == "That approval slot was removed meanwhile."
    assert not Approval.objects.filter(pk=approval.pk).exists()
    assert verbs(doc, Verb.APPROVALS_CHANGED) == [Verb.APPROVALS_CHANGED]
    removal = Activity.objects.get(postmortem=doc, verb=Verb.APPROVALS_CHANGED)
    assert removal.actor == [author, coauthor][first]


def test_two_authors_deleting_the_same_row_log_one_removal(doc, author, coauthor):
    row = doc.timeline.first()
    revision_before = doc.revision
    locks = Locks()
    outcomes = race(
        lambda: editing.delete_row(doc, "timeline", row, by=author),
        lambda: editing.delete_row(doc, "timeline", row, by=coauthor),
        locks=locks,
    )
    # Both asked for the row to be gone, and it is: nobody is refused, one removal is logged,
    # by the first to take the row.
    assert [o.error for o in outcomes] == [None, None]
    assert sorted(locks.order) == [0, 1]
    assert not doc.timeline.filter(pk=row.pk).exists()
    assert verbs(doc, Verb.EDITED) == [Verb.EDITED]
    removal = Activity.objects.get(postmortem=doc, verb=Verb.EDITED)
    assert removal.actor == [author, coauthor][locks.order[0]]
    assert loaded(doc).revision == revision_before + 1
