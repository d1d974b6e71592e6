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
