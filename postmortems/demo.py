"""The demo data: the template's filled-in VirtEngine example and the people in it."""

import datetime

from django.conf import settings
from django.db import transaction

from accounts.models import User
from postmortems.models import Postmortem, Severity

DEMO_PASSWORD = "demo"

PEOPLE = [
    # username, display name, team, job title
    ("alice", "Alice Smith", "SRE", "On-call Engineer"),
    ("bob", "Bob Jones", "SRE", "Incident Commander"),
    ("carol", "Carol White", "SRE", "SRE Lead"),
    ("dave", "Dave Brown", "Support", "Communications Lead"),
    ("erin", "Erin Park", "Platform", "Engineering Lead"),
    ("victor", "Victor Chen", "Engineering", "VP Engineering"),
]

INCIDENT_12345_SUMMARY = (
    "On 2026-01-29 at 14:23 UTC, the VirtEngine API service experienced a complete outage "
    "lasting 47 minutes due to a database connection pool exhaustion. During this time, all API "
    "requests returned 500 errors, affecting approximately 1,200 users and consuming 78% of our "
    "monthly error budget. The issue was resolved by restarting the API service and increasing "
    "the database connection pool size."
)

INCIDENT_8901_SUMMARY = (
    "On 2025-11-12 the primary database served queries slowly for 35 minutes after an index "
    "was dropped by a migration. API latency rose to a P95 of 9 s for all users; the index was "
    "recreated concurrently and latency returned to normal."
)


@transaction.atomic
def seed_demo() -> dict[str, User]:
    """Create or refresh the demo people and documents. Safe to run any number of times."""
    people = {}
    for username, display_name, team, job_title in PEOPLE:
        first, last = display_name.split(" ", 1)
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "display_name": display_name,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "team": team,
                "job_title": job_title,
            },
        )
        # The demo sign-in exists only on a development server, never in production.
        if settings.DEBUG:
            user.set_password(DEMO_PASSWORD)
        else:
            user.set_unusable_password()
        user.save()
        people[username] = user

    main, _ = Postmortem.objects.update_or_create(
        key="INCIDENT-12345",
        defaults={
            "title": "VirtEngine API outage: database connection pool exhaustion",
            "incident_date": datetime.date(2026, 1, 29),
            "severity": Severity.SEV2,
            "executive_summary": INCIDENT_12345_SUMMARY,
            "created_by": people["alice"],
        },
    )
    main.authors.set([people["alice"], people["bob"]])

    related, _ = Postmortem.objects.update_or_create(
        key="INCIDENT-8901",
        defaults={
            "title": "Database slowness",
            "incident_date": datetime.date(2025, 11, 12),
            "severity": Severity.SEV3,
            "status": Postmortem.Status.FINAL,
            "executive_summary": INCIDENT_8901_SUMMARY,
            "created_by": people["carol"],
        },
    )
    related.authors.set([people["carol"]])
    return people
