import pytest

from tests.factories import PASSWORD, PostmortemFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Every test person gets a password; a fast hasher keeps the suite fast.

    Production keeps Django's default (PBKDF2); what is tested here is who may sign, not
    the strength of the hash.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
