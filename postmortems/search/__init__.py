"""Search over every section of every postmortem a person may read.

- ``index``: the text (and PostgreSQL's weighted vector) of each document, kept current.
- ``query``: reading what someone typed ("a phrase", -exclude, or), bounded.
- ``results``: the matches, ranked, and where each one matched.

The search page, the list page's "Find" box and "Similar incidents" all go through
``results.find``. (``CANDIDATES`` is read where it lives, ``search.results.CANDIDATES``,
so that a test can lower it.)
"""

from postmortems.search.index import reindex, reindex_all
from postmortems.search.query import MAX_QUERY_LENGTH, MAX_TERMS, ParsedQuery, Term, parse
from postmortems.search.results import find, load, similar_context, snippets

__all__ = [
    "MAX_QUERY_LENGTH",
    "MAX_TERMS",
    "ParsedQuery",
    "Term",
    "find",
    "load",
    "parse",
    "reindex",
    "reindex_all",
    "similar_context",
    "snippets",
]
