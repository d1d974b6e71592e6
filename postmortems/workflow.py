"""Every change of a postmortem's life cycle is one function here.

Draft → Under Review → Final, and back. Views call these and nothing else to move a document;
each one locks the document row, checks who may act and in which state, writes one
append-only Activity entry in the same transaction, sends its emails after commit, and raises
``TransitionError`` with a message a person can read.
"""

import datetime
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from postmortems import notifications
from postmortems.content import canonical_content, content_hash
from postmortems.markdown import RenderFailed, strict_rendering
from postmortems.models import (
    DEFAULT_APPROVAL_SLOTS,
    Activity,
    Approval,
    Postmortem,
    Snapshot,
)
from postmortems.sections import SECTIONS

Status = Postmortem.Status


class TransitionError(Exception):
    """A workflow step was refused; ``str(error)`` is written for the person who tried it."""


# --- who is who --------------------------------------------------------------------------------


def is_author(user, postmortem) -> bool:
    return any(a.pk == user.pk for a in postmortem.authors.all())


def assigned_approvals(user, postmortem) -> list[Approval]:
    return [a for a in postmortem.approvals.all() if a.assignee_id == user.pk]


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


def _log(postmortem, actor, verb, *, from_status="", to_status="", detail="", section=""):
    Activity.objects.create(
        postmortem=postmortem,
        actor=actor,
        verb=verb,
        from_status=from_status,
        to_status=to_status,
        detail=detail,
        section=section,
    )


def _move(postmortem, to_status, actor, verb, *, detail="", extra_fields=()):
    from_status = postmortem.status
    postmortem.status = to_status
    postmortem.save(update_fields=["status", "updated_at", *extra_fields])
    _log(postmortem, actor, verb, from_status=from_status, to_status=to_status, detail=detail)


# --- creating ----------------------------------------------------------------------------------


def next_key(year: int) -> str:
    """The next free generated key for a year: INC-2026-0001, INC-2026-0002, …"""
    prefix = f"{settings.POSTMORTEM_KEY_PREFIX}-{year}-"
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    numbers = [
        int(m.group(1))
        for key in Postmortem.objects.filter(key__startswith=prefix).values_list("key", flat=True)
        if (m := pattern.match(key))
    ]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def create_draft(*, by, title, incident_date, severity, key="", authors=(), **fields) -> Postmortem:
    """Start a Draft with the template's approval slots. The creator is always an author."""
    for attempt in range(5):
        try:
            with transaction.atomic():
                postmortem = Postmortem.objects.create(
                    key=key or next_key(incident_date.year),
                    title=title,
                    incident_date=incident_date,
                    severity=severity,
                    created_by=by,
                    **fields,
                )
                postmortem.authors.set({by, *authors})
                Approval.objects.bulk_create(
                    Approval(
                        postmortem=postmortem,
                        role=role,
                        is_author_slot=is_author_slot,
                        assignee=by if is_author_slot else None,
                        position=position,
                    )
                    for position, (role, is_author_slot) in enumerate(DEFAULT_APPROVAL_SLOTS)
                )
                _log(postmortem, by, Activity.Verb.CREATED, to_status=Status.DRAFT)
                return postmortem
        except IntegrityError:
            if key or attempt == 4:
                raise TransitionError(f"The key {key or 'generated'} is already taken.") from None
    raise AssertionError("unreachable")


# --- review ------------------------------------------------------------------------------------


def missing_for_review(postmortem) -> list[str]:
    """What stops a Draft from going to review: incomplete sections, unassigned slots."""
    problems = []
    for section in SECTIONS:
        if section.required:
            missing = section.completeness(postmortem).missing
            if missing:
                problems.append(f"{section.title}: {', '.join(missing)}")
    approvals = list(postmortem.approvals.all())
    if not any(a.required for a in approvals):
        problems.append("Approvals: at least one required approval")
    for approval in approvals:
        if approval.required and approval.assignee_id is None:
            problems.append(f"Approvals: assign someone as {approval.role}")
        elif (
            approval.assignee_id
            and not approval.is_author_slot
            and is_author(approval.assignee, postmortem)
        ):
            problems.append(
                f"Approvals: {approval.assignee.name} is an author and cannot review as {approval.role}"
            )
    return problems


