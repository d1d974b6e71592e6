"""The template's own Example blocks, typed into a field, read as the template means them:
lists straight after a line are lists, items nested by two, three or four spaces nest."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from postmortems.markdown import render_markdown
from postmortems.markdown_engine import MAX_DEPTH, MAX_LIST_REINDENT, list_friendly

TEMPLATE = Path(settings.BASE_DIR).parent / "shared" / "postmortem-template.md"
EXAMPLE = re.compile(r"### (?:Detailed Timeline )?Example\n+```[a-z]*\n(.*?)\n```", re.S)


def examples():
    if not TEMPLATE.exists():  # the template lives beside the project, in shared/
        pytest.skip("shared/postmortem-template.md is not beside the project")
    return EXAMPLE.findall(TEMPLATE.read_text())


class Outline(HTMLParser):
    """The lists of a page as nested tuples: (tag, [(item text, [nested lists])])."""

    def __init__(self):
        super().__init__()
        self.lists, self.stack, self.text_in_paragraphs = [], [], []
        self._paragraph = None

    def handle_starttag(self, tag, attrs):
        if tag in ("ul", "ol"):
            entry = (tag, [])
            if self.stack and self.stack[-1][1]:
                self.stack[-1][1][-1][1].append(entry)
            else:
                self.lists.append(entry)
            self.stack.append(entry)
        elif tag == "li":
            self.stack[-1][1].append(["", []])
        elif tag == "p" and not self.stack:
            self._paragraph = []

    def handle_endtag(self, tag):
        if tag in ("ul", "ol"):
            self.stack.pop()
        elif tag == "p" and self._paragraph is not None:
            self.text_in_paragraphs.append("".join(self._paragraph))
            self._paragraph = None

    def handle_data(self, data):
        if self.stack and self.stack[-1][1]:
            self.stack[-1][1][-1][0] += data
        if self._paragraph is not None:
            self._paragraph.append(data)


def outline(html):
    parser = Outline()
    parser.feed(html)
    return parser


def test_every_example_block_has_no_list_left_as_text():
    blocks = examples()
    assert len(blocks) >= 7
    for block in blocks:
        page = outline(str(render_markdown(block)))
        for paragraph in page.text_in_paragraphs:
            for line in paragraph.split("\n"):
                assert not re.match(r"\s*([-*+]|\d+\.) ", line), (line, block[:60])


def test_a_list_straight_after_a_line_is_a_list():
    detection = next(b for b in examples() if b.startswith("Detection Method"))
    page = outline(str(render_markdown(detection)))
    assert "Quality: Good" in page.text_in_paragraphs
    items = [[text.strip() for text, _ in entries] for _, entries in page.lists]
    assert [
        "Alert fired quickly (1 min TTD)",
        "Alert was accurate (true positive)",
        "Page reached on-call successfully",
    ] in items


def test_items_indented_by_three_spaces_nest():
    response = next(b for b in examples() if b.startswith("Response Actions"))
    (tag, items), *_ = outline(str(render_markdown(response))).lists
    assert tag == "ol" and len(items) == 5
    assert [len(nested[0][1]) for _, nested in items] == [3, 3, 4, 4, 4]
    assert items[1][1][0][1][0][0].strip() == "Rollback command issued"

    root_cause = next(b for b in examples() if b.startswith("Root Cause"))
    (tag, items), *_ = outline(str(render_markdown(root_cause))).lists
    assert tag == "ol" and len(items) == 5
    assert [len(nested[0][1]) if nested else 0 for _, nested in items] == [0, 0, 5, 0, 3]


@pytest.mark.parametrize("indent", [2, 3, 4])
def test_two_three_or_four_spaces_nest_alike(indent):
    pad = " " * indent
    (tag, items), *_ = outline(str(render_markdown(f"- a\n{pad}- b\n{pad}{pad}- c\n- d"))).lists
    assert [text.strip() for text, _ in items] == ["a", "d"]
    nested = items[0][1][0][1]
    assert nested[0][0].strip() == "b" and nested[0][1][0][1][0][0].strip() == "c"


def test_code_stays_code():
    html = str(render_markdown("Run:\n```\n- not a list\n  - nor this\n```\n\n    - indented code"))
    assert "<li>" not in html
    assert html.count("<code>") == 2


def test_a_year_after_a_line_stays_text():
    html = str(render_markdown("It happened in\n2024. A quiet year."))
    assert "<ol" not in html


def test_deep_nesting_does_not_grow_the_text_quadratically():
    # Still deep enough that a list nested past the page's limit is refused as too deep.
    assert 2 * MAX_LIST_REINDENT > MAX_DEPTH
    text = "\n".join("  " * level + "- x" for level in range(2_000))
    assert len(list_friendly(text)) <= len(text) + 2_000 * 4 * MAX_LIST_REINDENT
