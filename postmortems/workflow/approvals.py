"""Who signs a document: the approval policy's slots, and who may hold them.

The policy (``ApprovalPolicy``, kept by administrators) says which roles must sign a document
of each severity; the template's four for every severity unless changed. Authors fill those
slots with people but cannot remove one, rename it or make it optional; they may add slots of
their own. A reviewer's or approver's slot is independent review: nobody who is or was an
author of the current version, or saved any of its content, may hold one, and nobody holds two
slots of one document. A reviewer who requested changes keeps the slot until they, or an
administrator, hand it over. Every change is logged in the document's activity.

The functions that change slots lock the document and raise ``TransitionError``, as the
transitions do.
"""

import copy

from django.db import transaction

from postmortems import permissions
from postmortems.activity import log_action
from postmortems.models import (
    DEFAULT_APPROVAL_SLOTS,
    Activity,
    Approval,
    DocumentVersion,
    PolicyRole,
    Postmortem,
)
from postmortems.values import clipped
from postmortems.workflow.errors import TransitionError

Status = Postmortem.Status


# --- the policy --------------------------------------------------------------------------------


def policy_roles(severity: str) -> list[tuple[str, bool]]:
    """[(role, is_author_slot)] that a document of this severity must have signed."""
    roles = PolicyRole.objects.filter(policy__severity=severity).order_by("position", "id")
    return [(r.role, r.is_author_slot) for r in roles] or list(DEFAULT_APPROVAL_SLOTS)


def apply_policy(pm, *, by=None) -> None:
    """Give the (locked) document every slot its severity's policy asks for, required and
    fixed; slots the policy no longer asks for become the authors' own, as they were."""
    roles = policy_roles(pm.severity)
    slots = list(Approval.objects.filter(postmortem=pm).select_related("assignee"))
    by_role = {slot.role.casefold(): slot for slot in slots}
    wanted = []
    for role, is_author_slot in roles:
        slot = by_role.get(role.casefold())
        if slot is None:
            author = by if by is not None and permissions.is_author(by, pm) else None
            slot = Approval(
                postmortem=pm,
                role=role,
                is_author_slot=is_author_slot,
                assignee=author if is_author_slot else None,
            )
        elif slot.is_author_slot != is_author_slot:
            # An author's slot became a reviewer's or the other way round: nobody holds it yet.
            slot.is_author_slot = is_author_slot
            slot.assignee = None
            slot.clear_signature()
        slot.required = True
        slot.from_policy = True
        wanted.append(slot)
    others = [slot for slot in slots if slot not in wanted]
    for slot in others:
        slot.from_policy = False
    for position, slot in enumerate([*wanted, *others]):
        slot.position = position
        slot.save()
    if hasattr(pm, "_prefetched_objects_cache"):
        pm._prefetched_objects_cache.pop("approvals", None)


# --- who is who --------------------------------------------------------------------------------


def assigned_approvals(user, postmortem) -> list[Approval]:
    return [a for a in postmortem.approvals.all() if a.assignee_id == user.pk]


def involved_people(postmortem) -> set[int]:
    """Everyone who is or was an author of the current version, or saved any of its content."""
    ids = {a.pk for a in postmortem.authors.all()}
    versions = DocumentVersion.objects.filter(
        postmortem=postmortem, document_version=postmortem.version
    ).values_list("changed_by_id", "content__authors")
    for changed_by, authors in versions:
        if changed_by is not None:
            ids.add(changed_by)
        ids.update(a for a in authors or [] if isinstance(a, int))
    return ids


def assignment_problems(pm, involved=None) -> list[str]:
    """What is wrong with who holds the slots now (the authors may have changed since)."""
    involved = involved_people(pm) if involved is None else involved
    problems = []
    held = {}
    for approval in pm.approvals.all():
        if approval.assignee_id is None:
            continue
        name = approval.assignee.name
        if approval.assignee_id in held:
            problems.append(
                f"{name} holds two slots ({held[approval.assignee_id]} and {approval.role}); "
                "each needs its own person"
            )
        held.setdefault(approval.assignee_id, approval.role)
        if approval.is_author_slot and not permissions.is_author(approval.assignee, pm):
            problems.append(f"{name} is not an author, so cannot sign as {approval.role}")
        elif not approval.is_author_slot and approval.assignee_id in involved:
            problems.append(
                f"{name} wrote or edited this version and cannot review as {approval.role}"
            )
    return problems


