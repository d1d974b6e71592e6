"""Emails about the review, sent only once the transaction that caused them has committed.

A mail server that refuses them never turns a transition into an error; the view asks
``pop_undelivered`` and says so instead of claiming the people were emailed.
"""

import contextlib
import contextvars
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection, send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string

from postmortems.values import single_line

logger = logging.getLogger(__name__)


_undelivered: contextvars.ContextVar[int] = contextvars.ContextVar("undelivered", default=0)
_muted: contextvars.ContextVar[bool] = contextvars.ContextVar("muted", default=False)


@contextlib.contextmanager
def muted():
    """No email for what happens inside: a loader replaying a past review (the demo) must not
    tell its people about it today."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def subject_line(text: str, limit: int = 200) -> str:
    """One header line: a title or name stored with a line break (or any control character)
    would make the mail library refuse the whole message."""
    line = single_line(text)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _send(subject, template, recipients, context):
    addresses = sorted({u.email for u in recipients if u is not None and u.email})
    if not addresses or _muted.get():
        return
    context = {**context, "site_url": settings.SITE_URL}
    body = render_to_string(template, context)
    subject = subject_line(subject)
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in addresses]
    transaction.on_commit(lambda: _deliver(messages))


def _deliver(messages):
    # The transition has committed; a mail server that is down must not turn it into an error.
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:
        logger.exception("Could not send %d notification email(s)", len(messages))
        _undelivered.set(_undelivered.get() + len(messages))


def calendar_invite(subject, template, recipients, context, *, ics: bytes, method: str):
    """A meeting's invite, update or cancellation: one mail per person, with the .ics as a
    ``text/calendar; method=…`` alternative (so mail clients offer Accept and Decline) and
    attached as ``invite.ics``. Like every notification: sent after commit, never in a
    replay, never an error for what caused it."""
    addresses = sorted({u.email for u in recipients if u is not None and u.email})
    if not addresses or _muted.get():
        return
    body = render_to_string(template, {**context, "site_url": settings.SITE_URL})
    subject = subject_line(subject)
    invite = ics.decode()
    messages = []
    for address in addresses:
        message = _Invite(subject, body, settings.DEFAULT_FROM_EMAIL, [address], method=method)
        message.attach_alternative(invite, "text/calendar")
        message.attach("invite.ics", ics, "application/ics")
        messages.append(message)
    transaction.on_commit(lambda: _deliver_messages(messages))


class _Invite(EmailMultiAlternatives):
    """A mail whose calendar part says its iTIP method (RFC 6047: REQUEST, CANCEL)."""

    def __init__(self, *args, method: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.method = method

    def _create_mime_attachment(self, content, mimetype):
        part = super()._create_mime_attachment(content, mimetype)
        if mimetype == "text/calendar":
            part.set_param("method", self.method)
        return part


def _deliver_messages(messages):
    try:
        get_connection().send_messages(messages)
    except Exception:
        logger.exception("Could not send %d calendar email(s)", len(messages))
        _undelivered.set(_undelivered.get() + len(messages))


def pop_undelivered() -> int:
    """How many notification emails of this request could not be sent (and forget them)."""
    count = _undelivered.get()
    _undelivered.set(0)
    return count


def _approvers(postmortem):
    return [a.assignee for a in postmortem.approvals.all() if a.assignee_id]


def review_requested(postmortem, *, by):
    waiting = [
        a.assignee for a in postmortem.approvals.all() if a.assignee_id and a.assignee_id != by.pk
    ]
    _send(
        f"[{postmortem.key}] Review requested: {postmortem.title}",
        "postmortems/email/review_requested.txt",
        waiting,
        {"postmortem": postmortem, "by": by},
    )


def changes_requested(postmortem, *, by, comment):
    _send(
        f"[{postmortem.key}] Changes requested by {by.name}",
        "postmortems/email/changes_requested.txt",
        postmortem.authors.all(),
        {"postmortem": postmortem, "by": by, "comment": comment},
    )


def signed(postmortem, approval):
    _send(
        f"[{postmortem.key}] Signed by {approval.assignee.name} as {approval.role}",
        "postmortems/email/signed.txt",
        [a for a in postmortem.authors.all() if a.pk != approval.assignee_id],
        {"postmortem": postmortem, "approval": approval},
    )


def finalized(postmortem):
    _send(
        f"[{postmortem.key}] Final: {postmortem.title}",
        "postmortems/email/finalized.txt",
        [*postmortem.authors.all(), *_approvers(postmortem)],
        {"postmortem": postmortem},
    )
