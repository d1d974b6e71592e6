"""The blameless-language check: rules a team can read and change, and no model behind them.

The template's Blameless Culture Reminder asks not to assign blame to individuals, not to write
"human error", and to ask why the error was possible. This module finds the wording that goes
against it, in one text at a time, with rules of two kinds:

- a **phrase** ("human error", "careless", "should have known better"…) is flagged wherever
  it appears;
- a **person** rule is a list of verbs ("failed to", "forgot", "broke", "didn't check"…)
  flagged only when a person is their subject: a name of the document's people, an @mention,
  a person's pronoun ("he", "she", "someone"), a person's role ("the engineer", "the on-call")
  or a person's possessive ("Carol's change broke…"), right before the verb (a word such as
  "just" or "had" may stand between). A thing as the subject is not flagged: "the alert
  failed to fire", "the health check should have caught it".

**The pattern language** (``compile_pattern``; no regular expression ever comes from a rule).
Words separated by spaces, matched whole and case-insensitively, on the text's words (so
"blame" never matches inside "blameless"). In each place:

- ``word``: that word; ``a|b|c``: any one of them; ``[word]`` or ``[a|b]``: optional;
- ``care*``: a word that begins so (at least 3 letters), ``*ed``: one that ends so (at least
  2); ``*`` alone: any one word (not first);
- a hyphenated word is one word, as in the text: ``fat-finger*``, ``on-call``.

A pattern holds at most 400 characters, 8 places, 3 optional ones and 40 choices in a place,
and the first place is a plain one. Matching a text is linear in its words: every place is
looked up from the words (the first place through a dictionary), each start is memoised, and a
text stops being checked after ``MAX_STEPS`` comparisons (it then says so), whatever the rules.

Pure: rules, names and a text in, findings out; no query (Django only for the admin's
ValidationError). Which texts of a document are checked, whose names count and what was marked
intended are ``postmortems.wording``'s; the rules a new installation starts with,
``postmortems.blameless_rules``'.
"""

import functools
import hashlib
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

PHRASE = "phrase"
PERSON = "person"

MAX_TEXT = 20_000  # a text box's own limit (forms.base.MAX_TEXT): more is not checked
MAX_PATTERN = 400
MAX_PLACES = 8
MAX_OPTIONAL = 3
MAX_CHOICES = 40
MAX_WORD = 40
MAX_STEPS = 200_000  # word comparisons for one text, at most (a 20,000-character text: ~40,000)
# Findings of one text, at most (then it is checked in part): each is shown with its sentence,
# and "blame blame blame…" would otherwise be thousands (seconds and megabytes per page).
MAX_HITS = 200

# The text's words: an @mention (with dots and hyphens), or letters and digits with
# apostrophes and hyphens inside ("didn't", "Carol's", "on-call", "double-checked"). Each
# repetition starts with a separator \w cannot match, so the scan is linear.
WORD = re.compile(r"@\w+(?:[.\-]\w+)*|\w+(?:['’\-]\w+)*")
# A sentence ends at . ! or ? before a space (or the end), and at a line break.
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n")
PATTERN_WORD = re.compile(r"\*|\*?[\w'\-]+\*?")


class PatternError(ValueError):
    """A rule's pattern that is not in the language: the message says why, for the admin."""


def norm(word: str) -> str:
    return word.casefold().replace("’", "'")


def normal_text(text: str) -> str:
    """For comparing texts: case folded, one kind of apostrophe, one space between words."""
    return " ".join(norm(text).split())


# --- rules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    pattern: str
    message: str
    prompt: str


# --- the pattern language ----------------------------------------------------------------------


@dataclass(frozen=True)
class Atom:
    """One word of a choice: ``exact``, ``prefix`` (``care*``), ``suffix`` (``*ed``) or
    ``any`` (``*``)."""

    how: str
    text: str = ""

    def matches(self, word: str) -> bool:
        if self.how == "exact":
            return word == self.text
        if self.how == "prefix":
            return word.startswith(self.text)
        if self.how == "suffix":
            return len(word) > len(self.text) and word.endswith(self.text)
        return True


@dataclass(frozen=True)
class Place:
    choices: tuple[Atom, ...]
    optional: bool = False


