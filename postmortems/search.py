"""Search over every section of every postmortem a person may read.

- Each postmortem has a ``SearchDocument``: all its text, and on PostgreSQL the weighted
  tsvector of it (key and title A, summary and root cause B, the rest C) under a GIN index.
  ``reindex`` builds both in SQL with one INSERT … SELECT … ON CONFLICT statement, for one
  document or for fifty thousand.
- Signal receivers queue a document when it, one of its rows or its tags change; the queue is
  flushed when the transaction commits, so one edit is one reindex however many rows it
  touched. Reindexing writes only the search table: never ``revision`` (signatures depend on
  it) nor ``updated_at``.
- ``parse`` reads the web-style syntax ("a phrase", -exclude, or) for messages and for the
  SQLite matcher; PostgreSQL reads the same text with ``websearch_to_tsquery``.
- ``find`` ranks the matches, ``snippets`` shows where each matched: the user's text is
  escaped first, and only our own ``<mark>`` is added.
"""

import re
import threading
from dataclasses import dataclass, field

from django.apps import apps as global_apps
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection, connections, transaction
from django.db.models import Case, F, Func, Max, Min, Q, QuerySet, Value, When
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.html import format_html, format_html_join

from postmortems.models import Postmortem, SearchDocument, Tag
from postmortems.sections import ROWS as TABLES
from postmortems.sections import search_weights

CONFIG = "english"
# A longer query is cut here (at a word), with a message saying so.
MAX_QUERY_LENGTH = 500
# …and only this many terms of it are used (SQLite's parser has a depth limit).
MAX_TERMS = 32
# Matching and ranking read the vectors of the rows they walk. Past this many matches only
# the most recent ones are ranked and counted (the page says so), which keeps a search
# nearly as fast at 50,000 documents as at 5,000 (`make bench`).
CANDIDATES = 500
# ts_rank's weights for D, C, B, A.
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]
SIMILAR_SHOWN = 5
# What a result shows; the long text fields stay in the database.
RESULT_FIELDS = ("key", "title", "incident_date", "severity", "status", "created_at", "updated_at")

# ---------------------------------------------------------------------------------------------
# What is searchable, and how much a match there counts: as each section declares it (the
# key counts most too; the services, a many-to-many, are joined in as weight C).

_WEIGHTS = {name: weight for name, weight in search_weights().items() if name != "tags"}
WEIGHT_A = ("key", *(name for name, weight in _WEIGHTS.items() if weight == "A"))
WEIGHT_B = tuple(name for name, weight in _WEIGHTS.items() if weight == "B")
WEIGHT_C = tuple(name for name, weight in _WEIGHTS.items() if weight == "C")
# The document's tables, all weight C: model name and the text columns of a row.
ROWS = {rows.model.__name__: rows.search_fields for rows in TABLES if rows.search_fields}


