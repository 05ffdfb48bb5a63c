"""The resident match index (常驻索引): each process keeps a whole library's engine index in
memory and answers matches from it.

Why: matching through the database's full-text index costs 150–300 ms a query at 150,000
documents (GIN retrieval with ``ts_rank_cd`` over thousands of rows, then loading and indexing
the candidates), the engine over a resident index about 5 ms (docs/benchmarks.md, section 5).

The database stays the truth. A snapshot is built from the token views stored at indexing
time (``SearchEntry``, nothing is tokenised again) and the library rows, and is keyed by the
kind's change-log position (``LibraryChange``: row count and last id, written by triggers for
every statement on the library tables and visible exactly when that write commits). Each
match reads the position (one indexed query) and compares:

- no snapshot yet: a library of up to ``sync_build_limit`` documents is built in the request
  (tens of milliseconds for the demo's hundreds); a larger one on a background thread, the
  request meanwhile answered through the database index (``None`` is returned to the caller);
- stale snapshot: a small library is rebuilt in the request; a large one keeps serving the old
  snapshot while a background thread builds the next, so a change shows within one build
  (seconds);
- results are checked against the library rows before they leave (``confirm``), so a stale
  snapshot may be late to show a new document but never shows a withdrawn one or breaks a
  conflict of interest.

Threads: snapshots are immutable and swapped under a lock; at most one build per kind runs at a
time in a process. Memory: about 3 KB a document (docs/deploy.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connections
from django.db.models import Count, Max

from gonghui.assist.engine import CraftsmanDoc, MatchIndex, MatchQuery, MatchResult, OutcomeDoc
from gonghui.assist.engine.index import Corpus
from gonghui.assist.library_docs import craftsman_doc, outcome_doc
from gonghui.assist.models import Craftsman, LibraryChange, LibraryOutcome, SearchEntry, SearchTerm
from gonghui.core.text.tokenise import TokenViews

logger = logging.getLogger(__name__)

CRAFTSMAN = SearchEntry.Kind.CRAFTSMAN.value
OUTCOME = SearchEntry.Kind.OUTCOME.value
CHUNK = 5000
# Results asked of the snapshot beyond the limit, so that dropping a few withdrawn or newly
# conflicting documents still leaves a full page.
CONFIRM_MARGIN = 10

Position = tuple[int, int]  # (change rows, last change id) of a kind


@dataclass(frozen=True)
class Snapshot:
    """One kind's library indexed in memory as of a change-log position."""

    kind: str
    position: Position
    index: MatchIndex
    documents: int


_lock = threading.Lock()
_snapshots: dict[str, Snapshot] = {}
_building: set[str] = set()


def enabled() -> bool:
    return bool(settings.ASSIST_RESIDENT_INDEX)


def position(kind: str) -> Position:
    """Where the kind's change log stands, as this transaction sees it."""
    log = LibraryChange.objects.filter(kind=kind).aggregate(count=Count("id"), last=Max("id"))
    return int(log["count"]), int(log["last"] or 0)


def library_size(kind: str) -> int:
    """Indexed documents of the kind (the search module's running total)."""
    total = SearchTerm.objects.filter(kind=kind, view="", term="").values_list("df", flat=True).first()
    return int(total or 0)


def snapshot_for(kind: str) -> Snapshot | None:
    """The snapshot to answer a match from, built or refreshed as the module docstring says;
    None when the caller should use the database index instead."""
    current = position(kind)
    with _lock:
        held = _snapshots.get(kind)
    if held is not None and held.position == current:
        return held
    if library_size(kind) <= settings.ASSIST_RESIDENT_SYNC_LIMIT:
        return _store(build(kind))
    start_background_build(kind)
    return held


def _store(snapshot: Snapshot) -> Snapshot:
    """Keep the snapshot unless a newer one was stored meanwhile (positions only grow)."""
    with _lock:
        held = _snapshots.get(snapshot.kind)
        if held is None or held.position[1] <= snapshot.position[1]:
            _snapshots[snapshot.kind] = snapshot
            return snapshot
        return held


def start_background_build(kind: str) -> threading.Thread | None:
    """Build the kind's next snapshot on a daemon thread (returned, to be joined by whoever
    must wait for it); None if one is already building."""
    with _lock:
        if kind in _building:
            return None
        _building.add(kind)

    def run() -> None:
        try:
            _store(build(kind))
        except Exception:  # a failed build leaves the old snapshot serving; logged, retried next query
            logger.exception("resident match index: building %s failed", kind)
        finally:
            with _lock:
                _building.discard(kind)
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=run, name=f"assist-resident-{kind}", daemon=True)
    thread.start()
    return thread