def _atom(word: str) -> Atom:
    if word == "*":
        return Atom("any")
    if not PATTERN_WORD.fullmatch(word) or len(word) > MAX_WORD:
        raise PatternError(
            f"“{word}” is not a word of the pattern language: letters, digits, apostrophes and "
            "hyphens, with * at its start or its end."
        )
    if word.startswith("*") and word.endswith("*"):
        raise PatternError(f"“{word}”: a * goes at the start or at the end of a word, not both.")
    if word.endswith("*"):
        if len(word) < 4:
            raise PatternError(f"“{word}”: a word ending in * needs at least 3 letters before it.")
        return Atom("prefix", word[:-1])
    if word.startswith("*"):
        if len(word) < 3:
            raise PatternError(f"“{word}”: a word starting with * needs at least 2 letters after.")
        return Atom("suffix", word[1:])
    return Atom("exact", word)


def compile_pattern(pattern: str) -> tuple[Place, ...]:
    """The places of a pattern, or a PatternError saying what is wrong (see the module)."""
    text = norm(pattern or "").strip()
    if not text:
        raise PatternError("The pattern is empty.")
    if len(text) > MAX_PATTERN:
        raise PatternError(f"A pattern holds at most {MAX_PATTERN} characters.")
    places = []
    for part in text.split():
        optional = part.startswith("[") and part.endswith("]") and len(part) > 2
        if optional:
            part = part[1:-1]
        if "[" in part or "]" in part:
            raise PatternError(f"“{part}”: brackets go around one whole place: [word|other].")
        words = part.split("|")
        if len(words) > MAX_CHOICES:
            raise PatternError(f"At most {MAX_CHOICES} choices in one place.")
        choices = []
        for word in words:
            if not word:
                raise PatternError(f"“{part}”: an empty choice (two | in a row?).")
            if (atom := _atom(word)) not in choices:
                choices.append(atom)
        if len(choices) > 1 and Atom("any") in choices:
            raise PatternError("* alone is a place of its own, not a choice among others.")
        places.append(Place(tuple(choices), optional))
    if len(places) > MAX_PLACES:
        raise PatternError(f"A pattern has at most {MAX_PLACES} places (words).")
    if sum(p.optional for p in places) > MAX_OPTIONAL:
        raise PatternError(f"At most {MAX_OPTIONAL} optional places.")
    first = places[0]
    if first.optional or Atom("any") in first.choices:
        raise PatternError("The first place must be a word (not * and not optional).")
    return tuple(places)


def validate_pattern(pattern: str) -> None:
    """For the model field: Django's ValidationError from a PatternError."""
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        raise ValidationError(str(exc)) from exc


# --- people ------------------------------------------------------------------------------------


def _words(text: str) -> frozenset:
    return frozenset(text.split())


# A person as the subject, besides names and mentions.
PRONOUNS = _words("he she i someone somebody whoever")
POSSESSIVES = _words("his her my your their")
PERSON_NOUNS = _words(
    """engineer engineers operator operators developer developers dev devs sre sres admin
    admins administrator administrators intern interns employee employees contractor
    contractors oncall on-call on-caller responder responders deployer reviewer
    reviewers approver author teammate teammates colleague colleagues dba dbas manager
    managers technician technicians staffer"""
)
# Words that may stand between the subject and the verb: "Bob simply forgot", "Alice had not".
BETWEEN = _words(
    """also then again simply just clearly obviously apparently completely totally still
    later initially unfortunately probably likely once really actually had has have
    already subsequently previously himself herself themselves"""
)
# A change someone made: "Carol's change broke…", "his typo caused…" name the person.
CHANGES = _words(
    """change changes commit commits config configuration deploy deployment push patch pr
    script typo command query edit migration fix hotfix rollout"""
)
# What may stand before a person's role: "the on-call engineer", "a junior developer".
QUALIFIERS = _words("on-call oncall release database new junior senior lead duty")
# Before a name, these make it a thing's name: "the Alice cluster".
DETERMINERS = _words("the a an this that these those its our")
# Never a person's name, whoever is called so.
NOT_NAMES = (
    _words(
        """the a an and or of to in on at by for it is was we they he she i you this that
        system service team alert page check deploy job build test"""
    )
    | PERSON_NOUNS
    | BETWEEN
)


