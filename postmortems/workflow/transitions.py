"""Every change of a postmortem's life cycle is one function here.

Draft → Under Review → Final, and back. Views call these and nothing else to move a document;
each one locks the document row, checks who may act and in which state, writes one
append-only Activity entry in the same transaction, sends its emails after commit, and raises
``TransitionError`` with a message a person can read.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.passwords import PasswordRefused, check_password
from postmortems import notifications, permissions
from postmortems.activity import log_action
from postmortems.content import canonical_content, content_hash
from postmortems.keys import KEY_REFUSED, key_refusal, next_key
from postmortems.markdown import RenderFailed, page_budget, strict_rendering
from postmortems.models import Activity, Approval, ChangeRequestPoints, Postmortem, Snapshot
from postmortems.presentation import document_context
from postmortems.sections import SECTIONS
from postmortems.workflow.approvals import (
    apply_policy,
    assigned_approvals,
    involved_people,
    missing_approvals,
    policy_roles,
)
from postmortems.workflow.errors import ContentChanged, TransitionError
from postmortems.workflow.verdicts import confirm_criteria, pointed_criteria, pointed_sections

Status = Postmortem.Status


def _lock(postmortem) -> Postmortem:
    """The document row, locked for the rest of the transaction, with what the rules read."""
    return (
        Postmortem.objects.select_for_update()
        .with_document()
        .prefetch_related("approvals__assignee")
        .get(pk=postmortem.pk)
    )


def _expect(postmortem, *statuses):
    if postmortem.status not in statuses:
        raise TransitionError(
            f"{postmortem.key} is {postmortem.get_status_display()}; "
            f"this needs it to be {' or '.join(Status(s).label for s in statuses)}."
        )


def _move(postmortem, to_status, actor, verb, *, detail="", extra_fields=(), now=None):
    from_status = postmortem.status
    postmortem.status = to_status
    postmortem.updated_at = now or timezone.now()
    postmortem.save(update_fields=["status", "updated_at", *extra_fields])
    return log_action(
        postmortem,
        actor,
        verb,
        from_status=from_status,
        to_status=to_status,
        detail=detail,
        at=postmortem.updated_at,
    )


# --- creating ----------------------------------------------------------------------------------


def create_draft(
    *, by, title, incident_date, severity, key="", authors=(), now=None, **fields
) -> Postmortem:
    """Start a Draft with the approval policy's slots. The creator is always an author.

    ``now``: when it happens (by default, now); every function here that a replay of a past
    review needs (the demo) takes one, so nothing is redated afterwards.
    """
    now = now or timezone.now()
    restricted = bool(fields.get("restricted"))
    if key and (refusal := key_refusal(key, restricted=restricted)):
        raise TransitionError(refusal)
    for attempt in range(5):
        try:
            with transaction.atomic():
                postmortem = Postmortem.objects.create(
                    key=key or next_key(incident_date.year, restricted=restricted),
                    title=title,
                    incident_date=incident_date,
                    severity=severity,
                    created_by=by,
                    created_at=now,
                    updated_at=now,
                    **fields,
                )
                postmortem.authors.set({by, *authors})
                # The approval policy's slots for its severity; the creator holds the author's.
                apply_policy(postmortem, by=by)
                log_action(postmortem, by, Activity.Verb.CREATED, to_status=Status.DRAFT, at=now)
                return postmortem
        except IntegrityError:
            # Taken meanwhile by a concurrent creation: a typed key is refused, a generated
            # one is drawn again.
            if key:
                raise TransitionError(KEY_REFUSED.format(key=key)) from None
            if attempt == 4:
                raise TransitionError("No free key could be drawn; try again.") from None
    raise AssertionError("unreachable")


# --- review ------------------------------------------------------------------------------------


def missing_for_review(postmortem) -> list[str]:
    """What stops a Draft from going to review: incomplete sections, the approvals."""
    problems = []
    for section in SECTIONS:
        if section.required:
            missing = section.completeness(postmortem).missing
            if missing:
                problems.append(f"{section.title}: {', '.join(missing)}")
    return problems + [f"Approvals: {problem}" for problem in missing_approvals(postmortem)]


@transaction.atomic
def submit_for_review(postmortem, *, by, now=None) -> Postmortem:
    pm = _lock(postmortem)
    _expect(pm, Status.DRAFT)
    if not permissions.can_submit(by, pm):
        raise TransitionError("Only an author can submit the document for review.")
    # The policy may have changed since the Draft began: it decides who signs, not the Draft.
    apply_policy(pm, by=by)
    problems = missing_for_review(pm)
    if problems:
        raise TransitionError(
            "Not ready for review yet. Still missing: " + "; ".join(problems) + "."
        )
    _move(pm, Status.IN_REVIEW, by, Activity.Verb.SUBMITTED, now=now)
    notifications.review_requested(pm, by=by)
    return pm


@transaction.atomic
def withdraw(postmortem, *, by) -> Postmortem:
    pm = _lock(postmortem)
    _expect(pm, Status.IN_REVIEW)
    if not permissions.can_withdraw(by, pm):
        raise TransitionError("Only an author can withdraw the document from review.")
    _move(pm, Status.DRAFT, by, Activity.Verb.WITHDRAWN)
    return pm


@transaction.atomic
def request_changes(postmortem, *, by, comment: str, criteria=(), sections=()) -> Postmortem:
    """Back to Draft with the reviewer's comment; ``criteria`` (ids of active review
    criteria) and ``sections`` (slugs) say what falls short, kept with the log entry."""
    pm = _lock(postmortem)
    _expect(pm, Status.IN_REVIEW)
    if not permissions.can_request_changes(by, pm):
        raise TransitionError("Only an assigned reviewer or approver can request changes.")
    reviewer_slots = [a for a in assigned_approvals(by, pm) if not a.is_author_slot]
    comment = (comment or "").strip()
    if not comment:
        raise TransitionError("Say what should change: the authors read your comment.")
    pointed = {"criteria": pointed_criteria(criteria), "sections": pointed_sections(sections)}
    # The reviewer keeps the slot: nobody but them or an administrator can hand it over now.
    for approval in reviewer_slots:
        approval.changes_requested_at = timezone.now()
        approval.save(update_fields=["changes_requested_at"])
    entry = _move(pm, Status.DRAFT, by, Activity.Verb.CHANGES_REQUESTED, detail=comment)
    if pointed["criteria"] or pointed["sections"]:
        ChangeRequestPoints.objects.create(activity=entry, **pointed)
    notifications.changes_requested(pm, by=by, comment=comment)
    return pm


def sign(
    approval, *, by, password: str, seen_hash: str, request, comment: str = "", criteria=()
) -> Approval:
    """The assigned person signs the content they were shown, proving it with their password.

    ``seen_hash`` is the SHA-256 of the content the sign page showed them: if the document
    changed since, nothing is signed (``ContentChanged``). ``criteria``: the review criteria
    they ticked (``ReviewCriterion.token``s); a reviewer's or approver's slot needs every
    active one (``CriteriaUnconfirmed``). The password is checked first,
    outside the transaction, so that a wrong one counts towards the sign-in throttle (and
    nobody's edit waits on the slow hash); the last required signature finalizes the document
    in the same transaction as itself.
    """
    try:
        check_password(request, by, password or "")
    except PasswordRefused as refused:
        raise TransitionError(f"{refused} Your signature needs your own password.") from None
    return record_signature(
        approval, by=by, seen_hash=seen_hash, comment=comment, criteria=criteria
    )


@transaction.atomic
def record_signature(approval, *, by, seen_hash, comment="", criteria=(), now=None) -> Approval:
    """The signature itself, with every rule of who may sign what; ``sign`` calls it once
    the password proved who ``by`` is. Called directly only where there is no person at a
    keyboard to prove it: the demo loader replaying its documents' review. It records the
    review criteria confirmed (``criteria``), as they read then."""
    now = now or timezone.now()
    pm = _lock(approval.postmortem)
    approval = next((a for a in pm.approvals.all() if a.pk == approval.pk), None)
    if approval is None:
        raise TransitionError("That approval slot no longer exists.")
    _expect(pm, Status.IN_REVIEW)
    if not permissions.can_sign(by, approval):
        who = approval.assignee.name if approval.assignee_id else "nobody yet"
        raise TransitionError(
            f"Only the person assigned as {approval.role} ({who}) can sign that slot."
        )
    content = canonical_content(pm)
    digest = content_hash(content)
    if digest != seen_hash:
        raise ContentChanged(
            f"{pm.key} changed after you opened it, so nothing was signed: read what changed, "
            "then sign the version you read.",
            seen_revision=revision_of(pm, seen_hash),
        )
    if approval.signed_on(digest):
        raise TransitionError(f"You already signed this version as {approval.role}.")
    if len(assigned_approvals(by, pm)) > 1:
        raise TransitionError(
            "You hold more than one slot of this document; each needs its own person. "
            "Ask an author to change the approvals."
        )
    if approval.is_author_slot and not permissions.is_author(by, pm):
        raise TransitionError(f"You are not an author, so you cannot sign as {approval.role}.")
    if not approval.is_author_slot and by.pk in involved_people(pm):
        raise TransitionError(
            f"You wrote or edited this version, so you cannot sign as {approval.role}: "
            "independent review needs someone else."
        )
    confirmed = confirm_criteria(approval, criteria)
    approval.decision = Approval.Decision.APPROVED
    approval.confirmed_criteria = confirmed
    approval.comment = (comment or "").strip()
    approval.signed_at = now
    approval.content_hash = digest
    approval.signed_revision = pm.revision
    approval.changes_requested_at = None
    approval.save()
    log_action(
        pm, by, Activity.Verb.SIGNED, detail=f"as {approval.role} (SHA-256 {digest[:12]}…)", at=now
    )
    notifications.signed(pm, approval)
    if not unsigned_roles(pm, digest):
        finalize_signed(pm, by=by, content=content, now=now)
    return approval


def revision_of(pm, digest) -> int | None:
    """The revision whose content has this hash (for the diff since), if one is recorded."""
    return (
        pm.versions.filter(content_hash=digest)
        .order_by("-revision")
        .values_list("revision", flat=True)
        .first()
    )


def unsigned_roles(pm, digest) -> list[str]:
    """The signatures Final still waits for on the content with this hash: every slot the
    policy asks for and every other required one, each by someone independent of it."""
    roles = policy_roles(pm.severity)
    policy = {role.casefold() for role, _ in roles}
    present = {a.role.casefold() for a in pm.approvals.all()}
    waiting = [role for role, _ in roles if role.casefold() not in present]
    involved = involved_people(pm)
    for approval in pm.approvals.all():
        if not (approval.required or approval.role.casefold() in policy):
            continue
        independent = approval.is_author_slot or approval.assignee_id not in involved
        if not (approval.signed_on(digest) and independent):
            waiting.append(approval.role)
    return waiting


def finalize_signed(pm, *, by, content, now=None) -> None:
    """Under Review → Final, once every required slot is signed on exactly this content.
    Called by the last signature, inside its transaction."""
    now = now or timezone.now()
    digest = content_hash(content)
    stale = unsigned_roles(pm, digest)
    if stale:
        raise TransitionError(
            "Still waiting for signatures on this version: " + ", ".join(stale) + "."
        )
    from_status = pm.status
    pm.status = Status.FINAL
    pm.next_review_date = now.date() + datetime.timedelta(
        days=settings.POSTMORTEM_REVIEW_AFTER_DAYS
    )
    try:
        html = snapshot_html(pm)
    except RenderFailed as failure:
        why = (
            f"formatting its texts takes more than {FREEZE_SECONDS:g} seconds"
            if failure.reason == "page-budget"
            else f"one of its texts cannot be formatted ({failure})"
        )
        raise TransitionError(
            f"{pm.key} cannot be frozen as Final: {why}. Request changes so that an author can "
            "correct it."
        ) from None
    Snapshot.objects.create(
        postmortem=pm,
        version=pm.version,
        content=content,
        content_hash=digest,
        html=html,
        finalized_at=now,
    )
    pm.updated_at = now
    pm.save(update_fields=["status", "next_review_date", "updated_at"])
    log_action(
        pm,
        by,
        Activity.Verb.FINALIZED,
        from_status=from_status,
        to_status=Status.FINAL,
        detail="every required approval signed this version",
        at=now,
    )
    notifications.finalized(pm)


# Formatting time for every text of a document frozen as Final (the last signature waits on
# it, with the document locked): texts already shown are memoised and take none of it.
FREEZE_SECONDS = 5.0


def snapshot_html(pm) -> str:
    """The read view as a Final snapshot keeps it. Strictly: a text that could not be
    formatted raises RenderFailed rather than being frozen as typed, and so does running
    out of FREEZE_SECONDS."""
    context = document_context(pm, user=None)
    context["frozen"] = True
    with page_budget(FREEZE_SECONDS), strict_rendering():
        return render_to_string("postmortems/snapshot_body.html", context)


@transaction.atomic
def reopen(postmortem, *, by, reason: str) -> Postmortem:
    """Final → Draft for a new version. The Final version stays readable as a snapshot."""
    pm = _lock(postmortem)
    _expect(pm, Status.FINAL)
    if not permissions.can_reopen(by, pm):
        raise TransitionError("Only an author or an administrator can reopen a Final document.")
    reason = (reason or "").strip()
    if not reason:
        raise TransitionError("Give a reason for reopening: it is kept in the activity log.")
    for approval in pm.approvals.all():
        approval.clear_signature()
        approval.changes_requested_at = None
        approval.save()
    pm.version += 1
    pm.next_review_date = None
    _move(
        pm,
        Status.DRAFT,
        by,
        Activity.Verb.REOPENED,
        detail=reason,
        extra_fields=["version", "next_review_date"],
    )
    return pm
