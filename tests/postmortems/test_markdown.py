import pytest

from postmortems import markdown
from postmortems.markdown import render_markdown


def test_it_renders_the_usual_markdown():
    html = render_markdown(
        "# Title\n\n- one\n- **two**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n`code`"
    )
    for tag in [
        "<h1>Title</h1>",
        "<li>one</li>",
        "<strong>two</strong>",
        "<table>",
        "<td>1</td>",
        "<code>code</code>",
    ]:
        assert tag in html


def test_it_forces_rel_on_links_and_linkifies_bare_urls():
    html = render_markdown("[dash](https://grafana.example.com) and https://example.com/x")
    assert html.count('rel="noopener noreferrer nofollow"') == 2


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "<svg><script>alert(1)</script></svg>",
        "<iframe src='https://evil.example'></iframe>",
        "<a href='data:text/html;base64,PHNjcmlwdD4='>x</a>",
    ],
)
def test_it_never_lets_script_through(text):
    html = render_markdown(text)
    assert (
        "<script" not in html
        and "<img" not in html
        and "<iframe" not in html
        and "<svg" not in html
    )
    assert "javascript:" not in html.replace("&lt;", "") or "href" not in html
    assert "data:text" not in html or "href" not in html


def test_it_renders_nothing_for_empty_text():
    assert render_markdown("") == "" and render_markdown(None) == ""


def test_a_reused_converter_carries_nothing_from_one_text_to_the_next():
    # Abbreviations and footnotes are defined per text; the converter is reused between calls.
    first = render_markdown("*[SLO]: Service Level Objective\n\nThe SLO held.[^1]\n\n[^1]: Mostly.")
    assert '<abbr title="Service Level Objective">SLO</abbr>' in first
    assert "Mostly." in first
    second = render_markdown("The SLO broke.[^1]")
    assert "<abbr" not in second
    assert "Mostly." not in second
    assert "[^1]" in second


def test_long_text_is_rendered_without_the_memo_and_the_same_way():
    paragraph = "A *long* paragraph with a <script>alert(1)</script> in it. " * 100
    assert len(paragraph) > markdown.CACHE_MAX_CHARS
    html = render_markdown(paragraph)
    assert html == render_markdown(paragraph)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<em>long</em>" in html