def missing_approvals(pm, involved=None) -> list[str]:
    """What the approvals lack before review: the policy's roles, people, independence."""
    problems = []
    slots = {a.role.casefold(): a for a in pm.approvals.all()}
    for role, _ in policy_roles(pm.severity):
        slot = slots.get(role.casefold())
        if slot is None:
            problems.append(f"the approval policy asks for {role}")
        elif slot.assignee_id is None:
            problems.append(f"assign someone as {role}")
    for approval in pm.approvals.all():
        if approval.required and approval.assignee_id is None and not approval.from_policy:
            problems.append(f"assign someone as {approval.role}")
    if not any(a.required and not a.is_author_slot for a in pm.approvals.all()):
        problems.append("at least one required reviewer or approver")
    return problems + assignment_problems(pm, involved)


def _refuse_assignee(
    pm, role, is_author_slot, assignee, *, slot=None, slots=None, involved=None
) -> None:
    """Refuse `assignee` for a slot. `slots`: every slot as it will be (by default as it is);
    `involved`: ``involved_people(pm)`` when the caller has it already."""
    if assignee is None:
        return
    if is_author_slot and not permissions.is_author(assignee, pm):
        raise TransitionError(f"{assignee.name} is not an author, so cannot sign as {role}.")
    involved = involved_people(pm) if involved is None else involved
    if not is_author_slot and assignee.pk in involved:
        raise TransitionError(
            f"{assignee.name} wrote or edited this version of the document; {role} must be "
            "someone independent of it."
        )
    slots = pm.approvals.all() if slots is None else slots
    other = next((a for a in slots if a.assignee_id == assignee.pk and a != slot), None)
    if other is not None:
        raise TransitionError(
            f"{assignee.name} already holds {other.role}: each slot needs its own person."
        )


# --- changing the slots (Draft only) -----------------------------------------------------------


def _lock(postmortem) -> Postmortem:
    return (
        Postmortem.objects.select_for_update()
        .prefetch_related("authors", "approvals__assignee")
        .get(pk=postmortem.pk)
    )


def _editable(postmortem, by) -> Postmortem:
    pm = _lock(postmortem)
    if pm.status != Status.DRAFT:
        raise TransitionError(
            f"{pm.key} is {pm.get_status_display()}; the approvals change only while it is a Draft."
        )
    if not permissions.can_manage_approvals(by, pm):
        raise TransitionError("Only an author can change who approves the document.")
    return pm


def _slot(pm, approval) -> Approval:
    found = next((a for a in pm.approvals.all() if a.pk == approval.pk), None)
    if found is None:
        raise TransitionError("That approval slot was removed meanwhile.")
    return found


def _log(pm, by, detail, now=None):
    log_action(pm, by, Activity.Verb.APPROVALS_CHANGED, detail=clipped(detail, 300), at=now)


@transaction.atomic
def add_approval(
    postmortem, *, by, role, assignee=None, required=True, is_author_slot=False, now=None
):
    pm = _editable(postmortem, by)
    role = role.strip()
    if any(a.role.casefold() == role.casefold() for a in pm.approvals.all()):
        raise TransitionError(f"There is a slot {role} already.")
    _refuse_assignee(pm, role, is_author_slot, assignee)
    position = max((a.position for a in pm.approvals.all()), default=-1) + 1
    approval = Approval.objects.create(
        postmortem=pm,
        role=role,
        assignee=assignee,
        required=required,
        is_author_slot=is_author_slot,
        position=position,
    )
    _log(pm, by, f"added {role}" + (f" ({assignee.name})" if assignee else ""), now)
    return approval


class SlotsRefused(TransitionError):
    """Some slots of one save were refused, so none was saved: ``errors`` maps each refused
    slot's id to what is wrong with it, for the page to show beside its row."""

    def __init__(self, errors: dict[int, list[str]]):
        super().__init__(" ".join(message for row in errors.values() for message in row))
        self.errors = errors


def update_approval(approval, *, by, role, assignee, required, now=None):
    """One slot's role, person and whether it is required: ``update_approvals`` of one row."""
    values = {"role": role, "assignee": assignee, "required": required}
    saved = update_approvals(approval.postmortem, by=by, changes={approval.pk: values}, now=now)
    return saved[0] if saved else approval


