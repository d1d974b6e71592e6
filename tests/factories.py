"""All test data is made here."""

import datetime

import factory

from accounts.models import User
from postmortems.models import Postmortem, Severity

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
