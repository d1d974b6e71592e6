from django.conf import settings
from django.core.management.base import BaseCommand

from postmortems.demo import DEMO_PASSWORD, PEOPLE, seed_demo
from postmortems.models import Postmortem


class Command(BaseCommand):
    help = "Create the demo people and the template's example postmortems (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help="Do nothing if the demo document exists already (keeps your edits to it).",
        )

    def handle(self, *args, once=False, **options):
        if once and Postmortem.objects.filter(key="INCIDENT-12345").exists():
            self.stdout.write("Demo data was loaded before; leaving it as it is.")
        else:
            seed_demo()
            self.stdout.write(
                self.style.SUCCESS(
                    "Demo data is in place: INCIDENT-12345 and INCIDENT-8901 (Final), INCIDENT-12401 (Under Review)."
                )
            )
        if settings.DEBUG:
            names = ", ".join(username for username, *_ in PEOPLE)
            self.stdout.write(
                f"Demo sign-in: username alice, password {DEMO_PASSWORD} "
                f"(every demo person has the same password: {names})."
            )
        else:
            self.stdout.write("DJANGO_DEBUG is off, so the demo people cannot sign in.")
