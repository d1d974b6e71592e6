"""Finding: the matches of a query among the postmortems a person may read, best first,
and where each one matched (``snippets``: the user's text is escaped first, and only our own
``<mark>`` is added)."""

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import Case, F, Func, Q, QuerySet, Value, When
from django.utils.html import format_html, format_html_join

from postmortems.models import Postmortem, SearchDocument
from postmortems.search.index import CONFIG
from postmortems.search.query import ParsedQuery, topic_query

# Matching and ranking read the vectors of the rows they walk. Past this many matches only
# the most recent ones are ranked and counted (the page says so), which keeps a search
# nearly as fast at 50,000 documents as at 5,000 (`make bench`).
CANDIDATES = 500
# ts_rank's weights for D, C, B, A.
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]
SIMILAR_SHOWN = 5
# What a result shows; the long text fields stay in the database.
RESULT_FIELDS = ("key", "title", "incident_date", "severity", "status", "created_at", "updated_at")


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _ts_query(parsed: ParsedQuery) -> SearchQuery:
    return SearchQuery(parsed.text, search_type="websearch", config=CONFIG)


def _sqlite_match(parsed: ParsedQuery) -> Q:
    condition = Q()
    for group in parsed.groups:
        alternatives = Q()
        for term in group:
            match = Q(search_document__text__icontains=term.text)
            alternatives |= ~match if term.exclude else match
        condition &= alternatives
    return condition


def _sqlite_rank(parsed: ParsedQuery):
    """A rough relevance: a word in the key or title counts 4, in summary or root cause 2."""
    rank = Value(0)
    for word in parsed.words:
        heading = Q(key__icontains=word) | Q(title__icontains=word)
        summary = Q(executive_summary__icontains=word) | Q(root_cause_summary__icontains=word)
        rank += Case(When(heading, then=4), When(summary, then=2), default=1)
    return rank


class Found(list):
    """The ids ``find`` returns; ``capped`` when more matched than were ranked and counted."""

    capped = False


# A query that is one piece of a key ("0042", "INC-2026"): PostgreSQL's parser splits a key
# into words at its hyphens, so such a piece is also looked for in the keys themselves.
KEY_PIECE = re.compile(r"[A-Za-z0-9-]*[0-9][A-Za-z0-9-]*")


def _key_piece(parsed: ParsedQuery) -> str:
    groups = parsed.groups
    if len(groups) == 1 and len(groups[0]) == 1 and not groups[0][0].exclude:
        text = groups[0][0].text
        return text if KEY_PIECE.fullmatch(text) else ""
    return ""


def find(
    postmortems: QuerySet, parsed: ParsedQuery, *, sort: str = "relevance", filtered=False
) -> Found:
    """The ids of those of ``postmortems`` that match, best (or newest, sort="date") first.

    At most ``CANDIDATES``, the most recent matches: so ranking and counting stay bounded
    whatever the number of documents. An empty query keeps all of them (filters only).
    Three plain steps the planner does well: the newest matching ids through the date index
    or the GIN index, the ranks of just those by primary key, and a sort in Python.
    ``filtered``: other filters narrow ``postmortems`` too (see ``_through_the_index``).
    """
    if not parsed.is_empty:
        if _postgres():
            matches = Q(search_document__vector=_ts_query(parsed))
            if piece := _key_piece(parsed):
                matches |= Q(key__icontains=piece)
            postmortems = postmortems.filter(matches)
        else:
            postmortems = postmortems.filter(_sqlite_match(parsed))
    newest = postmortems.order_by("-incident_date", "-created_at").values_list("pk", flat=True)
    newest = newest[: CANDIDATES + 1]  # one more, to know whether there were more
    ids = _through_the_index(newest) if filtered and not parsed.is_empty else list(newest)
    capped = len(ids) > CANDIDATES
    ids = Found(ids[:CANDIDATES])
    ids.capped = capped
    if parsed.is_empty or sort == "date" or len(ids) < 2:
        return ids
    if _postgres():
        rank = SearchRank(F("vector"), _ts_query(parsed), weights=RANK_WEIGHTS)
        ranks = dict(
            SearchDocument.objects.filter(pk__in=ids).annotate(rank=rank).values_list("pk", "rank")
        )
        if piece := _key_piece(parsed):  # the key it is a piece of first, as a key would be
            keyed = Postmortem.objects.filter(pk__in=ids, key__icontains=piece)
            for pk in keyed.values_list("pk", flat=True):
                ranks[pk] = ranks.get(pk, 0) + 1
    else:
        ranks = dict(
            Postmortem.objects.filter(pk__in=ids)
            .annotate(rank=_sqlite_rank(parsed))
            .values_list("pk", "rank")
        )
    position = {pk: n for n, pk in enumerate(ids)}
    # A key is weight A: the document it names comes first without a special case.
    ranked = Found(sorted(ids, key=lambda pk: (-ranks.get(pk, 0), position[pk])))
    ranked.capped = capped
    return ranked


