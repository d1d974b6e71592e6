import pytest
from django.db import transaction
from django.test import override_settings

from tests.factories import PASSWORD, PostmortemFactory, UserFactory, ready_for_review


@pytest.fixture(autouse=True, scope="session")
def fast_passwords():
    """Every test person gets a password; a fast hasher keeps the suite fast.

    Production keeps Django's default (PBKDF2); what is tested here is who may sign, not
    the strength of the hash. Session-wide, so that data made once for a module (below) is
    hashed the same way as a test's own.
    """
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def media_root(tmp_path_factory):
    """Attached files go to a folder of the test run's own, never to the project's media/."""
    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


@pytest.fixture(scope="session")
def made_once(django_db_setup, django_db_blocker):
    """For a module- or class-scoped fixture: data made once for many tests, then taken away.

        @pytest.fixture(scope="module")
        def world(made_once):
            yield from made_once(build_the_world)

    `build_the_world()` runs inside a transaction that stays open while the tests run and is
    rolled back after the last of them. Each test (pytest-django's `db`) runs in a savepoint
    inside it and rolls back its own changes, so every test finds the data as it was made.
    Meanwhile the database stays blocked, as usual, for a test without `db`.

    Only for tests that are not transactional: `transaction=True` and `live_server` tests
    commit and flush, and pytest-django runs them after all the others, so never inside.
    """

    def once(make):
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
        try:
            with django_db_blocker.unblock():
                made = make()
            yield made
        finally:
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)

    return once


@pytest.fixture
def password():
    return PASSWORD


# The cast, as in every test: who writes, who reviews, who signs, who has no part in it.
@pytest.fixture
def author(db):
    return UserFactory(username="alice", display_name="Alice Smith")


@pytest.fixture
def coauthor(db):
    return UserFactory(username="bob", display_name="Bob Jones")


@pytest.fixture
def reviewer(db):
    return UserFactory(username="carol", display_name="Carol White", job_title="SRE Lead")


@pytest.fixture
def approver(db):
    return UserFactory(username="victor", display_name="Victor Chen", job_title="VP Engineering")


@pytest.fixture
def outsider(db):
    return UserFactory(username="mallory", display_name="Mallory Outsider")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", display_name="Admin", is_staff=True, is_superuser=True)


@pytest.fixture
def postmortem(author, coauthor):
    return PostmortemFactory(key="INC-2026-0001", authors=[author, coauthor])


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


@pytest.fixture
def doc(author, coauthor, reviewer, approver):
    """A complete Draft, ready for review: two authors, a reviewer and an approver in their
    slots. (A module that needs another document defines its own ``doc``.)"""
    return ready_for_review(
        authors=[author, coauthor],
        slots=[
            ("Author", author, True),
            ("Reviewer (SRE Lead)", reviewer, False),
            ("Approver (VP Eng)", approver, False),
        ],
    )