def _reindex_sql(where: str, *, db, apps=global_apps) -> str:
    """INSERT … SELECT the text (and vector) of the postmortems ``p`` matching ``where``."""
    quote, vendor = db.ops.quote_name, db.vendor
    newline = "chr(10)" if vendor == "postgresql" else "char(10)"
    postmortem = apps.get_model("postmortems", "Postmortem")

    def col(model, name, alias):
        return f"{alias}.{quote(model._meta.get_field(name).column)}"

    def lines(exprs):
        return f" || {newline} || ".join(f"COALESCE({e}, '')" for e in exprs)

    def aggregate(expr, from_sql, postmortem_column, order):
        if vendor == "postgresql":
            agg = f"string_agg({expr}, {newline} ORDER BY {order})"
        else:
            agg = f"group_concat({expr}, {newline})"
        return f"(SELECT {agg} FROM {from_sql} WHERE {postmortem_column} = p.{quote('id')})"

    rows = []
    for name, columns in ROWS.items():
        model = apps.get_model("postmortems", name)
        text = " || ' ' || ".join(f"COALESCE({col(model, c, 'r')}, '')" for c in columns)
        table = f"{quote(model._meta.db_table)} r"
        rows.append(aggregate(text, table, col(model, "postmortem", "r"), f"r.{quote('id')}"))
    tag = apps.get_model("postmortems", "Tag")
    through = postmortem._meta.get_field("tags").remote_field.through
    rows.append(
        aggregate(
            col(tag, "name", "t"),
            f"{quote(tag._meta.db_table)} t JOIN {quote(through._meta.db_table)} pt"
            f" ON {col(through, 'tag', 'pt')} = t.{quote('id')}",
            col(through, "postmortem", "pt"),
            col(tag, "name", "t"),
        )
    )
    a = lines(col(postmortem, name, "p") for name in WEIGHT_A)
    b = lines(col(postmortem, name, "p") for name in WEIGHT_B)
    c = lines([*(col(postmortem, name, "p") for name in WEIGHT_C), *rows])
    if vendor == "postgresql":
        vector = " || ".join(
            f"setweight(to_tsvector('{CONFIG}', {part}), '{part.upper()}')" for part in "abc"
        )
    else:
        vector = "NULL"
    search = apps.get_model("postmortems", "SearchDocument")
    pk = quote(search._meta.pk.column)
    # "WHERE true" lets SQLite parse ON CONFLICT after INSERT … SELECT.
    return (
        f"INSERT INTO {quote(search._meta.db_table)} ({pk}, {quote('text')}, {quote('vector')}) "
        f"SELECT id, a || {newline} || b || {newline} || c, {vector} FROM ("
        f"SELECT p.{quote('id')} AS id, {a} AS a, {b} AS b, {c} AS c "
        f"FROM {quote(postmortem._meta.db_table)} p WHERE {where}) parts WHERE true "
        f"ON CONFLICT ({pk}) DO UPDATE SET {quote('text')} = excluded.{quote('text')}, "
        f"{quote('vector')} = excluded.{quote('vector')}"
    )


def reindex(pks) -> None:
    """Rebuild the search text of these postmortems (ids of deleted ones are skipped)."""
    pks = sorted({int(pk) for pk in pks})
    with connection.cursor() as cursor:
        for start in range(0, len(pks), 500):
            chunk = pks[start : start + 500]
            where = f"p.{connection.ops.quote_name('id')} IN ({', '.join(['%s'] * len(chunk))})"
            cursor.execute(_reindex_sql(where, db=connection), chunk)


def reindex_all(*, batch_size=5000, apps=global_apps, using="default", progress=None) -> int:
    """Rebuild every postmortem's search text, set-based, ``batch_size`` documents a statement."""
    db = connections[using]
    model = apps.get_model("postmortems", "Postmortem")
    bounds = model.objects.using(using).aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return 0
    id_column = f"p.{db.ops.quote_name('id')}"
    sql = _reindex_sql(f"{id_column} > %s AND {id_column} <= %s", db=db, apps=apps)
    with db.cursor() as cursor:
        for low in range(bounds["low"] - 1, bounds["high"], batch_size):
            cursor.execute(sql, [low, low + batch_size])
            if progress:
                progress(min(low + batch_size, bounds["high"]) - bounds["low"] + 1)
    return model.objects.using(using).count()


# ---------------------------------------------------------------------------------------------
# Keeping it current: queue on every change, reindex once at commit.

_queue = threading.local()


def schedule(*pks) -> None:
    """Reindex these postmortems when the current transaction commits (now, outside one)."""
    pending = getattr(_queue, "pks", None)
    if pending is None:
        pending = _queue.pks = set()
    pending.update(pk for pk in pks if pk is not None)
    # One callback per change is cheap; the first to run empties the queue for the rest.
    transaction.on_commit(_flush, robust=True)


def _flush() -> None:
    pending = getattr(_queue, "pks", None)
    if pending:
        pks = list(pending)
        pending.clear()
        reindex(pks)


