"""XSS defence in depth: known vectors through every Markdown field and every plain field.

Each vector is stored in every text the document holds; the pages that show it are parsed,
and must carry no script-capable element, no event-handler attribute and no URL with a
scheme other than http, https or mailto — beyond what the same page has with harmless text.
"""

import datetime
from html.parser import HTMLParser

import pytest

from postmortems.models import (
    ActionItem,
    Comment,
    ContributingFactor,
    Lesson,
    Postmortem,
    Responder,
    TimelineEvent,
)
from tests.factories import PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db

VECTORS = [
    "<script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<style>@import 'http://evil.example/x.css';</style>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<div onmouseover="alert(1)">hover</div>',
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<link rel=stylesheet href=http://evil.example/x.css>",
    '<a href="javascript:alert(1)">raw link</a>',
    '<a href="jav&#x09;ascript:alert(1)">tab link</a>',
    '<a href="  javascript:alert(1)">spaced link</a>',
    "[md link](javascript:alert(1))",
    "[md link](JaVaScRiPt:alert(1))",
    "[md link](javascript&#58;alert(1))",
    "[md link](&#106;avascript:alert(1))",
    "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[vb link](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    '![img](x" onerror="alert(1))',
    "[ref link][x]\n\n[x]: javascript:alert(1)",
    '<a href="java\nscript:alert(1)">newline link</a>',
]

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "xlink:href",
    "poster",
    "background",
}
SAFE_SCHEMES = {"http", "https", "mailto"}
NEVER = {"iframe", "object", "embed", "svg", "math", "style", "base", "frame", "frameset", "applet"}
COUNTED = {
    "script",
    "meta",
    "link",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "details",
    "img",
}


class PageAudit(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.counts = dict.fromkeys(COUNTED, 0)
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        if tag in NEVER:
            self.problems.append(f"<{tag}> element")
        if tag in COUNTED:
            self.counts[tag] += 1
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                cleaned = "".join(ch for ch in value if ch > " ").lower()
                scheme = cleaned.split(":", 1)[0] if ":" in cleaned.split("/", 1)[0] else ""
                if scheme and scheme not in SAFE_SCHEMES:
                    self.problems.append(f"{name}={value!r} on <{tag}>")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not src.startswith("/static/"):
                self.problems.append(f"script src={src!r}")
            self.in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append("inline script text")


def audit(html):
    parser = PageAudit()
    parser.feed(html)
    return parser


def fill_everything(text, author, reviewer):
    """One document where every field a person types holds `text`."""
    author.display_name = text[:150]
    author.save()
    pm = PostmortemFactory(key="INC-2026-0777", authors=[author], restricted=False)
    for field in Postmortem._meta.concrete_fields:
        if field.get_internal_type() in ("CharField", "TextField") and field.name not in (
            "key",
            "severity",
            "status",
            "fix_type",
        ):
            setattr(pm, field.name, text[: field.max_length] if field.max_length else text)
    pm.went_well = pm.went_poorly = text + "\n" + text
    pm.save()
    day = datetime.datetime(2026, 1, 29, 14, 23, tzinfo=datetime.UTC)
    TimelineEvent.objects.create(
        postmortem=pm, occurred_at=day, description=text, milestone="started"
    )
    ContributingFactor.objects.create(postmortem=pm, description=text)
    Responder.objects.create(postmortem=pm, role=text[:100], name=text[:150])
    ActionItem.objects.create(postmortem=pm, action=text[:300], owner_name=text[:150], owner=author)
    Lesson.objects.create(postmortem=pm, category="technical", text=text)
    Comment.objects.create(postmortem=pm, section="impact", author=reviewer, body=text)
    return pm


PAGES = [
    "/",
    "/postmortems/INC-2026-0777/",
    "/postmortems/INC-2026-0777/edit/overview/",
    "/postmortems/INC-2026-0777/edit/impact/",
    "/postmortems/INC-2026-0777/edit/timeline/",
    "/postmortems/INC-2026-0777/edit/response/",
    "/action-items/?owner=anyone",
    "/review/",
]


@pytest.fixture
def baseline(client, author, reviewer):
    """What each page legitimately contains with harmless text in every field."""
    fill_everything("Harmless text", author, reviewer)
    client.force_login(author)
    counts = {path: audit(client.get(path).content.decode()).counts for path in PAGES}
    Postmortem.objects.all().delete()
    return counts


@pytest.mark.parametrize("vector", VECTORS, ids=[f"vector-{n:02d}" for n in range(len(VECTORS))])
def test_a_stored_vector_never_becomes_markup(client, author, reviewer, baseline, vector):
    fill_everything(vector, author, reviewer)
    client.force_login(author)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        result = audit(response.content.decode())
        assert result.problems == [], f"{path}: {result.problems}"
        assert result.counts == baseline[path], f"{path}: markup added by the vector"


def test_there_are_enough_vectors():
    assert len(VECTORS) >= 25


@pytest.mark.parametrize("vector", VECTORS[:6], ids=[f"name-{n}" for n in range(6)])
def test_a_persons_name_is_text_everywhere(client, vector, author):
    person = UserFactory(display_name=vector[:150])
    client.force_login(person)
    result = audit(client.get("/").content.decode())
    assert result.problems == []