@transaction.atomic
def submit_for_review(postmortem, *, by) -> Postmortem:
    pm = _lock(postmortem)
    _expect(pm, Status.DRAFT)
    if not is_author(by, pm):
        raise TransitionError("Only an author can submit the document for review.")
    problems = missing_for_review(pm)
    if problems:
        raise TransitionError(
            "Not ready for review yet. Still missing: " + "; ".join(problems) + "."
        )
    _move(pm, Status.IN_REVIEW, by, Activity.Verb.SUBMITTED)
    notifications.review_requested(pm, by=by)
    return pm


@transaction.atomic
def withdraw(postmortem, *, by) -> Postmortem:
    pm = _lock(postmortem)
    _expect(pm, Status.IN_REVIEW)
    if not is_author(by, pm):
        raise TransitionError("Only an author can withdraw the document from review.")
    _move(pm, Status.DRAFT, by, Activity.Verb.WITHDRAWN)
    return pm


@transaction.atomic
def request_changes(postmortem, *, by, comment: str) -> Postmortem:
    pm = _lock(postmortem)
    _expect(pm, Status.IN_REVIEW)
    reviewer_slots = [a for a in assigned_approvals(by, pm) if not a.is_author_slot]
    if not reviewer_slots:
        raise TransitionError("Only an assigned reviewer or approver can request changes.")
    comment = (comment or "").strip()
    if not comment:
        raise TransitionError("Say what should change: the authors read your comment.")
    _move(pm, Status.DRAFT, by, Activity.Verb.CHANGES_REQUESTED, detail=comment)
    notifications.changes_requested(pm, by=by, comment=comment)
    return pm


@transaction.atomic
def sign(approval, *, by, password: str, comment: str = "") -> Approval:
    """The assigned person signs the document's current content, proving it with their password.

    The last required signature finalizes the document in the same transaction.
    """
    # The (deliberately slow) password hash is checked before the document row is locked,
    # so that nobody's edit or signature waits on it; everything else is checked under the lock.
    if not by.check_password(password or ""):
        raise TransitionError("That password is not right. Your signature needs your own password.")
    pm = _lock(approval.postmortem)
    approval = next((a for a in pm.approvals.all() if a.pk == approval.pk), None)
    if approval is None:
        raise TransitionError("That approval slot no longer exists.")
    _expect(pm, Status.IN_REVIEW)
    if approval.assignee_id != by.pk:
        who = approval.assignee.name if approval.assignee_id else "nobody yet"
        raise TransitionError(
            f"Only the person assigned as {approval.role} ({who}) can sign that slot."
        )
    if approval.is_current(pm):
        raise TransitionError(f"You already signed this version as {approval.role}.")
    content = canonical_content(pm)
    approval.decision = Approval.Decision.APPROVED
    approval.comment = (comment or "").strip()
    approval.signed_at = timezone.now()
    approval.content_hash = content_hash(content)
    approval.signed_revision = pm.revision
    approval.save()
    _log(
        pm,
        by,
        Activity.Verb.SIGNED,
        detail=f"as {approval.role} (SHA-256 {approval.content_hash[:12]}…)",
    )
    notifications.signed(pm, approval)
    if all(a.is_current(pm) for a in pm.approvals.all() if a.required):
        finalize_signed(pm, by=by, content=content)
    return approval


