"""All test data is made here."""

import datetime

import factory

from accounts.models import User
from postmortems.models import ActionItem, Postmortem, Severity, TimelineEvent

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda u: u.username.capitalize())
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PostmortemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Postmortem
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"INC-2026-{n + 1:04d}")
    title = factory.Sequence(lambda n: f"Incident number {n}")
    incident_date = datetime.date(2026, 1, 29)
    severity = Severity.SEV2
    executive_summary = "The API returned errors for a while."

    @factory.post_generation
    def authors(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.authors.set(extracted)


class TimelineEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEvent

    postmortem = factory.SubFactory(PostmortemFactory)
    occurred_at = factory.Sequence(
        lambda n: (
            datetime.datetime(2026, 1, 29, 14, 0, tzinfo=datetime.UTC)
            + datetime.timedelta(seconds=10 * n)
        )
    )
    description = factory.Sequence(lambda n: f"Event {n}")


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    postmortem = factory.SubFactory(PostmortemFactory)
    action = factory.Sequence(lambda n: f"Follow-up {n}")
    owner_name = "Dana"
    due_date = datetime.date(2026, 2, 5)


def ready_for_review(*, authors, slots, key="INC-2026-0100", policy=True):
    """A Draft with every required section complete and the approval slots given.

    `slots` is a list of (role, person, is_author_slot). With `policy`, they are what the
    approval policy of its severity (SEV-2) asks for, as a Draft would have been given them.
    """
    from decimal import Decimal

    from postmortems.models import Approval, ContributingFactor, Lesson, Responder

    postmortem = PostmortemFactory(
        key=key,
        authors=authors,
        executive_summary="The API was down for 47 minutes.",
        affected_users=1200,
        regions="Global",
        reputation_impact="18 complaints",
        slo_name="API Availability",
        slo_target=Decimal("99.9"),
        slo_window_days=28,
        root_cause_component="The pool.",
        root_cause_why="Three times the queries.",
        root_cause_underlying="No headroom.",
        root_cause_safeguards="Load tests too small.",
        detection_methods=["monitoring"],
        detection_description="Alert",
        response_actions="Raised the pool size",
        went_well="Fast alert",
        went_poorly="Rollback failed",
        resolution_summary="Pool 100 → 500",
        fix_type="permanent",
        verification="Error rate normal",
    )
    base = datetime.datetime(2026, 1, 29, 14, 23, tzinfo=datetime.UTC)
    for minutes, milestone in [
        (0, "started"),
        (1, "detected"),
        (5, "acknowledged"),
        (47, "resolved"),
    ]:
        TimelineEventFactory(
            postmortem=postmortem,
            occurred_at=base + datetime.timedelta(minutes=minutes),
            milestone=milestone,
        )
    ContributingFactor.objects.create(postmortem=postmortem, description="Unannounced email")
    Responder.objects.create(postmortem=postmortem, role="On-call", name="Alice")
    ActionItemFactory(postmortem=postmortem, category="prevent")
    Lesson.objects.create(postmortem=postmortem, category="technical", text="Size pools by QPS")
    Lesson.objects.create(postmortem=postmortem, category="process", text="Tell SRE first")
    if policy:
        set_policy(
            postmortem.severity, [(role, is_author_slot) for role, _, is_author_slot in slots]
        )
    for position, (role, person, is_author_slot) in enumerate(slots):
        Approval.objects.create(
            postmortem=postmortem,
            role=role,
            assignee=person,
            is_author_slot=is_author_slot,
            position=position,
            from_policy=policy,
        )
    return postmortem


def signing_request(address="10.0.0.1"):
    """A request as the sign page receives it: the password check counts failures by address."""
    from django.test import RequestFactory

    return RequestFactory().post("/sign/", REMOTE_ADDR=address)


def shown_hash(postmortem) -> str:
    """The content hash a page shows of the document as it is now (what a signer saw)."""
    from postmortems.content import document_hash

    return document_hash(Postmortem.objects.with_document().get(pk=postmortem.pk))


def criteria_tokens() -> list[str]:
    """Every active review criterion as its checkbox on the sign page carries it."""
    from postmortems.models import ReviewCriterion

    return [criterion.token for criterion in ReviewCriterion.objects.active()]


def sign(approval, *, by, password=PASSWORD, **kwargs):
    """``workflow.sign`` as the sign page calls it: on the content as it is now, shown to the
    signer, from a request."""
    from postmortems import workflow

    kwargs.setdefault("seen_hash", shown_hash(approval.postmortem))
    kwargs.setdefault("request", signing_request())
    # Every review criterion ticked, as a reviewer's sign page asks (tests that leave one
    # out pass their own).
    kwargs.setdefault("criteria", criteria_tokens())
    return workflow.sign(approval, by=by, password=password, **kwargs)


def set_policy(severity, roles):
    """The approval policy of one severity: [(role, is_author_slot)] in order."""
    from postmortems.models import ApprovalPolicy, PolicyRole

    policy, _ = ApprovalPolicy.objects.get_or_create(severity=severity)
    policy.roles.all().delete()
    PolicyRole.objects.bulk_create(
        PolicyRole(policy=policy, role=role, is_author_slot=is_author_slot, position=n)
        for n, (role, is_author_slot) in enumerate(roles)
    )
    return policy