def _touches(update_fields, indexed) -> bool:
    return update_fields is None or bool(set(update_fields) & set(indexed))


def _postmortem_saved(sender, instance, created, update_fields, **kwargs):
    # Workflow saves (status, dates, revisions) change no searchable text.
    if created or _touches(update_fields, (*WEIGHT_A, *WEIGHT_B, *WEIGHT_C)):
        schedule(instance.pk)


def _row_saved(sender, instance, update_fields, **kwargs):
    # An action item's status alone is not searchable (the open-items filter reads it live).
    if _touches(update_fields, (*ROWS.get(sender.__name__, ()), "postmortem")):
        schedule(instance.postmortem_id)


def _row_deleted(sender, instance, origin=None, **kwargs):
    deleting_the_document = isinstance(origin, Postmortem) or (
        isinstance(origin, QuerySet) and origin.model is Postmortem
    )
    if not deleting_the_document:
        schedule(instance.postmortem_id)


def _tags_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not reverse:
        if action in ("post_add", "post_remove", "post_clear"):
            schedule(instance.pk)
    elif action == "pre_clear":
        schedule(*instance.postmortems.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove"):
        schedule(*pk_set)


def _tag_saved(sender, instance, created, **kwargs):
    if not created:
        schedule(*instance.postmortems.values_list("pk", flat=True))


post_save.connect(_postmortem_saved, sender=Postmortem, dispatch_uid="search-postmortem")
for _model in (rows.model for rows in TABLES):
    post_save.connect(_row_saved, sender=_model, dispatch_uid=f"search-save-{_model.__name__}")
    post_delete.connect(_row_deleted, sender=_model, dispatch_uid=f"search-del-{_model.__name__}")
m2m_changed.connect(_tags_changed, sender=Postmortem.tags.through, dispatch_uid="search-tags")
post_save.connect(_tag_saved, sender=Tag, dispatch_uid="search-tag")


# ---------------------------------------------------------------------------------------------
# Reading a query.

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


# ---------------------------------------------------------------------------------------------
# Finding.


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


def find(
    postmortems: QuerySet, parsed: ParsedQuery, *, sort: str = "relevance", filtered=False
) -> list[int]:
    """The ids of those of ``postmortems`` that match, best (or newest, sort="date") first.

    At most ``CANDIDATES``, the most recent matches: so ranking and counting stay bounded
    whatever the number of documents. An empty query keeps all of them (filters only).
    Three plain steps the planner does well: the newest matching ids through the date index
    or the GIN index, the ranks of just those by primary key, and a sort in Python.
    ``filtered``: other filters narrow ``postmortems`` too (see ``_through_the_index``).
    """
    if not parsed.is_empty:
        if _postgres():
            postmortems = postmortems.filter(search_document__vector=_ts_query(parsed))
        else:
            postmortems = postmortems.filter(_sqlite_match(parsed))
    newest = postmortems.order_by("-incident_date", "-created_at").values_list("pk", flat=True)
    newest = newest[:CANDIDATES]
    ids = _through_the_index(newest) if filtered and not parsed.is_empty else list(newest)
    if parsed.is_empty or sort == "date" or len(ids) < 2:
        return ids
    if _postgres():
        rank = SearchRank(F("vector"), _ts_query(parsed), weights=RANK_WEIGHTS)
        ranks = dict(
            SearchDocument.objects.filter(pk__in=ids).annotate(rank=rank).values_list("pk", "rank")
        )
    else:
        ranks = dict(
            Postmortem.objects.filter(pk__in=ids)
            .annotate(rank=_sqlite_rank(parsed))
            .values_list("pk", "rank")
        )
    position = {pk: n for n, pk in enumerate(ids)}
    # A key is weight A: the document it names comes first without a special case.
    return sorted(ids, key=lambda pk: (-ranks.get(pk, 0), position[pk]))


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
