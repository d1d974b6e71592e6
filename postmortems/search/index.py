"""The search index: one ``SearchDocument`` per postmortem, kept current.

Each postmortem's text, and on PostgreSQL the weighted tsvector of it (key and title A,
summary and root cause B, the rest C, as each section declares) under a GIN index.
``reindex`` builds both in SQL with one INSERT … SELECT … ON CONFLICT statement, for one
document or for fifty thousand. Signal receivers (``connect``, from the app's ``ready``)
queue a document when it, one of its rows or its tags change; the queue is flushed when the
transaction commits, so one edit is one reindex however many rows it touched. Reindexing
writes only the search table: never ``revision`` (signatures depend on it) nor ``updated_at``.
"""

import threading

from django.apps import apps as global_apps
from django.db import connection, connections, transaction
from django.db.models import Max, Min, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save

from postmortems.models import Postmortem, Tag
from postmortems.sections import ROWS as TABLES
from postmortems.sections import search_weights

CONFIG = "english"


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


def connect() -> None:
    post_save.connect(_postmortem_saved, sender=Postmortem, dispatch_uid="search-postmortem")
    for model in (rows.model for rows in TABLES):
        post_save.connect(_row_saved, sender=model, dispatch_uid=f"search-save-{model.__name__}")
        post_delete.connect(_row_deleted, sender=model, dispatch_uid=f"search-del-{model.__name__}")
    m2m_changed.connect(_tags_changed, sender=Postmortem.tags.through, dispatch_uid="search-tags")
    post_save.connect(_tag_saved, sender=Tag, dispatch_uid="search-tag")
