"""Follow-through: remind owners of their late and upcoming action items, authors of reviews due.

Run daily from cron (`manage.py send_action_item_reminders`). Each person gets at most one
email of each kind a day, however often the job runs.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from postmortems.models import ActionItem, Postmortem, ReminderSent


@dataclass
class Report:
    action_item_emails: int = 0
    review_emails: int = 0
    skipped_already_sent: int = 0


def _send_once(connection, user, kind, today, message, dry_run) -> bool:
    """Send unless this person had this kind of reminder today; record it in the same step.

    The record and the send share a transaction: a mail server failure leaves no record, so
    the next run tries again; two runs at once send once (the unique constraint decides).
    """
    if dry_run:
        return not ReminderSent.objects.filter(user=user, kind=kind, sent_on=today).exists()
    try:
        with transaction.atomic():
            ReminderSent.objects.create(user=user, kind=kind, sent_on=today)
            connection.send_messages([message])
    except IntegrityError:
        return False
    return True


def send_reminders(today, *, dry_run=False) -> Report:
    report = Report()
    connection = get_connection()

    items = (
        ActionItem.objects.filter(owner__isnull=False, owner__is_active=True)
        .open()
        .filter(due_date__isnull=False)
        .select_related("postmortem", "owner")
        .order_by("due_date", "priority")
    )
    by_owner = defaultdict(lambda: {"overdue": [], "soon": []})
    for item in items:
        if item.is_overdue(today):
            by_owner[item.owner]["overdue"].append(item)
        elif item.is_due_soon(today):
            by_owner[item.owner]["soon"].append(item)
    for owner, groups in by_owner.items():
        if not owner.email:
            continue
        # An item of a restricted document its owner may not read is not mailed to them
        # (it would name the document); the page of action items leaves it out the same way.
        pks = {item.postmortem_id for item in groups["overdue"] + groups["soon"]}
        readable = set(
            Postmortem.objects.visible_to(owner).filter(pk__in=pks).values_list("pk", flat=True)
        )
        groups = {
            kind: [item for item in group if item.postmortem_id in readable]
            for kind, group in groups.items()
        }
        if not any(groups.values()):
            continue
        body = render_to_string(
            "postmortems/email/action_item_reminder.txt",
            {"owner": owner, **groups, "site_url": settings.SITE_URL, "today": today},
        )
        subject = (
            f"Action items: {len(groups['overdue'])} overdue, {len(groups['soon'])} due this week"
        )
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email])
        if _send_once(connection, owner, ReminderSent.Kind.ACTION_ITEMS, today, message, dry_run):
            report.action_item_emails += 1
        else:
            report.skipped_already_sent += 1

    due_reviews = (
        Postmortem.objects.filter(status=Postmortem.Status.FINAL, next_review_date__lt=today)
        .prefetch_related("authors")
        .order_by("next_review_date")
    )
    by_author = defaultdict(list)
    for postmortem in due_reviews:
        for author in postmortem.authors.all():
            if author.is_active and author.email:
                by_author[author].append(postmortem)
    for author, documents in by_author.items():
        body = render_to_string(
            "postmortems/email/review_due_reminder.txt",
            {"author": author, "documents": documents, "site_url": settings.SITE_URL},
        )
        plural = "s" if len(documents) > 1 else ""
        subject = f"Time to review the action items of {len(documents)} postmortem{plural}"
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [author.email])
        if _send_once(connection, author, ReminderSent.Kind.REVIEW_DUE, today, message, dry_run):
            report.review_emails += 1
        else:
            report.skipped_already_sent += 1
    return report