def finalize_signed(pm, *, by, content, notify=True) -> None:
    """Under Review → Final, once every required slot is signed on exactly this content.

    Called by the last signature inside its transaction (and by the demo data loader).
    """
    digest = content_hash(content)
    stale = [
        a.role
        for a in pm.approvals.all()
        if a.required and not (a.is_current(pm) and a.content_hash == digest)
    ]
    if stale:
        raise TransitionError(
            "Still waiting for signatures on this version: " + ", ".join(stale) + "."
        )
    from_status = pm.status
    pm.status = Status.FINAL
    pm.next_review_date = timezone.now().date() + datetime.timedelta(
        days=settings.POSTMORTEM_REVIEW_AFTER_DAYS
    )
    try:
        # Strictly: a text shown as typed (it could not be formatted) is never frozen.
        with strict_rendering():
            html = render_to_string("postmortems/snapshot_body.html", _snapshot_context(pm))
    except RenderFailed as failure:
        raise TransitionError(
            f"{pm.key} cannot be frozen as Final: one of its texts cannot be formatted "
            f"({failure}). Request changes so that an author can correct it."
        ) from None
    Snapshot.objects.create(
        postmortem=pm, version=pm.version, content=content, content_hash=digest, html=html
    )
    pm.save(update_fields=["status", "next_review_date", "updated_at"])
    _log(
        pm,
        by,
        Activity.Verb.FINALIZED,
        from_status=from_status,
        to_status=Status.FINAL,
        detail="every required approval signed this version",
    )
    if notify:
        notifications.finalized(pm)


def _snapshot_context(pm):
    from postmortems.views.context import document_context

    context = document_context(pm, user=None)
    context["frozen"] = True
    return context


@transaction.atomic
def reopen(postmortem, *, by, reason: str) -> Postmortem:
    """Final → Draft for a new version. The Final version stays readable as a snapshot."""
    pm = _lock(postmortem)
    _expect(pm, Status.FINAL)
    if not (is_author(by, pm) or by.is_superuser):
        raise TransitionError("Only an author or an administrator can reopen a Final document.")
    reason = (reason or "").strip()
    if not reason:
        raise TransitionError("Give a reason for reopening: it is kept in the activity log.")
    for approval in pm.approvals.all():
        approval.clear_signature()
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


# --- approval slots (Draft only) ---------------------------------------------------------------


def _editable_approvals(postmortem, by) -> Postmortem:
    pm = _lock(postmortem)
    _expect(pm, Status.DRAFT)
    if not (is_author(by, pm) or by.is_superuser):
        raise TransitionError("Only an author can change who approves the document.")
    return pm


def _check_assignee(pm, role, is_author_slot, assignee):
    if assignee is None:
        return
    if is_author_slot and not is_author(assignee, pm):
        raise TransitionError(f"{assignee.name} is not an author, so cannot sign as {role}.")
    if not is_author_slot and is_author(assignee, pm):
        raise TransitionError(
            f"{assignee.name} is an author; {role} must be someone independent of the document."
        )


@transaction.atomic
def add_approval(postmortem, *, by, role, assignee=None, required=True, is_author_slot=False):
    pm = _editable_approvals(postmortem, by)
    _check_assignee(pm, role, is_author_slot, assignee)
    position = max((a.position for a in pm.approvals.all()), default=-1) + 1
    approval = Approval.objects.create(
        postmortem=pm,
        role=role,
        assignee=assignee,
        required=required,
        is_author_slot=is_author_slot,
        position=position,
    )
    _log(
        pm,
        by,
        Activity.Verb.APPROVALS_CHANGED,
        detail=f"added {role}" + (f" ({assignee.name})" if assignee else ""),
    )
    return approval


@transaction.atomic
def update_approval(approval, *, by, role, assignee, required):
    pm = _editable_approvals(approval.postmortem, by)
    approval = next((a for a in pm.approvals.all() if a.pk == approval.pk), None)
    if approval is None:
        raise TransitionError("That approval slot was removed meanwhile.")
    _check_assignee(pm, role, approval.is_author_slot, assignee)
    if approval.assignee_id != (assignee.pk if assignee else None):
        approval.clear_signature()
    approval.role, approval.assignee, approval.required = role, assignee, required
    approval.save()
    _log(
        pm,
        by,
        Activity.Verb.APPROVALS_CHANGED,
        detail=f"{role}: {assignee.name if assignee else 'unassigned'}",
    )
    return approval


@transaction.atomic
def remove_approval(approval, *, by):
    pm = _editable_approvals(approval.postmortem, by)
    deleted, _ = Approval.objects.filter(pk=approval.pk, postmortem=pm).delete()
    if not deleted:
        raise TransitionError(f"{approval.role} was removed meanwhile.")
    _log(pm, by, Activity.Verb.APPROVALS_CHANGED, detail=f"removed {approval.role}")
