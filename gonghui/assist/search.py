"""The library's full-text index behind one interface, on PostgreSQL and SQLite alike.

A document (a craftsman, a library outcome, a clinic answer) is indexed as one ``SearchEntry``
row holding its two token views (``gonghui.core.text.tokenise``: jieba words and character
bigrams) as space-separated tokens. The database only *retrieves* candidates: PostgreSQL with
``to_tsquery('simple', …)`` over the GIN expression indexes and ``ts_rank_cd``; SQLite with an
FTS5 ``MATCH`` restricted to one column and ``bm25()`` (see migration 0002). Both answer the
same shape — ``[(object_id, score)]``, best first, score positive, ties by object id — and the
matching service re-ranks the candidates with the engine, so final rankings do not depend on
the backend.

Queries use OR semantics (any term may match); every token is quoted, so no user text is ever
read as query syntax.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

from gonghui.assist.models import SearchEntry, SearchTerm
from gonghui.core.text.tokenise import TokenViews, analyse

VIEWS = ("words", "bigrams")
# Distinct terms sent to the database per query: a 2,000-character demand has at most ~2,000
# bigrams; beyond a few hundred distinct terms recall does not change, the query cost does.
MAX_QUERY_TERMS = 400
BATCH = 500
# Selective retrieval: a term held by more than this share of the documents (and more than
# SELECTIVE_MIN_DF of them) is left to the re-ranker, not sent to the database.
SELECTIVE_SHARE = 0.05
SELECTIVE_MIN_DF = 50
MAX_SELECTIVE_TERMS = 24
# Rows the database may have to score per view and query (sum of the chosen terms' df):
# beyond it the rarest terms already found the candidates worth re-ranking.
MAX_POSTINGS = 20_000
TOTAL = ("", "")  # (view, term) of the row counting a kind's documents


def views_of(text: str) -> TokenViews:
    """Both token views of a document's searchable text."""
    return analyse(text)


def stored_views(entry: SearchEntry) -> TokenViews:
    """The token views kept in an index row, exactly as they were indexed."""
    return TokenViews(words=tuple(entry.words.split()), bigrams=tuple(entry.bigrams.split()))


def index_documents(kind: str, docs: Iterable[tuple[int, str]]) -> int:
    """Index (insert or replace) documents given as ``(object_id, searchable text)``; returns
    how many rows were written. Bulk upsert on the (kind, object_id) key, so re-indexing is
    idempotent; on SQLite the FTS5 table follows through its triggers."""
    entries = []
    for object_id, text in docs:
        views = views_of(text)
        entries.append(
            SearchEntry(
                kind=kind, object_id=object_id, words=" ".join(views.words), bigrams=" ".join(views.bigrams)
            )
        )
    if not entries:
        return 0
    old = indexed_views(kind, [e.object_id for e in entries])
    SearchEntry.objects.bulk_create(
        entries,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["kind", "object_id"],
        update_fields=["words", "bigrams", "updated_at"],
    )
    delta = _document_frequencies(kind, (stored_views(e) for e in entries))
    delta.subtract(_document_frequencies(kind, old.values()))
    delta[(kind, *TOTAL)] += len(entries) - len(old)
    _apply(delta)
    return len(entries)


def remove(kind: str, ids: Iterable[int]) -> int:
    """Drop documents from the index (deleted or withdrawn from the library)."""
    wanted = list(ids)
    if not wanted:
        return 0
    old = indexed_views(kind, wanted)
    deleted, _ = SearchEntry.objects.filter(kind=kind, object_id__in=wanted).delete()
    delta: Counter[tuple[str, str, str]] = Counter()
    delta.subtract(_document_frequencies(kind, old.values()))
    delta[(kind, *TOTAL)] -= len(old)
    _apply(delta)
    return deleted


