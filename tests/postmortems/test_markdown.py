import pytest

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