def _through_the_index(matches) -> list[int]:
    """The ids, with PostgreSQL steered to the GIN index rather than a sequential scan.

    The planner counts nothing for reading a TOASTed vector: beside a selective filter
    (SEV-1, a service…) it would rather test ``@@`` on every document's vector (~0.5 s at
    50,000) than ask the GIN index, which answers without reading one (~20 ms). The costs
    that setting adds would also switch JIT compilation on (~30 ms of compiling for a query
    of tens of milliseconds). Both live in a savepoint that is rolled back, so nothing else
    in the request sees them.
    """
    if not _postgres():
        return list(matches)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL jit = off")
        ids = list(matches)
        transaction.set_rollback(True)
    return ids


def load(ids) -> list[Postmortem]:
    """These postmortems in this order, with what a result shows (not their long texts)."""
    found = (
        Postmortem.objects.filter(pk__in=ids)
        .only(*RESULT_FIELDS)
        .prefetch_related("authors", "tags")
        .in_bulk()
    )
    return [found[pk] for pk in ids if pk in found]


def similar_incidents(postmortem, user, *, limit=SIMILAR_SHOWN) -> list[Postmortem]:
    """Other postmortems the person may read that share the most words with this one's
    title, root cause and services, leaving out those already linked as related."""
    parsed = topic_query(postmortem)
    if parsed.is_empty:
        return []
    related = [p.pk for p in postmortem.related_incidents.all()]
    others = Postmortem.objects.visible_to(user).exclude(pk__in=[postmortem.pk, *related])
    return load(find(others, parsed)[:limit])


def similar_context(postmortem, user) -> dict:
    """What the document page's "Similar incidents" box shows."""
    return {
        "similar": similar_incidents(postmortem, user),
        "similar_query": topic_query(postmortem).text,
    }


# ---------------------------------------------------------------------------------------------
# Snippets: where each result matched.

START, STOP = "\ue000", "\ue001"  # private-use characters: ts_headline's markers
# ts_headline drops whatever looks like an HTML tag; these stand in for < and > so that a
# "<script>" someone typed is shown (escaped) as they typed it.
LT_GT, STAND_INS = "<>", "\ue002\ue003"
# The text starts with the key and the title, which a result shows as its heading already.
HEADING = r"^[^\n]*\n[^\n]*\n"


def snippets(pks, parsed: ParsedQuery) -> dict:
    """{pk: safe HTML excerpt with the matches in <mark>} for these postmortems."""
    if not pks or parsed.is_empty:
        return {}
    documents = SearchDocument.objects.filter(pk__in=pks)
    if _postgres():
        body = Func(F("text"), Value(HEADING), Value(""), function="regexp_replace")
        headline = SearchHeadline(
            Func(body, Value(LT_GT), Value(STAND_INS), function="translate"),
            _ts_query(parsed),
            config=CONFIG,
            start_sel=START,
            stop_sel=STOP,
            max_words=30,
            min_words=12,
            max_fragments=2,
            fragment_delimiter=" … ",
        )
        rows = documents.annotate(headline=headline).values_list("pk", "headline")
        back = str.maketrans(STAND_INS, LT_GT)
        return {pk: _highlighted(_headline_pieces(text.translate(back))) for pk, text in rows}
    rows = documents.values_list("pk", "text")
    return {
        pk: _highlighted(_excerpt_pieces(re.sub(HEADING, "", text), parsed.words))
        for pk, text in rows
    }


def _highlighted(pieces):
    """[(text, is_match)] → HTML: every text escaped, matches wrapped in our <mark>."""
    merged = []
    for text, hit in pieces:
        if not text:
            continue
        if merged and merged[-1][1] == hit:
            merged[-1] = (merged[-1][0] + text, hit)
        elif hit and len(merged) > 1 and merged[-2][1] and not merged[-1][0].strip():
            # Only a space between two matches: "connection pool" is one highlight.
            space = merged.pop()[0]
            merged[-1] = (merged[-1][0] + space + text, True)
        else:
            merged.append((text, hit))
    return format_html_join(
        "", "{}", ((format_html("<mark>{}</mark>", text) if hit else text,) for text, hit in merged)
    )


def _headline_pieces(headline: str):
    parts = " ".join(headline.split()).split(START)
    pieces = [(parts[0].replace(STOP, ""), False)]
    for part in parts[1:]:
        hit, _, rest = part.partition(STOP)
        pieces += [(hit, True), (rest.replace(STOP, ""), False)]
    return pieces


def _excerpt_pieces(text: str, words, width=240, before=70):
    text = " ".join(text.split())
    pattern = re.compile(
        "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)), re.IGNORECASE
    )
    first = pattern.search(text)
    start = max(0, first.start() - before) if first else 0
    if start:
        start = text.find(" ", start, first.start()) + 1 or start
    end = min(len(text), start + width)
    if end < len(text):
        end = text.rfind(" ", start, end) if " " in text[start:end] else end
    window = text[start:end]
    pieces, position = [("… " if start else "", False)], 0
    for match in pattern.finditer(window):
        pieces += [(window[position : match.start()], False), (match.group(), True)]
        position = match.end()
    pieces.append((window[position:] + (" …" if end < len(text) else ""), False))
    return pieces
