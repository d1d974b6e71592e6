import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from postmortems.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "Email each owner their overdue and due-this-week action items, and authors whose "
        "postmortem review date has passed. At most once a day per person: safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were this day (YYYY-MM-DD).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count, but send and record nothing."
        )

    def handle(self, *args, date=None, dry_run=False, **options):
        try:
            today = datetime.date.fromisoformat(date) if date else timezone.now().date()
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}.") from None
        report = send_reminders(today, dry_run=dry_run)
        prefix = "Would send" if dry_run else "Sent"
        self.stdout.write(
            f"{prefix} {report.action_item_emails} action-item reminder(s) and "
            f"{report.review_emails} review reminder(s) for {today:%Y-%m-%d}; "
            f"{report.skipped_already_sent} already sent today."
        )
