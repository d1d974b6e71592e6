"""Who may do what with a document: one predicate per action.

Views, templates (through the flags the page context takes from here) and the workflow all
ask these functions, so a rule is decided in one place. Reading is the one queryset rule,
``Postmortem.objects.visible_to(user)``; everything here is about a document already visible.
Each predicate reads the document's prefetched authors and approvals where it has them.
"""

from django.db.models import Q

from accounts.models import User
from postmortems.models import Postmortem

Status = Postmortem.Status


def is_admin(user) -> bool:
    return bool(user is not None and user.is_active and user.is_superuser)


def is_author(user, postmortem) -> bool:
    return user is not None and any(a.pk == user.pk for a in postmortem.authors.all())


def holds_slot(user, postmortem, *, reviewer=False) -> bool:
    """The person is assigned an approval slot (with `reviewer`: one not the author's own)."""
    return user is not None and any(
        a.assignee_id == user.pk and not (reviewer and a.is_author_slot)
        for a in postmortem.approvals.all()
    )


# --- writing -----------------------------------------------------------------------------------


def can_edit(user, postmortem) -> bool:
    """Any author may edit any section of a Draft (administrators too, to help out)."""
    return postmortem.status == Status.DRAFT and (is_author(user, postmortem) or is_admin(user))


def edit_refusal(user, postmortem) -> str:
    if postmortem.status != Status.DRAFT:
        return f"{postmortem.key} is {postmortem.get_status_display()}: only a Draft can be edited."
    return f"Only the authors of {postmortem.key} can edit it. Ask one of them to add you."


def can_set_item_status(user, item, postmortem) -> bool:
    """An action item's owner, any author of its document, or an administrator — in any
    status, Final too."""
    return (
        is_admin(user)
        or (user is not None and item.owner_id == user.pk)
        or is_author(user, postmortem)
    )


# --- review ------------------------------------------------------------------------------------


def can_submit(user, postmortem) -> bool:
    return postmortem.status == Status.DRAFT and is_author(user, postmortem)


def can_withdraw(user, postmortem) -> bool:
    return postmortem.status == Status.IN_REVIEW and is_author(user, postmortem)


def can_request_changes(user, postmortem) -> bool:
    return postmortem.status == Status.IN_REVIEW and holds_slot(user, postmortem, reviewer=True)


def can_give_verdict(user, postmortem) -> bool:
    """A section's "looks good" / "needs work": whoever holds a reviewer's or approver's slot
    (never an author), while the document is Under Review."""
    return (
        postmortem.status == Status.IN_REVIEW
        and holds_slot(user, postmortem, reviewer=True)
        and not is_author(user, postmortem)
    )


def can_sign(user, approval) -> bool:
    """Only the person assigned to a slot signs it."""
    return user is not None and approval.assignee_id == user.pk


def can_reopen(user, postmortem) -> bool:
    return postmortem.status == Status.FINAL and (is_author(user, postmortem) or is_admin(user))


def can_manage_approvals(user, postmortem) -> bool:
    """Who holds which slot: the authors (and administrators), while the document is a Draft."""
    return postmortem.status == Status.DRAFT and (is_author(user, postmortem) or is_admin(user))


def keeps_slot(approval, user) -> bool:
    """A reviewer who requested changes keeps the slot: nobody but them or an administrator
    may give it to someone else, drop it or make it optional."""
    return bool(
        approval.changes_requested_at
        and (user is None or approval.assignee_id != user.pk)
        and not is_admin(user)
    )


def can_hand_over(user, postmortem, approval) -> bool:
    """The holder of a reviewer's or approver's slot, or an administrator, gives it to someone
    else (not once Final)."""
    return (
        postmortem.status != Status.FINAL
        and not approval.is_author_slot
        and approval.assignee_id is not None
        and (approval.assignee_id == getattr(user, "pk", None) or is_admin(user))
    )


# --- comments ----------------------------------------------------------------------------------


def can_comment(user, postmortem) -> bool:
    """The authors, whoever holds an approval slot, and administrators."""
    return is_author(user, postmortem) or holds_slot(user, postmortem) or is_admin(user)


def can_hide_comments(user, postmortem) -> bool:
    """Authors and administrators hide comments, in any status."""
    return is_author(user, postmortem) or is_admin(user)


def can_hide_comment(user, postmortem, comment) -> bool:
    """…and show them again, except that only an administrator shows what one hid."""
    if not can_hide_comments(user, postmortem):
        return False
    return not (comment.is_hidden and comment.hidden_by_admin and not is_admin(user))


# --- the review meeting ------------------------------------------------------------------------


def can_schedule_review(user, postmortem) -> bool:
    """The authors (and administrators) schedule, move and cancel the review meeting and write
    its notes, in any status: it is review metadata, not content. Whoever may read the
    document sees the meeting."""
    return is_author(user, postmortem) or is_admin(user)


def readers(postmortem):
    """Every active account that may read the document: ``visible_to`` seen from the document's
    side (tests/postmortems/test_review_meeting.py checks that the two agree). Whom a meeting
    may invite, and whom its mails may reach."""
    people = User.objects.filter(is_active=True)
    if not postmortem.restricted:
        return people
    pk = postmortem.pk
    return people.filter(
        Q(is_superuser=True)
        | Q(pk__in=Postmortem.authors.through.objects.filter(postmortem=pk).values("user"))
        | Q(pk__in=Postmortem.viewers.through.objects.filter(postmortem=pk).values("user"))
        | Q(pk__in=postmortem.approvals.filter(assignee__isnull=False).values("assignee"))
        | Q(pk__in=postmortem.responders.filter(user__isnull=False).values("user"))
    )


# --- the blameless-language check --------------------------------------------------------------


def can_see_wording(user, postmortem) -> bool:
    """What the check finds (and asking it as one types): the authors, whoever holds an
    approval slot, and administrators; not every reader."""
    return is_author(user, postmortem) or holds_slot(user, postmortem) or is_admin(user)


def can_mark_wording(user, postmortem) -> bool:
    """Marking a finding intended, or withdrawing the mark: the authors and administrators,
    until the document is Final."""
    return postmortem.status != Status.FINAL and (is_author(user, postmortem) or is_admin(user))


# --- related incidents -------------------------------------------------------------------------


def visible_related(postmortem, user) -> list[Postmortem]:
    """The related incidents (prefetched) this person may read; with no person (what everyone
    is shown, such as a Final snapshot), those that are not restricted."""
    related = list(postmortem.related_incidents.all())
    if not related:
        return []
    if user is None:
        return [p for p in related if not p.restricted]
    visible = set(
        Postmortem.objects.visible_to(user)
        .filter(pk__in=[p.pk for p in related])
        .values_list("pk", flat=True)
    )
    return [p for p in related if p.pk in visible]


def hidden_keys(keys, user) -> set[str]:
    """The keys among `keys` of documents this person may not read (with no person: the
    restricted ones). A hidden document is not even named."""
    if not keys:
        return set()
    if user is None:
        readable = Postmortem.objects.filter(key__in=keys, restricted=False)
    else:
        readable = Postmortem.objects.visible_to(user).filter(key__in=keys)
    return set(keys) - set(readable.values_list("key", flat=True))