def _document_frequencies(kind: str, views: Iterable[TokenViews]) -> Counter[tuple[str, str, str]]:
    """(kind, view, term) → number of the given documents holding the term."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for item in views:
        counts.update((kind, "words", t) for t in set(item.words) if len(t) <= 100)
        counts.update((kind, "bigrams", t) for t in set(item.bigrams) if len(t) <= 100)
    return counts


def _apply(delta: Counter[tuple[str, str, str]]) -> None:
    """Add the changes to the document-frequency table (one upsert statement per batch; the
    same SQL on PostgreSQL and SQLite)."""
    rows = [(kind, view, term, change) for (kind, view, term), change in delta.items() if change]
    if not rows:
        return
    sql = (
        "INSERT INTO assist_searchterm (kind, view, term, df) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (kind, view, term) DO UPDATE SET df = assist_searchterm.df + excluded.df"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def selective_terms(kind: str, view: str, terms: Sequence[str]) -> list[str]:
    """The query terms worth sending to the database: held by some document, rarest first,
    leaving out those held by more than 5 % of the documents (the re-ranker still weighs them
    among the candidates) and stopping once the chosen terms hold ``MAX_POSTINGS`` rows; the 4
    rarest when every term is that common. Without frequency
    rows for ``kind`` (an index built before they existed) every term is kept."""
    wanted = _terms(terms)
    if not wanted:
        return []
    frequencies = dict(
        SearchTerm.objects.filter(
            kind=kind, view__in=[view, TOTAL[0]], term__in=[*wanted, TOTAL[1]]
        ).values_list("term", "df")
    )
    total = frequencies.pop(TOTAL[1], 0)
    if total <= 0:
        return wanted
    present = sorted((df, i, t) for i, t in enumerate(wanted) if (df := frequencies.get(t, 0)) > 0)
    cap = max(SELECTIVE_MIN_DF, int(total * SELECTIVE_SHARE))
    chosen: list[str] = []
    postings = 0
    for df, _, term in present:
        if df > cap or len(chosen) >= MAX_SELECTIVE_TERMS or (chosen and postings + df > MAX_POSTINGS):
            break
        chosen.append(term)
        postings += df
    return chosen or [t for _, _, t in present[:4]]


def _terms(terms: Sequence[str]) -> list[str]:
    """Distinct non-empty terms in first-seen order, capped."""
    return [t for t in dict.fromkeys(t.strip() for t in terms) if t][:MAX_QUERY_TERMS]


def search(
    kind: str,
    view: str,
    terms: Sequence[str],
    limit: int,
    restrict_ids: Iterable[int] | None = None,
) -> list[tuple[int, float]]:
    """The ``limit`` best documents of ``kind`` holding any of ``terms`` in ``view``
    ("words" or "bigrams"), as ``(object_id, score)``: best first, ties by object id.

    ``restrict_ids`` limits the search to those documents (a structured pre-filter).
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}")
    wanted = _terms(terms)
    restrict = None if restrict_ids is None else sorted({int(i) for i in restrict_ids})
    if not wanted or limit <= 0 or restrict == []:
        return []
    if connection.vendor == "postgresql":
        return _search_postgresql(kind, view, wanted, limit, restrict)
    if connection.vendor == "sqlite":
        return _search_sqlite(kind, view, wanted, limit, restrict)
    raise NotImplementedError(f"no full-text search for {connection.vendor}")


def tsquery_lexeme(term: str) -> str:
    """A term as a quoted tsquery lexeme: quotes doubled and backslashes escaped, so nothing in
    it is read as an operator."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _search_postgresql(
    kind: str, view: str, terms: list[str], limit: int, restrict: list[int] | None
) -> list[tuple[int, float]]:
    # ``view`` is one of VIEWS (checked above), never user text. ``<view>_tsv`` is the stored
    # generated tsvector with its GIN index (migration 0004): ranking reads it without
    # re-parsing the text of every matching row.
    query = " | ".join(tsquery_lexeme(t) for t in terms)
    sql = (
        f"SELECT object_id, ts_rank_cd({view}_tsv, q) AS score "  # noqa: S608
        "FROM assist_searchentry, to_tsquery('simple', %s) AS q "
        f"WHERE kind = %s AND {view}_tsv @@ q"
    )
    params: list[Any] = [query, kind]
    if restrict is not None:
        sql += " AND object_id = ANY(%s)"
        params.append(restrict)
    sql += " ORDER BY score DESC, object_id LIMIT %s"
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(object_id), float(score)) for object_id, score in cursor.fetchall()]


def fts5_phrase(term: str) -> str:
    """A term as an FTS5 string (a phrase): embedded double quotes doubled."""
    return '"' + term.replace('"', '""') + '"'


def _search_sqlite(
    kind: str, view: str, terms: list[str], limit: int, restrict: list[int] | None
) -> list[tuple[int, float]]:
    match = f"{view} : (" + " OR ".join(fts5_phrase(t) for t in terms) + ")"
    # bm25() is negative (more negative = better) and weighs columns in declaration order
    # (words, bigrams); only the searched column counts.
    weights = "1.0, 0.0" if view == "words" else "0.0, 1.0"
    sql = (
        f"SELECT e.object_id, -bm25(assist_search_fts, {weights}) AS score "  # noqa: S608
        "FROM assist_search_fts JOIN assist_searchentry e ON e.id = assist_search_fts.rowid "
        "WHERE assist_search_fts MATCH %s AND e.kind = %s"
    )
    params: list[Any] = [match, kind]
    if restrict is not None:
        sql += " AND e.object_id IN (SELECT value FROM json_each(%s))"
        params.append(json.dumps(restrict))
    sql += " ORDER BY score DESC, e.object_id LIMIT %s"
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(object_id), float(score)) for object_id, score in cursor.fetchall()]


def indexed_views(kind: str, ids: Iterable[int]) -> dict[int, TokenViews]:
    """The stored token views of the given documents (one query)."""
    wanted = list(ids)
    rows = SearchEntry.objects.filter(kind=kind, object_id__in=wanted).only("object_id", "words", "bigrams")
    return {row.object_id: stored_views(row) for row in rows}
