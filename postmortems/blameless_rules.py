"""The rules the blameless-language check starts with (``postmortems.blameless``): the data
migration writes them as ``BlamelessRule`` rows, administrators change them in the admin, and
the tests use them as they are here.

Phrases are flagged wherever they appear; a person rule's verbs only after a person (a name of
the document's people, an @mention, "he", "she", "someone", "the engineer"…), so that "the
alert failed to fire" and "the health check should have caught it" pass.
"""

from postmortems.blameless import PERSON, PHRASE, Rule

ASK_WHY = "Ask: why was this error possible? What in the system let it happen?"
SYSTEM = "Describe what the system allowed, not who slipped."
HINDSIGHT = (
    "Hindsight makes it look obvious. Ask: what did they know then, and what would have made "
    "the safer choice the easy one?"
)

# What a person did not do ("didn't check", "never tested"): the second place of two rules.
NOT_DONE = (
    "check*|test*|verify|verified|follow*|read|run|ran|notice*|look|looked|review*|escalate*|"
    "update*|respond*|page|paged|monitor*|wait|waited|confirm*|validate*|ask|asked|tell|told|"
    "roll|rolled|revert*|communicat*|consult*|double-check*|think|thought|care|cared|pay|paid"
)

# The rules a new installation starts with (the data migration writes them; administrators
# change them in the admin). Tests use these.
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        "Human error",
        PHRASE,
        "human|operator|pilot error|errors|mistake|mistakes",
        "“Human error” names a person as the cause and ends the analysis where it should begin.",
        ASK_WHY,
    ),
    Rule(
        "Judging a person",
        PHRASE,
        "careless*|negligen*|sloppy|sloppiness|incompeten*|lazy|laziness|reckless*|"
        "irresponsib*|stupid*|idiot*|blindly|inexcusabl*",
        "A judgement of someone's care or skill.",
        SYSTEM,
    ),
    Rule(
        "Blame",
        PHRASE,
        "blame|blamed|blames|blaming",
        "Blame points at someone, not at what can be improved.",
        SYSTEM,
    ),
    Rule(
        "Fault of",
        PHRASE,
        "fault of",
        "“The fault of” looks for someone to blame.",
        SYSTEM,
    ),
    Rule(
        "Should have known better",
        PHRASE,
        "should|should've|shouldn't|ought [to] [have] known better",
        "Hindsight: it reproaches someone for what is clear only afterwards.",
        HINDSIGHT,
    ),
    Rule(
        "Obviously",
        PHRASE,
        "obviously",
        "“Obviously” implies anyone should have seen it; it was not obvious at the time.",
        HINDSIGHT,
    ),
    Rule(
        "Simply had to",
        PHRASE,
        "simply|just|merely had to",
        "“Simply had to” makes the safe action sound trivial and the person careless.",
        "Ask: what made the safe action hard, or easy to skip?",
    ),
    Rule(
        "All they had to do",
        PHRASE,
        "all * had to do",
        "“All they had to do” makes the safe action sound trivial and the person careless.",
        "Ask: what made the safe action hard, or easy to skip?",
    ),
    Rule(
        "Didn't bother",
        PHRASE,
        "didn't|did|couldn't|could|never [not|be] [be] bother|bothered",
        "“Didn't bother” assumes indifference.",
        "Ask: what competed for their attention, and what would have made the step automatic?",
    ),
    Rule(
        "Forgot",
        PHRASE,
        "forgot|forgotten|forgetting",
        "Forgetting is a person's slip; a system can make the step impossible to forget.",
        "Ask: why did the step depend on someone remembering it? Could a check or automation "
        "do it?",
    ),
    Rule(
        "Attention",
        PHRASE,
        "not|without|wasn't|weren't paying|pay attention|care",
        "It blames a person's attention.",
        "Ask: what made the signal easy to miss?",
    ),
    Rule(
        "Lapse",
        PHRASE,
        "lapse|lack|lapses in|of attention|judgment|judgement|care|concentration",
        "It blames a person's attention or judgement.",
        "Ask: what made the signal easy to miss, or the safe choice hard?",
    ),
    Rule(
        "Poor judgement",
        PHRASE,
        "poor|bad judgment|judgement",
        "It judges a person's decision with hindsight.",
        HINDSIGHT,
    ),
    Rule(
        "Blaming idioms",
        PHRASE,
        "dropped|drops the ball",
        "An idiom that blames a person.",
        SYSTEM,
    ),
    Rule(
        "Asleep at the wheel",
        PHRASE,
        "asleep at the wheel|switch",
        "An idiom that blames a person.",
        SYSTEM,
    ),
    Rule(
        "Rookie mistake",
        PHRASE,
        "rookie|beginner's|amateur|silly|dumb mistake|mistakes|error|errors|move",
        "It belittles the person who made the change.",
        SYSTEM,
    ),
    Rule(
        "No excuse",
        PHRASE,
        "no excuse",
        "It passes judgement instead of explaining.",
        ASK_WHY,
    ),
    Rule(
        "Fat-fingered",
        PHRASE,
        "fat-finger*",
        "It blames a person's slip at the keyboard.",
        "Ask: why could one mistyped value reach production? What would have caught it?",
    ),
    Rule(
        "Alerts ignored",
        PHRASE,
        "alert|alerts|alarm|alarms|page|pages|warning|warnings was|were|got|went ignored",
        "“Ignored” says someone chose not to act.",
        "Ask: why did this signal not stand out? How many others were there?",
    ),
    Rule(
        "A person failed",
        PERSON,
        "failed|fails|fail to",
        "A person as the subject of a failure.",
        SYSTEM,
    ),
    Rule(
        "A person missed it",
        PERSON,
        "neglected|neglect|neglects|overlooked|ignored|ignores|missed|skipped|disregarded|"
        "forgot|forgets|forgotten",
        "A person as the subject of a failure.",
        "Ask: why was this easy to miss? What would have made it stand out?",
    ),
    Rule(
        "A person broke it",
        PERSON,
        "broke|caused|botched|messed|screwed|mistyped|misconfigured|misread|mishandled|"
        "fumbled|accidentally|mistakenly|carelessly|wrongly|inadvertently|blindly",
        "A person named as the cause.",
        SYSTEM,
    ),
    Rule(
        "A person didn't",
        PERSON,
        f"didn't|never|hadn't {NOT_DONE}",
        "A person as the subject of something not done.",
        "Ask: what would have made that step happen every time, whoever was on call?",
    ),
    Rule(
        "A person did not",
        PERSON,
        f"did|had not {NOT_DONE}",
        "A person as the subject of something not done.",
        "Ask: what would have made that step happen every time, whoever was on call?",
    ),
    Rule(
        "Hindsight about a person",
        PERSON,
        "should|shouldn't|ought [not] [to] have *ed|*en|*wn|*ne|been|run|caught|read|kept|left|"
        "sent|put|made|built|told|found|let|set|shut|hit|brought|thought|understood|stopped",
        "Hindsight about what a person should have done.",
        HINDSIGHT,
    ),
    Rule(
        "Hindsight about a person (short)",
        PERSON,
        "should've|shouldn't've|could've *ed|*en|*wn|*ne|been|run|caught|read|kept|left|sent|"
        "put|made|built|told|found|let|set|shut|hit|brought|thought|understood|stopped",
        "Hindsight about what a person should have done.",
        HINDSIGHT,
    ),
    Rule(
        "A person's fault",
        PERSON,
        "fault|mistake|mistakes|blunder|blunders|screw-up|slip|slip-up|oversight|negligence",
        "It makes a person's slip the cause.",
        ASK_WHY,
    ),
)
