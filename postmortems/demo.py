"""The demo data: the template's filled-in VirtEngine example and the people in it."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from postmortems import workflow
from postmortems.content import canonical_content, content_hash
from postmortems.models import (
    ActionItem,
    Activity,
    Approval,
    Comment,
    ContributingFactor,
    DocumentVersion,
    FixType,
    Lesson,
    Postmortem,
    Responder,
    Severity,
    Snapshot,
    SupportingLink,
    Tag,
    TimelineEvent,
)

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

    main = _document(
        "INCIDENT-12345",
        people["alice"],
        [people["alice"], people["bob"]],
        title="VirtEngine API outage: database connection pool exhaustion",
        incident_date=datetime.date(2026, 1, 29),
        severity=Severity.SEV2,
        executive_summary=INCIDENT_12345_SUMMARY,
        **INCIDENT_12345_FIELDS,
    )
    _fill_incident_12345(main, people)

    related = _document(
        "INCIDENT-8901",
        people["carol"],
        [people["carol"]],
        title="Database slowness",
        incident_date=datetime.date(2025, 11, 12),
        severity=Severity.SEV3,
        executive_summary=INCIDENT_8901_SUMMARY,
        **INCIDENT_8901_FIELDS,
    )
    _fill_incident_8901(related, people)
    main.related_incidents.set([related])

    _sign_off(main, people, signed=("alice", "carol", "erin", "victor"))
    # Every document gets the approval policy's four signatures (the template's, by default).
    _sign_off(
        related,
        people,
        slots=[
            ("Author", "carol"),
            ("Reviewer (SRE Lead)", "bob"),
            ("Reviewer (Eng Lead)", "erin"),
            ("Approver (VP Eng)", "victor"),
        ],
        signed=("carol", "bob", "erin", "victor"),
    )

    waiting = _document(
        "INCIDENT-12401",
        people["bob"],
        [people["bob"]],
        title="Checkout latency after cache eviction",
        incident_date=datetime.date(2026, 3, 4),
        severity=Severity.SEV3,
        executive_summary=INCIDENT_12401_SUMMARY,
        **{**INCIDENT_12401_FIELDS, **INCIDENT_12401_FIRST_DRAFT},
    )
    _fill_incident_12401(waiting, people)
    _sign_off(
        waiting,
        people,
        slots=[
            ("Author", "bob"),
            ("Reviewer (SRE Lead)", "carol"),
            ("Reviewer (Eng Lead)", "erin"),
            ("Approver (VP Eng)", "victor"),
        ],
        signed=("bob",),
        # Two later saves, so that its history has versions to compare.
        edits=[
            (
                "impact",
                "bob",
                {"revenue_impact": INCIDENT_12401_FIELDS["revenue_impact"]},
            ),
            (
                "root-cause",
                "bob",
                {
                    key: INCIDENT_12401_FIELDS[key]
                    for key in ("root_cause_summary", "root_cause_why")
                },
            ),
        ],
    )
    # Dated as the work happened: written the days after each incident, then reviewed.
    for pm in (main, related, waiting):
        _backdate(pm)
    return people


TEMPLATE_SLOTS = [
    ("Author", "alice"),
    ("Reviewer (SRE Lead)", "carol"),
    ("Reviewer (Eng Lead)", "erin"),
    ("Approver (VP Eng)", "victor"),
]


def _sign_off(pm, people, *, signed, slots=TEMPLATE_SLOTS, edits=()) -> None:
    """Put the document through review as its people would: drafted (with any later saves
    of a section), submitted, signed, maybe Final."""
    author = people[slots[0][1]]
    Approval.objects.bulk_create(
        Approval(
            postmortem=pm,
            role=role,
            is_author_slot=(position == 0),
            assignee=people[username],
            position=position,
            from_policy=True,
        )
        for position, (role, username) in enumerate(slots)
    )
    Activity.objects.create(
        postmortem=pm, actor=author, verb=Activity.Verb.CREATED, to_status="draft"
    )
    for section, username, fields in edits:
        Postmortem.objects.filter(pk=pm.pk).update(**fields, revision=F("revision") + 1)
        Activity.objects.create(
            postmortem=pm,
            actor=people[username],
            verb=Activity.Verb.EDITED,
            section=section,
            detail="saved " + ", ".join(name.replace("_", " ") for name in fields),
        )
    Activity.objects.create(
        postmortem=pm,
        actor=author,
        verb=Activity.Verb.SUBMITTED,
        from_status="draft",
        to_status="in_review",
    )
    Postmortem.objects.filter(pk=pm.pk).update(status=Postmortem.Status.IN_REVIEW)
    pm = Postmortem.objects.with_document().get(pk=pm.pk)
    content = canonical_content(pm)
    digest = content_hash(content)
    for approval in pm.approvals.all():
        if approval.assignee.username in signed:
            approval.decision = Approval.Decision.APPROVED
            approval.signed_at = timezone.now()
            approval.content_hash = digest
            approval.signed_revision = pm.revision
            approval.save()
            Activity.objects.create(
                postmortem=pm,
                actor=approval.assignee,
                verb=Activity.Verb.SIGNED,
                detail=f"as {approval.role} (SHA-256 {digest[:12]}…)",
            )
    if not workflow.unsigned_roles(pm, digest):
        # The same step the last real signature takes: snapshot, next review date, Final.
        workflow.finalize_signed(pm, by=people[signed[-1]], content=content, notify=False)


def _backdate(pm) -> None:
    """Move the review history, stamped "now" while loading, to the days after the incident:
    drafted the next morning, submitted on day 4, a signature a day from then on, Final with
    the last one. Insights (days to Final), the history and the approvals then read true."""
    start = datetime.datetime.combine(
        pm.incident_date + datetime.timedelta(days=1), datetime.time(9, 30), tzinfo=datetime.UTC
    )
    signatures = 0
    when = start
    content_times = []
    for activity in pm.activity.order_by("id"):
        if activity.verb == Activity.Verb.EDITED:
            when += datetime.timedelta(hours=5)
        if activity.verb in (Activity.Verb.CREATED, Activity.Verb.EDITED):
            content_times.append(when)
        elif activity.verb == Activity.Verb.SUBMITTED:
            when = start + datetime.timedelta(days=3, hours=6)
        elif activity.verb == Activity.Verb.SIGNED:
            signatures += 1
            when = start + datetime.timedelta(days=3 + signatures, hours=1 + signatures)
            Approval.objects.filter(
                postmortem=pm, assignee=activity.actor, signed_at__isnull=False
            ).update(signed_at=when)
        elif activity.verb == Activity.Verb.FINALIZED:
            when += datetime.timedelta(minutes=1)
            review_day = when.date() + datetime.timedelta(
                days=settings.POSTMORTEM_REVIEW_AFTER_DAYS
            )
            Postmortem.objects.filter(pk=pm.pk).update(next_review_date=review_day)
            Snapshot.objects.filter(postmortem=pm).update(finalized_at=when)
        Activity.objects.filter(pk=activity.pk).update(created_at=when)
    # One version per content change, in the same order.
    versions = DocumentVersion.objects.filter(postmortem=pm).order_by("number")
    for version, at in zip(versions, content_times, strict=False):
        DocumentVersion.objects.filter(pk=version.pk).update(created_at=at)
    Postmortem.objects.filter(pk=pm.pk).update(created_at=start, updated_at=when)
    # A Final document's frozen page shows its dates: render it again with the true ones.
    snapshots = Snapshot.objects.filter(postmortem=pm)
    if snapshots.exists():  # a demo document is Final at most once
        final = Postmortem.objects.with_document().get(pk=pm.pk)
        snapshots.update(html=workflow.snapshot_html(final))


def _document(key, creator, authors, **fields) -> Postmortem:
    """Create or reset a demo document: its fields as given, its tables emptied for refilling."""
    postmortem, _ = Postmortem.objects.update_or_create(
        key=key,
        defaults={
            "created_by": creator,
            "section_revisions": {},
            "status": Postmortem.Status.DRAFT,
            "version": 1,
            **fields,
        },
    )
    postmortem.authors.set(authors)
    for model in (
        TimelineEvent,
        ContributingFactor,
        Responder,
        ActionItem,
        Lesson,
        SupportingLink,
        Approval,
        Comment,
        Activity,
        Snapshot,
        DocumentVersion,
    ):
        model.objects.filter(postmortem=postmortem).delete()
    return postmortem


def _at(day: datetime.date, hhmm: str) -> datetime.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=datetime.UTC)


def _fill_incident_12345(pm: Postmortem, people) -> None:
    day = pm.incident_date
    pm.tags.set([Tag.objects.get_or_create(name=name)[0] for name in ("api", "postgres")])
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            postmortem=pm, occurred_at=_at(day, hhmm), description=text, milestone=milestone
        )
        for hhmm, text, milestone in INCIDENT_12345_TIMELINE
    )
    ContributingFactor.objects.bulk_create(
        ContributingFactor(postmortem=pm, description=text) for text in INCIDENT_12345_FACTORS
    )
    Responder.objects.bulk_create(
        Responder(postmortem=pm, role=role, user=people[username], joined_at=_at(day, hhmm))
        for role, username, hhmm in INCIDENT_12345_RESPONDERS
    )
    ActionItem.objects.bulk_create(
        ActionItem(
            postmortem=pm,
            category=category,
            action=action,
            owner=people[owner],
            due_date=datetime.date.fromisoformat(due),
            priority=priority,
        )
        for category, action, owner, due, priority in INCIDENT_12345_ACTION_ITEMS
    )
    Lesson.objects.bulk_create(
        Lesson(postmortem=pm, category=category, text=text)
        for category, text in INCIDENT_12345_LESSONS
    )
    SupportingLink.objects.bulk_create(
        SupportingLink(postmortem=pm, kind=kind, title=title, url=url)
        for kind, title, url in INCIDENT_12345_LINKS
    )


def _fill_incident_8901(pm: Postmortem, people) -> None:
    day = pm.incident_date
    pm.tags.set([Tag.objects.get_or_create(name="postgres")[0]])
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            postmortem=pm, occurred_at=_at(day, hhmm), description=text, milestone=milestone
        )
        for hhmm, text, milestone in INCIDENT_8901_TIMELINE
    )
    Responder.objects.create(
        postmortem=pm, role="On-Call Engineer", user=people["carol"], joined_at=_at(day, "09:12")
    )
    ActionItem.objects.create(
        postmortem=pm,
        category=ActionItem.Category.PREVENT,
        action="Lint migrations for dropped indexes on hot tables",
        owner=people["carol"],
        due_date=datetime.date(2025, 12, 1),
        priority=ActionItem.Priority.P1,
        status=ActionItem.Status.DONE,
    )
    Lesson.objects.create(
        postmortem=pm,
        category=Lesson.Category.TECHNICAL,
        text="Index changes on hot tables need the same review as schema changes.",
    )


T = TimelineEvent.Milestone
C = ActionItem.Category
P = ActionItem.Priority
L = Lesson.Category
K = SupportingLink.Kind

INCIDENT_12345_FIELDS = {
    "affected_users": 1200,
    "affected_users_percent": Decimal("15"),
    "affected_users_basis": "daily active users",
    "regions": "Global impact (all regions)",
    "outage_started_at": datetime.datetime(2026, 1, 29, 14, 23, tzinfo=datetime.UTC),
    "outage_ended_at": datetime.datetime(2026, 1, 29, 15, 10, tzinfo=datetime.UTC),
    "degraded_minutes": 20,
    "degraded_description": "slow responses",
    "revenue_impact": "Estimated revenue impact: $2,500 in failed transactions",
    "reputation_impact": "- 18 user complaints via support tickets\n- 2 tweets mentioning the outage",
    "slo_name": "API Availability",
    "slo_target": Decimal("99.90"),
    "slo_achieved": Decimal("99.73"),
    "slo_window_days": 28,
    "error_budget_consumed_minutes": Decimal("31.2"),
    "root_cause_summary": "Database Connection Pool Exhaustion",
    "root_cause_component": (
        "The API service's database connection pool was configured with a maximum of 100 "
        "connections."
    ),
    "root_cause_why": (
        "Deployment v1.2.3 introduced a new feature that queries the database 3x more frequently "
        "per request (user profile enrichment)."
    ),
    "root_cause_underlying": (
        "When traffic spiked from 500 RPS to 800 RPS (due to marketing email), the connection pool "
        "exhausted:\n\n"
        "- 800 requests/sec × 3 queries/request = 2,400 queries/sec\n"
        "- Each query holds a connection for ~40ms on average\n"
        "- Peak connections needed: 2,400 × 0.04 = 96 connections\n"
        "- Pool size: 100 connections\n"
        "- No headroom for variance\n\n"
        "The pool exhausted during normal traffic variance (800 RPS → 850 RPS spike)."
    ),
    "root_cause_safeguards": (
        "Existing safeguards failed:\n\n"
        "- Load testing only tested up to 600 RPS (didn't catch the issue)\n"
        "- Connection pool monitoring existed but alert threshold was too high (> 95%)\n"
        "- Performance review didn't catch the 3x query increase"
    ),
    "detection_methods": ["monitoring"],
    "detection_description": "Automated monitoring alert: “APIErrorRateHigh” fired (error rate: 45%).",
    "detection_notes": (
        "Quality: Good\n\n"
        "- Alert fired quickly (1 min TTD)\n"
        "- Alert was accurate (true positive)\n"
        "- Page reached on-call successfully\n\n"
        "Improvement Opportunity:\n\n"
        "- Alert threshold could be more sensitive (10% errors vs current 20%)\n"
        "- Predictive alerting could have warned before total failure"
    ),
    "response_actions": (
        "1. Investigation (14:28-14:42)\n"
        "    - Reviewed recent deployments\n"
        "    - Analyzed metrics and logs\n"
        "    - Identified connection pool exhaustion\n"
        "2. Attempted Rollback (14:38-14:42) - FAILED\n"
        "    - Rollback command issued\n"
        "    - Failed due to irreversible database migration\n"
        "    - Pivoted to alternative mitigation\n"
        "3. Connection Pool Increase (14:42-14:50)\n"
        "    - Configuration change prepared (100 → 500 connections)\n"
        "    - Change reviewed and approved\n"
        "    - Deployed via Ansible playbook\n"
        "    - API service restarted\n"
        "4. Monitoring and Verification (14:50-15:10)\n"
        "    - Health checks monitored\n"
        "    - Error rate tracked\n"
        "    - Connection pool utilization confirmed healthy\n"
        "    - Service declared stable\n"
        "5. Communication (14:40-15:15)\n"
        "    - Status page updated (investigating → identified → resolved)\n"
        "    - Internal Slack updates every 10 minutes\n"
        "    - Support team notified\n"
        "    - Post-resolution summary posted"
    ),
    "went_well": "\n".join(
        [
            "Alerts fired quickly and accurately",
            "On-call responded promptly",
            "Incident command structure established quickly",
            "Root cause identified in < 20 minutes",
            "Alternative mitigation found when rollback failed",
            "Clear communication maintained throughout",
        ]
    ),
    "went_poorly": "\n".join(
        [
            "Rollback failed (database migration not reversible)",
            "Load testing didn't catch the issue",
            "On-call engineer unfamiliar with component (learning curve)",
            "No automated mitigation available",
            "Marketing campaign not communicated to SRE team",
        ]
    ),
    "resolution_summary": "Increased database connection pool size from 100 to 500 connections",
    "fix_type": FixType.PERMANENT,
    "resolution_details": (
        "Immediate Fix (Applied during incident):\n\n"
        "- Configuration change: `db.pool.max_connections = 500`\n"
        "- API service restart to apply configuration\n"
        "- Service restored at 15:10 UTC\n\n"
        "Permanent fix (configuration change deployed to production):\n\n"
        "- Configuration committed to version control\n"
        "- Change propagated to all environments"
    ),
    "verification": (
        "1. Health checks passed (all API instances healthy)\n"
        "2. Error rate returned to baseline (<0.5%)\n"
        "3. Response latency returned to normal (P95 < 2s)\n"
        "4. Connection pool utilization: 45% (healthy headroom)\n"
        "5. No new errors in logs\n"
        "6. Synthetic monitoring checks passing\n"
        "7. User reports stopped"
    ),
    "references": (
        "- Runbook: Connection Pool Exhaustion: `docs/runbooks/db-connection-pool.md`\n"
        "- Performance Budget Documentation: `docs/sre/PERFORMANCE_BUDGETS.md`\n"
        "- Load Testing Framework: `tests/load/README.md`\n"
        "- Database Query Logs: `/var/log/postgresql/postgres-2026-01-29.log` lines 5432-8901"
    ),
}

INCIDENT_12345_TIMELINE = [
    ("14:15", "Deployment of API v1.2.3 completes successfully", ""),
    ("14:20", "Traffic starts increasing due to scheduled marketing email", ""),
    ("14:23", "Database connection pool reaches maximum (100 connections)", T.STARTED),
    ("14:23", 'API requests start failing with "cannot acquire connection" errors', ""),
    ("14:24", 'Alert: "APIErrorRateHigh" fires (error rate: 45%)', T.DETECTED),
    ("14:24", 'Alert: "APIAvailabilityLow" fires (availability: 55%)', ""),
    ("14:26", "On-call engineer (Alice) paged via PagerDuty", T.ALERTED),
    ("14:28", "Alice acknowledges page, begins investigation", T.ACKNOWLEDGED),
    ("14:30", "Alice checks recent deployments, notes v1.2.3 deployed 15 min ago", ""),
    ("14:32", "Alice reviews metrics, sees connection pool exhaustion", ""),
    ("14:35", "Alice joins #incident-response Slack channel", ""),
    ("14:35", "Alice declares SEV-2 incident", ""),
    ("14:37", "Incident Commander (Bob) joins, takes command", ""),
    ("14:38", "Bob requests rollback to v1.2.2", ""),
    ("14:42", "Rollback initiated but fails (database migration not reversible)", ""),
    ("14:45", "Bob pivots to mitigation: increase connection pool", ""),
    ("14:47", "Configuration change prepared (pool: 100 → 500)", ""),
    ("14:50", "Configuration deployed, API restarting", T.MITIGATED),
    ("14:52", "API health checks pass", ""),
    ("14:55", "Error rate dropping (45% → 5%)", ""),
    ("15:00", "Error rate back to normal (<0.5%)", ""),
    ("15:05", "Monitoring confirms stability", ""),
    ("15:10", "Incident declared resolved", T.RESOLVED),
    ("15:30", "Incident closed, postmortem scheduled", ""),
]

INCIDENT_12345_FACTORS = [
    "Marketing email was unannounced (no capacity planning)",
    "Load testing only tested up to 75% of production capacity",
    "Connection pool monitoring alert threshold too high (95% vs 80%)",
    "No query count tracking in performance budgets",
    "Rollback failed due to irreversible database migration",
    "On-call engineer unfamiliar with this specific component",
]

INCIDENT_12345_RESPONDERS = [
    ("On-Call Engineer", "alice", "14:28"),
    ("Incident Commander", "bob", "14:37"),
    ("SME - Database", "carol", "14:45"),
    ("Communications Lead", "dave", "14:40"),
]

INCIDENT_12345_ACTION_ITEMS = [
    (
        C.PREVENT,
        "Implement query count tracking in performance budgets",
        "alice",
        "2026-02-05",
        P.P0,
    ),
    (C.PREVENT, "Increase load testing to 150% of production capacity", "bob", "2026-02-10", P.P0),
    (
        C.PREVENT,
        "Add connection pool predictive alerting (trend-based)",
        "alice",
        "2026-02-12",
        P.P1,
    ),
    (C.PREVENT, "Document rollback procedures and limitations", "carol", "2026-02-08", P.P1),
    (C.PREVENT, "Implement automated connection pool scaling", "alice", "2026-02-28", P.P2),
    (C.PREVENT, "Establish SRE <> Marketing communication process", "dave", "2026-02-15", P.P1),
    (C.PREVENT, "Create runbook for connection pool issues", "bob", "2026-02-07", P.P2),
    (C.DETECTION, "Lower connection pool alert threshold (95% → 80%)", "alice", "2026-02-01", P.P0),
    (C.DETECTION, "Add predictive alerting for connection pool trend", "alice", "2026-02-12", P.P1),
    (C.DETECTION, "Implement query-per-request tracking", "bob", "2026-02-10", P.P1),
    (C.RESPONSE, "Add automated connection pool scaling playbook", "alice", "2026-02-20", P.P2),
    (
        C.RESPONSE,
        "Cross-train on-call engineers on database components",
        "carol",
        "2026-02-28",
        P.P2,
    ),
    (C.RESPONSE, "Improve rollback testing (include DB migrations)", "bob", "2026-02-15", P.P1),
    (C.PROCESS, "Require SRE review for marketing campaigns", "dave", "2026-02-05", P.P0),
    (
        C.PROCESS,
        'Add "queries per request" to performance review checklist',
        "alice",
        "2026-02-03",
        P.P1,
    ),
    (
        C.PROCESS,
        "Expand load testing coverage to include traffic spikes",
        "bob",
        "2026-02-10",
        P.P0,
    ),
]

INCIDENT_12345_LESSONS = [
    (
        L.TECHNICAL,
        "Database connection pool sizing must account for queries-per-request, not just request rate",
    ),
    (L.TECHNICAL, "Load testing should test 150% of expected peak capacity"),
    (
        L.TECHNICAL,
        "Irreversible database migrations prevent rollback; need alternative mitigation strategies",
    ),
    (
        L.TECHNICAL,
        "Connection pool exhaustion can happen within normal traffic variance when headroom is low",
    ),
    (L.PROCESS, "Marketing campaigns create traffic spikes; SRE must be notified in advance"),
    (L.PROCESS, "Performance review process missed a 3x increase in database queries"),
    (L.PROCESS, "Load testing coverage was insufficient (only 75% of production capacity)"),
    (
        L.PROCESS,
        "Rollback procedures need to be tested regularly, especially with database migrations",
    ),
    (L.CULTURAL, "Incident response was calm and effective due to regular gameday practice"),
    (L.CULTURAL, "Cross-team communication (Engineering, SRE, Support) worked well"),
    (L.CULTURAL, "Blameless culture allowed quick root cause identification without fear"),
]

INCIDENT_12345_LINKS = [
    (
        K.DASHBOARD,
        "Error Rate Graph",
        "https://grafana.example.com/d/api-errors?from=1738166580000&to=1738169400000",
    ),
    (
        K.DASHBOARD,
        "Connection Pool Graph",
        "https://grafana.example.com/d/db-pool?from=1738166580000&to=1738169400000",
    ),
    (
        K.DASHBOARD,
        "Latency Distribution",
        "https://grafana.example.com/d/api-latency?from=1738166580000&to=1738169400000",
    ),
    (K.DASHBOARD, "Alert History", "https://pagerduty.com/incidents/INCIDENT-12345"),
    (
        K.LOGS,
        "Error Logs",
        "https://kibana.example.com/app/discover#/?_g=(time:(from:'2026-01-29T14:20:00Z',to:'2026-01-29T15:30:00Z'))",
    ),
    (K.LOGS, "Trace Example (Failed Request)", "https://jaeger.example.com/trace/abc123def456"),
]

INCIDENT_8901_FIELDS = {
    "affected_users": 4000,
    "regions": "Global impact (all regions)",
    "root_cause_summary": "A migration dropped an index on a hot table",
    "root_cause_component": "The primary PostgreSQL database.",
    "root_cause_why": "Queries on `orders` fell back to sequential scans.",
    "root_cause_underlying": "Migration 0142 dropped `orders_customer_idx` while renaming it.",
    "root_cause_safeguards": "Migration review did not flag index drops on hot tables.",
    "detection_methods": ["monitoring", "user_report"],
    "detection_description": "Latency alert “APILatencyHigh”, then support tickets.",
    "resolution_summary": "Recreated the index concurrently",
    "fix_type": FixType.PERMANENT,
    "verification": "P95 latency back under 300 ms; sequential scans on `orders` stopped.",
}

INCIDENT_8901_TIMELINE = [
    ("09:05", "Deployment with migration 0142 completes", T.STARTED),
    ("09:10", 'Alert: "APILatencyHigh" fires (P95 9 s)', T.DETECTED),
    ("09:11", "On-call engineer (Carol) paged", T.ALERTED),
    ("09:12", "Carol acknowledges page", T.ACKNOWLEDGED),
    ("09:31", "Index recreated concurrently", T.MITIGATED),
    ("09:40", "Latency back to normal; incident resolved", T.RESOLVED),
]

INCIDENT_12401_SUMMARY = (
    "On 2026-03-04 checkout requests slowed to a P95 of 4 s for 25 minutes after a cache "
    "eviction storm; 6% of checkouts timed out. Raising the cache memory limit and warming the "
    "cache restored normal latency."
)

# What INCIDENT-12401 said before its author's two later saves.
INCIDENT_12401_FIRST_DRAFT = {
    "revenue_impact": "Not known yet",
    "root_cause_summary": "Cache evictions",
    "root_cause_why": "Its memory limit was lowered.",
}

INCIDENT_12401_FIELDS = {
    "affected_users": 900,
    "affected_users_percent": Decimal("6"),
    "affected_users_basis": "checkouts",
    "regions": "eu-west-1",
    "revenue_impact": "About $800 in abandoned checkouts",
    "slo_name": "Checkout Latency",
    "slo_target": Decimal("99.5"),
    "slo_window_days": 30,
    "error_budget_consumed_minutes": Decimal("25"),
    "root_cause_summary": "Cache evictions after the memory limit was lowered",
    "root_cause_component": "The checkout session cache (Redis).",
    "root_cause_why": "Its memory limit was lowered from 8 GB to 4 GB in a cost review.",
    "root_cause_underlying": "The working set at peak is 5.5 GB, so hot keys were evicted.",
    "root_cause_safeguards": "No alert on the eviction rate; the change was not load-tested.",
    "detection_methods": ["monitoring"],
    "detection_description": "Alert “CheckoutLatencyHigh”.",
    "response_actions": "1. Raised the cache limit back to 8 GB\n2. Warmed the cache from the database",
    "went_well": "The alert fired within two minutes",
    "went_poorly": "The cost change had no owner on call",
    "resolution_summary": "Cache memory limit restored to 8 GB",
    "fix_type": FixType.TEMPORARY,
    "verification": "P95 back under 400 ms; evictions at zero.",
}


def _fill_incident_12401(pm: Postmortem, people) -> None:
    day = pm.incident_date
    pm.tags.set([Tag.objects.get_or_create(name=name)[0] for name in ("checkout", "redis")])
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            postmortem=pm, occurred_at=_at(day, hhmm), description=text, milestone=milestone
        )
        for hhmm, text, milestone in [
            ("10:02", "Evictions start on the session cache", T.STARTED),
            ("10:04", 'Alert: "CheckoutLatencyHigh" fires', T.DETECTED),
            ("10:05", "Bob paged", T.ALERTED),
            ("10:07", "Bob acknowledges", T.ACKNOWLEDGED),
            ("10:20", "Cache limit raised to 8 GB", T.MITIGATED),
            ("10:27", "Latency back to normal", T.RESOLVED),
        ]
    )
    ContributingFactor.objects.create(postmortem=pm, description="No eviction-rate alert")
    Responder.objects.create(
        postmortem=pm, role="On-Call Engineer", user=people["bob"], joined_at=_at(day, "10:07")
    )
    ActionItem.objects.create(
        postmortem=pm,
        category=ActionItem.Category.DETECTION,
        action="Alert on cache eviction rate",
        owner=people["bob"],
        due_date=datetime.date(2026, 3, 18),
        priority=ActionItem.Priority.P1,
        status=ActionItem.Status.IN_PROGRESS,
    )
    ActionItem.objects.create(
        postmortem=pm,
        category=ActionItem.Category.PREVENT,
        action="Load-test cache limit changes before rollout",
        owner=people["carol"],
        due_date=datetime.date(2026, 3, 25),
        priority=ActionItem.Priority.P1,
    )
    Lesson.objects.create(
        postmortem=pm,
        category=Lesson.Category.TECHNICAL,
        text="Size caches by the peak working set.",
    )
    Lesson.objects.create(
        postmortem=pm, category=Lesson.Category.PROCESS, text="Cost changes need a capacity review."
    )
