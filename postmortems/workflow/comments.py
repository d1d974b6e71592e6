"""Review comments: posting one, resolving a thread, hiding a comment. Each is one function,
in one transaction with its log entry, like every other change of a document.

The log never holds a comment's text: a comment its authors or an administrator hide must
not go on showing there.
"""

from django.db import transaction
from django.utils import timezone

from postmortems import permissions
from postmortems.activity import log_action
from postmortems.models import Activity, Comment
from postmortems.values import clipped
from postmortems.workflow.errors import TransitionError


@transaction.atomic
def add_comment(postmortem, *, by, section: str, body: str, parent=None) -> Comment:
    """A new thread on `section`, or a reply to `parent` (a thread's first comment)."""
    if not permissions.can_comment(by, postmortem):
        raise TransitionError("Only the authors and the assigned reviewers comment on it.")
    comment = Comment.objects.create(
        postmortem=postmortem,
        section=parent.section if parent else section,
        parent=parent,
        author=by,
        body=body,
    )
    log_action(
        postmortem,
        by,
        Activity.Verb.COMMENTED,
        section=comment.section,
        detail="replied" if parent else "",
    )
    return comment


@transaction.atomic
def toggle_resolved(thread, *, by) -> Comment:
    """Resolve a thread, or open a resolved one again."""
    if not permissions.can_comment(by, thread.postmortem):
        raise TransitionError("Only the authors and the assigned reviewers resolve comments.")
    reopened = thread.is_resolved
    thread.resolved_at = None if reopened else timezone.now()
    thread.resolved_by = None if reopened else by
    thread.save(update_fields=["resolved_at", "resolved_by"])
    log_action(
        thread.postmortem,
        by,
        Activity.Verb.COMMENTED if reopened else Activity.Verb.RESOLVED_COMMENT,
        section=thread.section,
        detail="reopened: the thread" if reopened else "",
    )
    return thread


@transaction.atomic
def hide_comment(comment, *, by, reason: str) -> Comment:
    """An author or an administrator hides a comment (Final documents too), with a reason."""
    if not permissions.can_hide_comment(by, comment.postmortem, comment):
        raise TransitionError("Only an author or an administrator hides comments.")
    comment.hidden_at, comment.hidden_by = timezone.now(), by
    comment.hidden_by_admin = permissions.is_admin(by)
    comment.hidden_reason = reason
    _save_visibility(comment, by, f"hid a comment by {comment.author.name}: {reason}")
    return comment


@transaction.atomic
def show_comment(comment, *, by) -> Comment:
    """…and shows it again (only an administrator shows what one hid)."""
    if not permissions.can_hide_comment(by, comment.postmortem, comment):
        raise TransitionError("An administrator hid this comment: only one shows it again.")
    comment.hidden_at, comment.hidden_by, comment.hidden_reason = None, None, ""
    comment.hidden_by_admin = False
    _save_visibility(comment, by, f"showed again a comment by {comment.author.name}")
    return comment


def _save_visibility(comment, by, detail):
    comment.save(update_fields=["hidden_at", "hidden_by", "hidden_by_admin", "hidden_reason"])
    log_action(
        comment.postmortem,
        by,
        Activity.Verb.HID_COMMENT,
        section=comment.section,
        detail=clipped(detail, 300),
    )
