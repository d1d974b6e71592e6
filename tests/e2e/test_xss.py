import pytest
from playwright.sync_api import expect

from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_stored_vector_shows_as_text_and_fires_nothing(page, sign_in, author, password):
    vector = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    pm = PostmortemFactory(
        authors=[author],
        title='<svg onload="window.__xss=3">',
        executive_summary=vector + "\n\n[click me](javascript:window.__xss=4)",
    )
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in("alice", password)
    page.goto(pm.get_absolute_url())
    summary = page.locator("#overview .markdown")
    # An image that is not one of the document's attachments is never loaded: a placeholder.
    expect(summary).to_contain_text("[image]<script>window.__xss=2</script>")
    assert summary.locator("img").count() == 0
    expect(page.get_by_role("heading", level=1)).to_contain_text('<svg onload="window.__xss=3">')
    link = summary.get_by_text("click me")
    assert link.get_attribute("href") is None
    link.click()
    page.wait_for_timeout(200)
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
