"""The blameless-language check's engine (postmortems.blameless): what it flags and what it
leaves, the pattern language an administrator writes, its bounds, and how it does on a
labelled set of sentences (tests/postmortems/blameless_sentences.py)."""

import time

import pytest

from postmortems import blameless
from postmortems.blameless import Checker, PatternError, Rule, compile_pattern, people
from postmortems.blameless_rules import DEFAULT_RULES
from tests.postmortems import blameless_sentences as labelled

DONE_WHEN = "The outage was human error: Bob forgot to run the check and should have known better"

PEOPLE = people(labelled.NAMES, labelled.USERNAMES)


def phrases(text, rules=DEFAULT_RULES, people_=PEOPLE):
    return [hit.phrase for hit in Checker(rules, people_).check(text).hits]


def test_it_flags_each_phrase_of_the_done_when_sentence_where_it_is():
    hits = Checker(DEFAULT_RULES, PEOPLE).check(DONE_WHEN).hits
    assert [h.phrase for h in hits] == ["human error", "Bob forgot", "should have known better"]
    assert [h.rule.name for h in hits] == [
        "Human error",
        "A person missed it",
        "Should have known better",
    ]
    for hit in hits:
        assert DONE_WHEN[hit.start : hit.end] == hit.phrase
        assert hit.sentence == DONE_WHEN
        assert hit.before + hit.phrase + hit.after == DONE_WHEN
        assert hit.rule.prompt


@pytest.mark.parametrize(
    "text",
    [
        "The alert failed to fire.",
        "We should have a runbook for this.",
        "The deploy failed to complete.",
        "The health check should have caught it.",
        "The postmortem is blameless.",
        "Carol failed over the database to the replica at 14:40.",
        "Alice rolled back the deployment at 14:52 UTC.",
    ],
)
def test_it_leaves_a_system_as_the_subject_and_neutral_accounts(text):
    assert phrases(text) == []


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Alice broke the checkout flow.", "Alice broke"),
        ("@carol didn't page the secondary.", "@carol didn't page"),
        ("She failed to escalate.", "She failed to"),
        ("The on-call engineer failed to acknowledge the page.", "on-call engineer failed to"),
        ("Bob Jones accidentally deleted the bucket.", "Bob Jones accidentally"),
        ("Carol's change broke the login page.", "Carol's change broke"),
        ("It was Dave's fault.", "Dave's fault"),
        ("priya.raman skipped the canary.", "priya.raman skipped"),
        ("Dave simply forgot.", "Dave simply forgot"),
        ("Dave should have tested it first.", "Dave should have tested"),
    ],
)
def test_it_flags_a_person_as_the_subject_of_a_failure(text, flagged):
    assert phrases(text) == [flagged]


def test_a_name_is_a_persons_only_when_written_as_one():
    # "bob" in lower case could be anything; "the Alice cluster" is a thing's name.
    assert phrases("bob skipped the canary.") == []
    assert phrases("The Alice cluster skipped two runs.") == []
    assert phrases("Zed skipped the canary.") == []  # not one of the document's people
    assert phrases("Zed skipped the canary.", people_=people(["Zed Shaw"])) == ["Zed skipped"]
    # An @mention is a person whoever it names.
    assert phrases("@zed skipped the canary.") == ["@zed skipped"]


def test_words_match_whole_never_inside_another_word():
    assert phrases("Blameless reviews help.") == []
    assert phrases("Nobody is to blame.") == ["blame"]
    assert phrases("A human-error budget.") == []  # one hyphenated word, not the phrase


def test_the_same_words_in_another_sentence_get_another_fingerprint():
    one = blameless.fingerprint("timeline", "timeline/1/description", "Bob forgot", "Bob forgot.")
    again = blameless.fingerprint(
        "timeline", "timeline/1/description", "bob  forgot", "BOB forgot."
    )
    other = blameless.fingerprint(
        "timeline", "timeline/1/description", "Bob forgot", "Bob forgot it."
    )
    assert one == again  # case and spaces do not matter
    assert one != other


# --- the pattern language ----------------------------------------------------------------------


def rule(pattern, kind=blameless.PHRASE):
    return Rule("test", kind, pattern, "message", "prompt")


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ("dropped the ball", "Bob dropped the ball.", ["dropped the ball"]),
        ("careless*", "Carelessness everywhere.", ["Carelessness"]),
        ("should have *ed", "It should have waited.", ["should have waited"]),
        ("all * had to do", "All she had to do was wait.", ["All she had to do"]),
        ("did [not] bother", "He did bother. He did not bother.", ["did bother", "did not bother"]),
        ("simply|just had to", "We just had to wait.", ["just had to"]),
        ("fat-finger*", "Someone fat-fingered it.", ["fat-fingered"]),
        ("didn't", "He didn’t.", ["didn’t"]),  # a typographic apostrophe is the same
    ],
)
def test_the_pattern_language(pattern, text, found):
    assert phrases(text, rules=[rule(pattern)]) == found


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("", "empty"),
        ("(a+)+$", "not a word"),
        (".*", "not a word"),
        ("a{1,100}", "not a word"),
        ("* failed", "first place"),
        ("[maybe] failed", "first place"),
        ("ab*", "3 letters"),
        ("*e", "2 letters"),
        ("*care*", "start or at the end"),
        ("a b c d e f g h i", "8 places"),
        ("a [b] [c] [d] [e]", "3 optional"),
        ("a |b", "empty choice"),
        ("a b|*", "place of its own"),
        ("x" * 401, "400 characters"),
        ("a [b c]", "brackets"),
    ],
)
def test_a_pattern_outside_the_language_is_refused_with_the_reason(pattern, why):
    with pytest.raises(PatternError, match=why):
        compile_pattern(pattern)


