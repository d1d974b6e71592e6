"""A restricted related incident is not even named to a reader who may not see it: not in
the Markdown or JSON export, the zip, nor the history's diff. Those it is named to see it."""

import hashlib
import io
import json
import zipfile

import pytest
from django.test import Client

from postmortems import editing
from postmortems.activity import log_action
from postmortems.models import Activity, Postmortem
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db

SECRET_KEY = "SEC-2026-0007"
SECRET_TITLE = "Signing key exposed in CI logs"


@pytest.fixture
def linked(author, coauthor):
    """A Draft open to everyone, related (by its author, who may see both) to a restricted one."""
    secret = PostmortemFactory(
        key=SECRET_KEY, title=SECRET_TITLE, restricted=True, authors=[author]
    )
    document = PostmortemFactory(key="INC-2026-0042", authors=[author, coauthor])
    # Its first version, as creating a Draft records it; linking records the second.
    log_action(document, author, Activity.Verb.CREATED)
    editing.link_related(document, secret, by=author)
    return document


@pytest.fixture
def outsider_client(outsider):
    # Each its own Client: the shared `client` fixture can hold only one sign-in.
    client = Client()
    client.force_login(outsider)
    return client


@pytest.fixture
def author_client(author):
    client = Client()
    client.force_login(author)
    return client


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


def test_the_markdown_export_leaves_out_what_the_reader_may_not_see(linked, outsider_client):
    markdown = get(outsider_client, f"/postmortems/{linked.key}/export.md").content.decode()
    assert "## Supporting Information" in markdown
    assert SECRET_KEY not in markdown
    assert SECRET_TITLE not in markdown


def test_the_markdown_export_names_it_to_a_reader_who_may_see_it(linked, author_client):
    markdown = get(author_client, f"/postmortems/{linked.key}/export.md").content.decode()
    assert f"- Related Incident: {SECRET_KEY} ({SECRET_TITLE}," in markdown


def verify_offline(export: dict) -> bool:
    """What anyone holding export.json can do, without the app: recompute the content hash,
    and check each related key they were given against the commitments."""
    hashed = {k: v for k, v in export["content"].items() if k != "related_incidents"}
    encoded = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if hashlib.sha256(encoded.encode()).hexdigest() != export["content_hash"]:
        return False
    commitments = set(export["content"]["related_commitments"])
    return all(
        hashlib.sha256(f"{export['related_openings'][key]}:{key}".encode()).hexdigest()
        in commitments
        for key in export["content"]["related_incidents"]
    )


def test_the_json_export_leaves_it_out_and_says_nothing(linked, outsider_client, author_client):
    hidden = json.loads(get(outsider_client, f"/postmortems/{linked.key}/export.json").content)
    assert hidden["content"]["related_incidents"] == []
    assert hidden["related_openings"] == {}
    assert "redacted" not in hidden
    assert SECRET_KEY not in json.dumps(hidden)

    whole = json.loads(get(author_client, f"/postmortems/{linked.key}/export.json").content)
    assert whole["content"]["related_incidents"] == [SECRET_KEY]
    assert list(whole["related_openings"]) == [SECRET_KEY]
    # The signed content's hash does not depend on who downloads it…
    assert hidden["content_hash"] == whole["content_hash"]
    # …and both can check it offline; the author can also check the related key.
    assert verify_offline(whole) and verify_offline(hidden)


def test_the_hash_gives_no_hidden_key_away_to_ten_thousand_guesses(linked, outsider_client):
    # The reproduction: guess keys, rebuild the content with each, compare with the hash.
    hidden = json.loads(get(outsider_client, f"/postmortems/{linked.key}/export.json").content)
    candidates = [f"SEC-2026-{n:04d}" for n in range(10_000)]
    assert SECRET_KEY in candidates
    commitments = set(hidden["content"]["related_commitments"])
    for candidate in candidates:
        content = {**hidden["content"], "related_incidents": [candidate]}
        encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(encoded.encode()).hexdigest() != hidden["content_hash"]
        # Without the opening (an HMAC under a secret the export never holds) a commitment
        # cannot be rebuilt from a guess either.
        assert hashlib.sha256(f":{candidate}".encode()).hexdigest() not in commitments
        assert hashlib.sha256(candidate.encode()).hexdigest() not in commitments


def test_an_outsider_cannot_tell_a_hidden_link_from_none(author, coauthor, outsider_client):
    with_link = PostmortemFactory(key="INC-2026-0050", authors=[author, coauthor])
    without = PostmortemFactory(key="INC-2026-0051", authors=[author, coauthor])
    secret = PostmortemFactory(key=SECRET_KEY, restricted=True, authors=[author])
    editing.link_related(with_link, secret, by=author)

    def shape(key):
        data = json.loads(get(outsider_client, f"/postmortems/{key}/export.json").content)
        content = data["content"]
        return (
            sorted(data),
            sorted(content),
            content["related_incidents"],
            len(content["related_commitments"]),
            data["related_openings"],
        )

    assert shape(with_link.key) == shape(without.key)


def test_the_zip_leaves_it_out_too(linked, outsider_client):
    archive = zipfile.ZipFile(
        io.BytesIO(get(outsider_client, "/postmortems/export.zip").getvalue())
    )
    assert f"{SECRET_KEY}.md" not in archive.namelist()
    assert SECRET_KEY not in archive.read(f"{linked.key}.md").decode()


def test_the_history_diff_leaves_it_out(linked, outsider_client, author_client):
    versions = list(linked.versions.order_by("number").values_list("number", flat=True))
    assert len(versions) >= 2
    url = f"/postmortems/{linked.key}/history/?a={versions[0]}&b={versions[-1]}"
    assert SECRET_KEY not in get(outsider_client, url).content.decode()
    assert SECRET_KEY in get(author_client, url).content.decode()


def test_the_restricted_document_itself_stays_hidden(linked, outsider_client):
    assert Postmortem.objects.filter(key=SECRET_KEY, restricted=True).exists()
    assert outsider_client.get(f"/postmortems/{SECRET_KEY}/export.md").status_code == 404
