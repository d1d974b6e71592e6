"""Every control of the pages people work in is reached with Tab, and shows where the focus is."""

import pytest

from tests.factories import ActionItemFactory, PostmortemFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Whether the focused element shows it: an outline, or a box-shadow of a colour that is not
# transparent (Bootstrap's focus ring).
RING = """() => {
  const style = getComputedStyle(document.activeElement);
  const shadow = style.boxShadow;
  const colour = (shadow.match(/rgba?\\(([^)]*)\\)/) || [null, ""])[1].split(",");
  const opaque = colour.length < 4 || parseFloat(colour[3]) > 0.1;
  const spread = (shadow.match(/(\\d+(\\.\\d+)?)px/g) || []).some(px => parseFloat(px) > 0);
  return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
    || (shadow !== "none" && opaque && spread);
}"""
# The focused element, marked as reached. A date box takes several Tabs (day, month, year):
# the same element again is not yet the wrap back to the start.
FOCUSED = """() => {
  const el = document.activeElement;
  const again = el === document.body || (el.dataset.tabbed === "1" && window.__lastTabbed !== el);
  window.__lastTabbed = el;
  el.dataset.tabbed = "1";
  return {key: el.tagName + "#" + el.id + "." + (el.name || el.textContent.trim().slice(0, 30)),
          again: again, visible: el.checkVisibility()};
}"""
# The page's visible controls Tab never reached (a radio group is reached by one of its radios).
UNREACHED = """() => Array.from(document.querySelectorAll(
  "a[href], button, input:not([type=hidden]), select, textarea, summary"
)).filter(el => !el.disabled && el.checkVisibility({checkVisibilityCSS: true})
  && el.tabIndex >= 0 && el.dataset.tabbed !== "1"
  && !(el.type === "radio" && document.querySelector(
       `input[type=radio][name="${el.name}"][data-tabbed="1"]`)))
  .map(el => el.tagName + "." + (el.name || el.textContent.trim().slice(0, 40)))"""


def tab_through(page, limit=400):
    seen, no_ring = [], []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["again"]:
            break
        seen.append(focused["key"])
        if focused["visible"] and not page.evaluate(RING):
            page.wait_for_timeout(250)  # a ring that fades in (Bootstrap's inputs: 0.15 s)
            if not page.evaluate(RING):
                no_ring.append(focused["key"])
    return seen, no_ring


@pytest.mark.parametrize("where", ["editor", "document"])
def test_tab_reaches_every_control_with_a_visible_focus(page, sign_in, author, password, where):
    doc = PostmortemFactory(key="INC-2026-0042", authors=[author])
    ActionItemFactory(postmortem=doc, owner=author)
    sign_in("alice", password)
    url = (
        f"/postmortems/{doc.key}/edit/action-items/"
        if where == "editor"
        else doc.get_absolute_url()
    )
    page.goto(url)
    seen, no_ring = tab_through(page)
    assert no_ring == []
    assert page.evaluate(UNREACHED) == []
    if where == "editor":
        assert any("Add action item" in key for key in seen)