def words_of(text: str) -> tuple[str, ...]:
    return tuple(norm(m.group()) for m in WORD.finditer(text))


@dataclass(frozen=True)
class People:
    """The names that make a subject a person: each as its words (("bob", "jones")), and the
    usernames distinctive enough to count in lower case ("bob.jones", "dave2")."""

    names: frozenset = frozenset()
    handles: frozenset = frozenset()
    longest: int = 1


def people(names=(), usernames=()) -> People:
    """People from full names (each also by its first and last word) and usernames."""
    found, handles = set(), set()
    for name in names:
        words = words_of(name or "")[:4]
        if not words:
            continue
        for part in {words, words[:1], words[-1:]}:
            if len(part) > 1 or (part[0] not in NOT_NAMES and len(part[0]) > 1):
                found.add(part)
    for username in usernames:
        words = words_of(username or "")[:4]
        if not words or (len(words) == 1 and (words[0] in NOT_NAMES or len(words[0]) < 2)):
            continue
        found.add(words)
        # "bob.jones", "dave2", "erin_w": nobody writes that but for the person.
        if len(words) > 1 or not words[0].isalpha():
            handles.add(words)
    longest = max((len(n) for n in found), default=1)
    return People(frozenset(found), frozenset(handles), longest)


# --- findings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One finding in a text: the rule, where (character offsets in the text), the words
    quoted, and the sentence around them."""

    rule: Rule
    start: int
    end: int
    phrase: str
    sentence: str
    sentence_start: int

    @property
    def before(self) -> str:
        return self.sentence[: self.start - self.sentence_start]

    @property
    def after(self) -> str:
        return self.sentence[self.end - self.sentence_start :]


@dataclass(frozen=True)
class Result:
    hits: tuple[Hit, ...]
    # The text was longer than MAX_TEXT, or the step budget ran out: checked in part.
    partial: bool = False


@dataclass(frozen=True)
class _Word:
    text: str
    norm: str
    start: int
    end: int


class _Budget(Exception):
    pass


class Checker:
    """The rules compiled once, for many texts. A rule whose pattern does not compile (saved
    around the admin's validation) is left out and listed in ``broken``."""

    def __init__(self, rules, people_: People | None = None):
        self.people = people_ or People()
        self.broken = []
        # The rules by the exact words their first place takes, and those whose first place
        # also takes a word by its beginning or its end (looked at for every word).
        self._exact, self._other = {}, []
        for rule in rules:
            try:
                places = compile_pattern(rule.pattern)
            except PatternError:
                self.broken.append(rule)
                continue
            entry = (rule, places)
            for atom in places[0].choices:
                if atom.how == "exact":
                    self._exact.setdefault(atom.text, []).append(entry)
            if any(atom.how != "exact" for atom in places[0].choices):
                self._other.append(entry)

    def check(self, text: str) -> Result:
        text = text or ""
        partial = len(text) > MAX_TEXT
        text = text[:MAX_TEXT]
        self._steps = 0
        hits = []
        try:
            for start, end in _sentences(text):
                hits += self._check_sentence(text, start, end)
        except _Budget:
            partial = True
        hits = _outermost(hits)
        if len(hits) > MAX_HITS:
            hits, partial = hits[:MAX_HITS], True
        return Result(hits, partial)

    # --- matching ---

    def _step(self, n=1):
        self._steps += n
        if self._steps > MAX_STEPS:
            raise _Budget

    def _check_sentence(self, text, start, end):
        sentence = text[start:end]
        lead = len(sentence) - len(sentence.lstrip())
        sentence_start = start + lead
        sentence = sentence.strip()
        words = [
            _Word(m.group(), norm(m.group()), m.start(), m.end())
            for m in WORD.finditer(text, start, end)
        ]
        found = []
        for i, word in enumerate(words):
            self._step()
            entries = self._exact.get(word.norm, [])
            if self._other:
                self._step(len(self._other))
                starting = [e for e in self._other if _starts(e[1], word.norm)]
                entries = list({id(e[0]): e for e in [*entries, *starting]}.values())
            for rule, places in entries:
                stop = self._match(places, words, i)
                if stop is None:
                    continue
                first = i
                if rule.kind == PERSON:
                    first = self._subject(words, i)
                    if first is None:
                        continue
                a, b = words[first].start, words[stop - 1].end
                found.append(Hit(rule, a, b, text[a:b], sentence, sentence_start))
        return found

    def _match(self, places, words, i) -> int | None:
        """The end (exclusive) of the longest match of the places from word i, or None."""
        memo = {}

        def at(k, j):
            if k == len(places):
                return j
            if (k, j) in memo:
                return memo[(k, j)]
            best = None
            place = places[k]
            if j < len(words):
                self._step(len(place.choices))
                if any(atom.matches(words[j].norm) for atom in place.choices):
                    best = at(k + 1, j + 1)
            if place.optional:
                end = at(k + 1, j)
                if end is not None and (best is None or end > best):
                    best = end
            memo[(k, j)] = best
            return best

        return at(0, i)

    def _subject(self, words, i) -> int | None:
        """The first word of the person right before word i (the verb), or None."""
        j, between = i - 1, 0
        while j >= 0 and words[j].norm in BETWEEN and between < 2:
            j, between = j - 1, between + 1
        if j < 0:
            return None
        word = words[j].norm
        # "his fault", "their mistake": a possessive right before is a person's.
        if word.startswith("@") or word in PRONOUNS or word in POSSESSIVES:
            return j
        if word in PERSON_NOUNS:  # with what qualifies it: "the on-call engineer"
            first = j
            while first > 0 and j - first < 2 and words[first - 1].norm in QUALIFIERS:
                first -= 1
            return first
        named = self._name_ending_at(words, j)
        if named is None:
            named = self._possessive(words, j)  # "Dave's fault"
        if named is None and word in CHANGES and j > 0:  # "Carol's change broke"
            if words[j - 1].norm in POSSESSIVES - {"their"}:  # ("their": a service's, too)
                return j - 1
            named = self._possessive(words, j - 1)
        return named

    def _name_ending_at(self, words, j, base=None) -> int | None:
        people_ = self.people
        for n in range(min(people_.longest, j + 1), 0, -1):
            span = words[j - n + 1 : j + 1]
            key = tuple(w.norm for w in span)
            if base is not None:
                key = (*key[:-1], base)
            if key not in people_.names:
                continue
            capital = span[0].text[:1].isupper()
            if not capital and key not in people_.handles:
                continue
            first = j - n + 1
            if first > 0 and words[first - 1].norm in DETERMINERS:
                continue
            return first
        return None

    def _possessive(self, words, k) -> int | None:
        """Word k as a named person's possessive ("Carol's"): where the name begins."""
        word = words[k].norm
        if word.endswith("'s") and len(word) > 3:
            base = word[:-2]
            if base in PERSON_NOUNS:  # "the operator's mistake"
                return k
            return self._name_ending_at(words, k, base=base)
        return None


def _starts(places, word) -> bool:
    return any(atom.matches(word) for atom in places[0].choices)


def _sentences(text):
    """(start, end) of each sentence of the text, in order."""
    start = 0
    for m in SENTENCE_END.finditer(text):
        if text[start : m.end()].strip():
            yield start, m.end()
        start = m.end()
    if text[start:].strip():
        yield start, len(text)


def _outermost(hits):
    """The hits in the text's order, without one that overlaps an earlier (or longer) one
    ("forgot" inside "Bob forgot" is one finding, not two)."""
    kept = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if kept and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


def fingerprint(section: str, field: str, phrase: str, sentence: str) -> str:
    """What a mark "intended" is keyed on: the place, the words flagged and their sentence
    (normalised). The same words in another sentence, or a changed sentence, are not covered."""
    key = "\x1f".join([section, field, normal_text(phrase), _sentence_key(sentence)])
    return hashlib.sha256(key.encode()).hexdigest()


@functools.lru_cache(maxsize=64)
def _sentence_key(sentence: str) -> str:
    """The sentence as a fingerprint holds it, once per sentence: every finding of a long
    sentence shares it (normalised for each, thousands of findings took seconds)."""
    return normal_text(sentence).rstrip(".!?… ")  # its final stop is not what changed
