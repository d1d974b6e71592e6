import pytest
from django.core.management import call_command

from accounts.models import User
from postmortems.models import Postmortem


@pytest.mark.django_db
def test_seed_demo_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    first = (User.objects.count(), Postmortem.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Postmortem.objects.count()) == first == (6, 2)
    main = Postmortem.objects.get(key="INCIDENT-12345")
    assert "47 minutes" in main.executive_summary
    assert {a.username for a in main.authors.all()} == {"alice", "bob"}
    assert Postmortem.objects.get(key="INCIDENT-8901").status == Postmortem.Status.FINAL


@pytest.mark.django_db
def test_demo_people_can_sign_in_only_with_debug_on(settings, client):
    settings.DEBUG = True
    call_command("seed_demo")
    assert client.login(username="alice", password="demo")
    settings.DEBUG = False
    call_command("seed_demo")
    assert not client.login(username="alice", password="demo")