@transaction.atomic
def update_approvals(postmortem, *, by, changes: dict, now=None) -> list[Approval]:
    """Several slots at once (the approvals page's "Save all"): ``changes`` maps a slot's id
    to its ``role``, ``assignee`` and ``required``. The document is locked once and every row
    is checked against the slots as they will be after the whole save (two people may swap
    slots); one refused row and nothing is saved (``SlotsRefused``, every row's reasons).
    Each slot that changes is logged; a row that matches its slot already is left alone."""
    pm = _editable(postmortem, by)
    current = {a.pk: a for a in pm.approvals.all()}
    if any(pk not in current for pk in changes):
        raise TransitionError("That approval slot was removed meanwhile.")
    planned = {pk: copy.copy(a) for pk, a in current.items()}
    for pk, values in changes.items():
        slot = planned[pk]
        slot.role, slot.assignee = values["role"].strip(), values["assignee"]
        slot.required = values["required"]
    changed = [
        pk
        for pk in changes
        if (planned[pk].role, planned[pk].assignee_id, planned[pk].required)
        != (current[pk].role, current[pk].assignee_id, current[pk].required)
    ]
    involved = involved_people(pm) if changed else set()
    errors = {}
    for pk in changed:
        try:
            _refuse_change(pm, current[pk], planned[pk], planned.values(), involved, by)
        except TransitionError as refused:
            errors[pk] = [str(refused)]
    if errors:
        raise SlotsRefused(errors)
    saved = []
    for pk in changed:
        approval, slot = current[pk], planned[pk]
        if approval.assignee_id != slot.assignee_id:
            approval.clear_signature()
            approval.changes_requested_at = None
        approval.role, approval.assignee = slot.role, slot.assignee
        approval.required = slot.required
        approval.save()
        _log(pm, by, f"{slot.role}: {slot.assignee.name if slot.assignee else 'unassigned'}", now)
        saved.append(approval)
    return saved


def _refuse_change(pm, approval, slot, slots, involved, by) -> None:
    """Why `approval` may not become `slot` (its planned copy) among `slots`, if it may not."""
    if approval.from_policy and (slot.role != approval.role or not slot.required):
        raise TransitionError(
            f"{approval.role} is required by the approval policy for "
            f"{pm.get_severity_display()}: it cannot be renamed or made optional."
        )
    changes_holder = approval.assignee_id != slot.assignee_id or (
        approval.required and not slot.required
    )
    if changes_holder and permissions.keeps_slot(approval, by):
        raise TransitionError(
            f"{approval.assignee.name} requested changes as {approval.role}: the slot stays "
            "theirs until they or an administrator hand it over."
        )
    renamed = slot.role.casefold() != approval.role.casefold()
    if renamed and any(a.role.casefold() == slot.role.casefold() and a != slot for a in slots):
        raise TransitionError(f"There is a slot {slot.role} already.")
    _refuse_assignee(
        pm, slot.role, slot.is_author_slot, slot.assignee, slot=slot, slots=slots, involved=involved
    )


@transaction.atomic
def remove_approval(approval, *, by):
    pm = _editable(approval.postmortem, by)
    approval = _slot(pm, approval)
    if approval.from_policy:
        raise TransitionError(
            f"{approval.role} is required by the approval policy for "
            f"{pm.get_severity_display()}: it cannot be removed."
        )
    if permissions.keeps_slot(approval, by):
        raise TransitionError(
            f"{approval.assignee.name} requested changes as {approval.role}: the slot stays "
            "theirs until they or an administrator hand it over."
        )
    Approval.objects.filter(pk=approval.pk).delete()
    _log(pm, by, f"removed {approval.role}")


@transaction.atomic
def hand_over(approval, *, by, to):
    """The holder of a slot (or an administrator) gives it to someone else, or frees it."""
    pm = _lock(approval.postmortem)
    approval = _slot(pm, approval)
    if pm.status == Status.FINAL:
        raise TransitionError(f"{pm.key} is Final; its approvals no longer change.")
    if not permissions.can_hand_over(by, pm, approval):
        raise TransitionError(
            f"Only {approval.assignee.name if approval.assignee_id else 'its holder'} or an "
            f"administrator can hand over {approval.role}."
        )
    _refuse_assignee(pm, approval.role, approval.is_author_slot, to, slot=approval)
    before = approval.assignee.name if approval.assignee_id else "nobody"
    approval.assignee = to
    approval.clear_signature()
    approval.changes_requested_at = None
    approval.save()
    _log(pm, by, f"handed over {approval.role} from {before} to {to.name if to else 'nobody'}")
    return approval