def build(kind: str) -> Snapshot:
    """Index the kind's whole library from the stored token views (read after the change-log
    position, so a write committed in between only makes the snapshot look stale early)."""
    at = position(kind)
    rows: Iterator[Craftsman] | Iterator[LibraryOutcome]
    if kind == CRAFTSMAN:
        rows = Craftsman.objects.filter(active=True).select_related("studio").order_by("pk").iterator(CHUNK)
    elif kind == OUTCOME:
        rows = LibraryOutcome.objects.filter(active=True).order_by("pk").iterator(CHUNK)
    else:
        raise ValueError(f"no resident index for {kind!r}")
    pairs = _joined(rows, _stored_views(kind))
    if kind == CRAFTSMAN:
        corpus = Corpus.from_pairs("craftsman", pairs)
        index = MatchIndex(craftsmen=corpus, outcomes=Corpus.from_views("outcome", (), ()))
    else:
        corpus = Corpus.from_pairs("outcome", pairs)
        index = MatchIndex(craftsmen=Corpus.from_views("craftsman", (), ()), outcomes=corpus)
    return Snapshot(kind=kind, position=at, index=index, documents=len(corpus.docs))


def _joined(
    rows: Iterator[Craftsman] | Iterator[LibraryOutcome], stored: Iterator[tuple[int, TokenViews]]
) -> Iterator[tuple[CraftsmanDoc | OutcomeDoc, TokenViews]]:
    """Library rows with their stored token views, a merge join on id (both ascend); a row
    without an index entry is not searchable and left out."""
    entry = next(stored, None)
    for row in rows:
        while entry is not None and entry[0] < row.pk:
            entry = next(stored, None)
        if entry is not None and entry[0] == row.pk:
            yield (craftsman_doc(row) if isinstance(row, Craftsman) else outcome_doc(row)), entry[1]


def _stored_views(kind: str) -> Iterator[tuple[int, TokenViews]]:
    rows = (
        SearchEntry.objects.filter(kind=kind)
        .order_by("object_id")
        .values_list("object_id", "words", "bigrams")
        .iterator(CHUNK)
    )
    for object_id, words, bigrams in rows:
        yield int(object_id), TokenViews(words=tuple(words.split()), bigrams=tuple(bigrams.split()))


def confirm(kind: str, results: Sequence[MatchResult], query: MatchQuery) -> list[MatchResult]:
    """The results whose documents are still in the library and, for craftsmen, free of a
    conflict of interest with the asking enterprise, as the database has them now (one query)."""
    ids = [r.id for r in results]
    if not ids:
        return []
    if kind == CRAFTSMAN:
        allowed = set()
        for pk, enterprise_id, conflicts in Craftsman.objects.filter(pk__in=ids, active=True).values_list(
            "pk", "enterprise_id", "conflict_enterprise_ids"
        ):
            barred = {enterprise_id, *(int(i) for i in conflicts or () if str(i).isdigit())}
            if query.enterprise_id is None or query.enterprise_id not in barred:
                allowed.add(pk)
    else:
        allowed = set(LibraryOutcome.objects.filter(pk__in=ids, active=True).values_list("pk", flat=True))
    return [r for r in results if r.id in allowed]


def match(query: MatchQuery) -> list[MatchResult] | None:
    """The ranked, confirmed results of the query from the resident index, or None when no
    snapshot can serve yet (the caller then uses the database index)."""
    snapshot = snapshot_for(query.kind)
    if snapshot is None:
        return None
    ranked = snapshot.index.match(query, limit=query.limit + CONFIRM_MARGIN)
    return confirm(query.kind, ranked, query)[: query.limit]


def prune_change_log(*, before: datetime) -> int:
    """Delete change-log rows written before ``before`` (kept short so reading the position
    stays one cheap index scan). Every process's snapshot then looks stale once and is rebuilt
    in the background: the nightly schedule puts that at 03:40."""
    deleted, _ = LibraryChange.objects.filter(changed_at__lt=before).delete()
    return deleted


def forget() -> None:
    """Drop this process's snapshots (tests; a process that must free the memory)."""
    with _lock:
        _snapshots.clear()
