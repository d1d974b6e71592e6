"""Reading a query in the web syntax: "a phrase", -exclude, or.

``parse`` reads it for the page's messages and for the SQLite matcher; PostgreSQL reads the
same text with ``websearch_to_tsquery``. A query is bounded: ``MAX_QUERY_LENGTH`` characters
and ``MAX_TERMS`` different terms, and it says when it was cut.
"""

import re
from dataclasses import dataclass, field

# A longer query is cut here (at a word), with a message saying so.
MAX_QUERY_LENGTH = 500
# …and only this many terms of it are used (SQLite's parser has a depth limit).
MAX_TERMS = 32

# PostgreSQL's English stop words (english.stop): never searched for on either database.
_ENGLISH_STOP = """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can did do does doing don down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own s same she should so some such t than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with you your yours yourself yourselves"""
STOP_WORDS = frozenset(_ENGLISH_STOP.split())
_TOKEN = re.compile(r'(-?)"([^"]*)(?:"|$)|(\S+)')
_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")


@dataclass(frozen=True)
class Term:
    text: str
    exclude: bool = False


@dataclass
class ParsedQuery:
    """A query in the web syntax: every group must match; a group matches if any term does."""

    text: str = ""
    groups: list[list[Term]] = field(default_factory=list)
    shortened: bool = False
    too_many_terms: bool = False
    stop_words_only: bool = False

    @property
    def words(self) -> list[str]:
        """What to look for (and highlight): the terms not excluded."""
        return [t.text for group in self.groups for t in group if not t.exclude]

    @property
    def is_empty(self) -> bool:
        return not self.words

    @property
    def notices(self) -> list[str]:
        """What was left out of the query, for the page to say."""
        notices = []
        if self.shortened:
            notices.append(f"The search was shortened to its first {MAX_QUERY_LENGTH} characters.")
        if self.too_many_terms:
            notices.append(f"Only the first {MAX_TERMS} different words were searched for.")
        return notices

    @property
    def problem(self) -> str:
        """Why a query that was typed finds nothing to look for ("" when it has words)."""
        if not self.text or not self.is_empty:
            return ""
        if self.stop_words_only:
            return "Only very common words (like “the” or “and”): add a word that says more."
        if self.groups:
            return "Only -exclusions: add a word to look for."
        return "Nothing to search for there: type a word, a “quoted phrase” or a key."


def parse(text: str) -> ParsedQuery:
    text = " ".join((text or "").replace("\x00", " ").split())
    shortened = len(text) > MAX_QUERY_LENGTH
    if shortened:
        cut = text[: MAX_QUERY_LENGTH + 1]
        text = cut[: cut.rfind(" ")] if " " in cut else cut[:MAX_QUERY_LENGTH]
    groups: list[list[Term]] = []
    seen = set()
    join_next = dropped = too_many = False
    for minus, phrase, word in _TOKEN.findall(text):
        if word and word.lower() == "or":
            join_next = bool(groups)
            continue
        exclude = bool(minus) or word.startswith("-")
        raw = phrase if not word else word.lstrip("-")
        term = " ".join(raw.split()) if phrase or not word else _EDGE_PUNCTUATION.sub("", raw)
        words = re.findall(r"[^\W_]+", term.lower())
        if not words:
            continue
        if all(w in STOP_WORDS for w in words):
            dropped = True
            continue
        if (term.lower(), exclude) in seen:
            continue
        if len(seen) == MAX_TERMS:
            too_many = True
            break
        seen.add((term.lower(), exclude))
        if join_next and not exclude:
            groups[-1].append(Term(term))
        else:
            groups.append([Term(term, exclude)])
        join_next = False
    if too_many:
        text = _unparse(groups)  # PostgreSQL reads the text itself: give it only what was kept
    parsed = ParsedQuery(text=text, groups=groups, shortened=shortened, too_many_terms=too_many)
    parsed.stop_words_only = dropped and parsed.is_empty
    return parsed


def _unparse(groups) -> str:
    def term(t):
        return ("-" if t.exclude else "") + (f'"{t.text}"' if " " in t.text else t.text)

    return " ".join(" or ".join(term(t) for t in group) for group in groups)


def topic_query(postmortem) -> ParsedQuery:
    """Any of the words of the title, the one-line root cause and the services."""
    text = " ".join(
        [postmortem.title, postmortem.root_cause_summary, *(t.name for t in postmortem.tags.all())]
    )
    words = []
    for word in re.findall(r"[^\W_]{3,}", text.lower()):
        if word not in STOP_WORDS and not word.isdigit() and word not in words:
            words.append(word)
    words = words[:12]
    return ParsedQuery(text=" or ".join(words), groups=[[Term(w) for w in words]] if words else [])