def test_a_rule_that_does_not_compile_is_left_out_not_fatal():
    checker = Checker([rule("(a+)+"), rule("forgot")], PEOPLE)
    assert [r.pattern for r in checker.broken] == ["(a+)+"]
    assert [h.phrase for h in checker.check("Bob forgot.").hits] == ["forgot"]


def test_every_default_rule_compiles():
    for default in DEFAULT_RULES:
        compile_pattern(default.pattern)
    assert len({r.name for r in DEFAULT_RULES}) == len(DEFAULT_RULES)


# --- bounds ------------------------------------------------------------------------------------


def test_a_long_text_is_checked_fast():
    text = " ".join(t for t, _ in labelled.SENTENCES)
    text = (text * 10)[: blameless.MAX_TEXT]
    checker = Checker(DEFAULT_RULES, PEOPLE)
    started = time.process_time()
    result = checker.check(text)
    assert time.process_time() - started < 0.5
    assert not result.partial and len(result.hits) > 100


def test_the_worst_rules_an_administrator_could_write_stop_at_the_budget():
    worst = (
        "*aa|*ee|*ia [*aa|*ee|aaa*|eee*|*aaa|*eee] [*aa|*ee|aaa*|eee*|*aaa|*eee] "
        "[*aa|*ee|aaa*|eee*] * * * *"
    )
    checker = Checker([rule(worst, kind) for kind in ("phrase", "person") for _ in range(50)])
    started = time.process_time()
    result = checker.check(("aaaa eeee " * 3000)[: blameless.MAX_TEXT])
    assert time.process_time() - started < 2
    assert result.partial


def test_fingerprinting_every_finding_of_one_long_sentence_is_not_quadratic():
    # One 20,000-character sentence with thousands of findings: each finding's fingerprint
    # must not normalise the whole sentence again (seconds per text, on every page view).
    sentence = ("blame " * 4000)[: blameless.MAX_TEXT].strip()
    started = time.process_time()
    keys = {blameless.fingerprint("why", "f", "blame", sentence) for _ in range(4000)}
    assert time.process_time() - started < 0.1
    assert len(keys) == 1


def test_a_text_of_thousands_of_findings_is_checked_in_part():
    # Each finding is shown with its sentence: thousands made a page of megabytes.
    result = Checker(DEFAULT_RULES, PEOPLE).check(("blame " * 4000)[: blameless.MAX_TEXT])
    assert len(result.hits) == blameless.MAX_HITS and result.partial


def test_a_text_past_the_limit_is_checked_in_part():
    result = Checker(DEFAULT_RULES, PEOPLE).check("x " * blameless.MAX_TEXT + "Bob forgot.")
    assert result.partial and result.hits == []


# --- measured on the labelled set --------------------------------------------------------------


def measure(sentences):
    checker = Checker(DEFAULT_RULES, PEOPLE)
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for text, blameful in sentences:
        flagged = bool(checker.check(text).hits)
        counts[("t" if flagged == blameful else "f") + ("p" if flagged else "n")] += 1
    precision = counts["tp"] / (counts["tp"] + counts["fp"])
    recall = counts["tp"] / (counts["tp"] + counts["fn"])
    return precision, recall, counts


def test_the_labelled_set_is_large_and_balanced():
    blameful = sum(1 for _, b in labelled.SENTENCES if b)
    assert len(labelled.SENTENCES) >= 200
    assert blameful == len(labelled.SENTENCES) - blameful
    assert len({t for t, _ in labelled.SENTENCES}) == len(labelled.SENTENCES)


def test_precision_and_recall_on_every_labelled_sentence():
    # Measured: 204 sentences, precision 1.00 (89 of 89 flagged), recall 0.87 (89 of 102).
    precision, recall, counts = measure(labelled.SENTENCES)
    assert precision >= 0.9, counts
    assert recall >= 0.85, counts


def test_precision_and_recall_on_the_sentences_the_rules_were_not_tuned_on():
    # Measured: 60 sentences, precision 1.00, recall 0.80 (0.73 before two general fixes:
    # hyphenated words as one word, a role's possessive as a person's).
    precision, recall, counts = measure(labelled.HELD_OUT)
    assert precision >= 0.9, counts
    assert recall >= 0.75, counts
