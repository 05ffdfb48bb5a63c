"""Matching (精准匹配) against the libraries stored in the database.

The pipeline is the engine's (``gonghui.assist.engine``, see docs/assist_matching.md); this
module is its context builder and its database side:

1. the query text is analysed into its two token views;
2. the database's full-text index retrieves the best ``RETRIEVAL_DEPTH`` documents of each view
   (``search.search``), and the two lists are fused by reciprocal rank;
3. the fused candidates' rows are loaded once and turned into the engine's frozen documents,
   with the token views stored at indexing time (nothing is tokenised again);
4. the engine ranks them (BM25 over the candidates, fusion, features, re-ranker) and explains
   each result. Conflicts of interest are excluded and full craftsmen demoted by the engine.

That database path is the fallback. Queries are normally answered by the same engine over the
whole library held in memory (``resident``: built from the stored token views, refreshed when
the library's change log moves, results confirmed against the rows), which is some 30× faster
at 150,000 documents and ranks with the whole library's BM25 statistics.

The library is searched as a whole, whoever asks: it is the shared 资源库 enterprises order
from. Results carry only the public profile (name, external id, score, reasons); contact data
and the rest of a record stay behind the scoped selectors.

Dispatches (a dispatcher's choice among the shown craftsmen) are recorded here too; they are
the labelled pairs the ranker learns from (``labelled_pairs``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.permissions import can
from gonghui.assist import errors, resident, search
from gonghui.assist.engine import (
    KINDS,
    CraftsmanDoc,
    LabelledPair,
    MatchError,
    MatchIndex,
    MatchQuery,
    OutcomeDoc,
)
from gonghui.assist.engine.index import candidate_index
from gonghui.assist.library_docs import craftsman_doc, outcome_doc
from gonghui.assist.models import Craftsman, Demand, Dispatch, LibraryOutcome, SearchEntry
from gonghui.audit.services import audit_record
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.text.fusion import fuse_scored
from gonghui.core.text.tokenise import TokenViews, analyse
from gonghui.orgs.industries import Industry

# Documents taken from each view of the database index before fusion (the engine's own
# VIEW_DEPTH is 100: the database stage keeps twice as many so the re-ranker sees them all).
RETRIEVAL_DEPTH = 200
MAX_TEXT = 2000
MAX_LIMIT = 50
CRAFTSMAN = SearchEntry.Kind.CRAFTSMAN.value
OUTCOME = SearchEntry.Kind.OUTCOME.value


@dataclass(frozen=True, slots=True)
class MatchRow:
    """One ranked library document as the API returns it."""

    id: int
    external_id: str
    name: str
    score: float
    reasons: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "external_id": self.external_id,
            "name": self.name,
            "score": self.score,
            "reasons": list(self.reasons),
        }


def results_payload(rows: Sequence[MatchRow]) -> dict[str, Any]:
    """The contract's answer: ``{"results": [{id, external_id, name, score, reasons}]}``."""
    return {"results": [row.as_json() for row in rows]}


# --- indexing ------------------------------------------------------------------------------


def index_craftsmen(craftsmen: Iterable[Craftsman]) -> None:
    """Re-index craftsmen (bulk): active ones are (re)written, withdrawn ones removed.
    Callers pass rows with ``studio`` loaded (its name is part of the searchable text)."""
    rows = list(craftsmen)
    search.index_documents(CRAFTSMAN, ((c.pk, craftsman_doc(c).searchable_text()) for c in rows if c.active))
    search.remove(CRAFTSMAN, [c.pk for c in rows if not c.active])


def index_outcomes(outcomes: Iterable[LibraryOutcome]) -> None:
    """Re-index library outcomes (bulk): active ones are (re)written, withdrawn ones removed."""
    rows = list(outcomes)
    search.index_documents(OUTCOME, ((o.pk, outcome_doc(o).searchable_text()) for o in rows if o.active))
    search.remove(OUTCOME, [o.pk for o in rows if not o.active])


# --- retrieval and ranking ---------------------------------------------------------------------


def retrieve(kind: str, views: TokenViews, *, depth: int = RETRIEVAL_DEPTH) -> list[int]:
    """Candidate ids from the database index: each view's best ``depth``, fused by RRF."""
    word_hits = search.search(kind, "words", search.selective_terms(kind, "words", views.words), depth)
    bigram_hits = search.search(
        kind, "bigrams", search.selective_terms(kind, "bigrams", views.bigrams), depth
    )
    return [item.key for item in fuse_scored([word_hits, bigram_hits])]


def _candidates(
    kind: str, ids: Sequence[int]
) -> tuple[list[CraftsmanDoc] | list[OutcomeDoc], list[TokenViews]]:
    """The candidates' documents and stored token views, in id order (two queries)."""
    views = search.indexed_views(kind, ids)
    if kind == CRAFTSMAN:
        craftsmen = Craftsman.objects.filter(pk__in=list(views), active=True).select_related("studio")
        docs: list[Any] = [craftsman_doc(c) for c in craftsmen.order_by("pk")]
    else:
        outcomes = LibraryOutcome.objects.filter(pk__in=list(views), active=True)
        docs = [outcome_doc(o) for o in outcomes.order_by("pk")]
    return docs, [views[doc.id] for doc in docs]


def _index_for(query: MatchQuery) -> MatchIndex:
    views = analyse(query.text)
    ids = retrieve(query.kind, views)
    docs, stored = _candidates(query.kind, ids)
    return candidate_index(query.kind, docs, stored)


def _rank(query: MatchQuery) -> list[MatchRow]:
    """The resident index when it can serve (the usual case), the database index otherwise."""
    results = resident.match(query) if resident.enabled() else None
    if results is None:
        results = list(_index_for(query).match(query))
    return [
        MatchRow(id=r.id, external_id=r.external_id, name=r.name, score=r.score, reasons=r.reasons)
        for r in results
    ]


def _clean_code(value: str | None, *, field: str) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if field == "industry":
        text = text.upper()
        if text not in Industry.values:
            raise DomainError(errors.MATCH_INVALID, "行业门类须为 GB/T 4754 门类字母 A–T", field="industry")
        return text
    if len(text) != 6 or not text.isascii() or not text.isdigit():
        raise DomainError(errors.MATCH_INVALID, "地区代码须为 6 位行政区划代码", field="region")
    return text


def contact_enterprise_id(user: User | AnonymousUser | None) -> int | None:
    """The enterprise a user is the contact of (the first, if several), else None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return (
        RoleGrant.objects.filter(
            user_id=int(user.pk or 0),
            role=Role.ENTERPRISE_CONTACT,
            revoked_at__isnull=True,
            org_unit__enterprise__isnull=False,
        )
        .order_by("pk")
        .values_list("org_unit__enterprise__id", flat=True)
        .first()
    )


def match(
    *,
    text: str,
    kind: str,
    industry: str | None = None,
    region: str | None = None,
    limit: int = 10,
    enterprise_id: int | None = None,
    user: User | AnonymousUser | None = None,
) -> list[MatchRow]:
    """Ranked craftsmen or outcomes for a problem text, each with its score and reasons.

    Craftsmen with a conflict of interest with the asking enterprise (``enterprise_id``, or the
    enterprise ``user`` is the contact of) are never returned. Raises ``DomainError`` (code
    ``match_invalid``, naming the field) for empty or over-long text, an unknown kind, a limit
    outside 1–50 or a malformed industry/region code.
    """
    if not isinstance(text, str) or not text.strip():
        raise DomainError(errors.MATCH_INVALID, "请填写问题描述", field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(errors.MATCH_INVALID, f"问题描述不能超过 {MAX_TEXT} 字", field="text")
    if kind not in KINDS:
        raise DomainError(errors.MATCH_INVALID, "kind 须为 craftsman 或 outcome", field="kind")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise DomainError(errors.MATCH_INVALID, f"limit 须为 1–{MAX_LIMIT} 的整数", field="limit")
    if enterprise_id is None:
        enterprise_id = contact_enterprise_id(user)
    try:
        query = MatchQuery(
            text=text,
            industry=_clean_code(industry, field="industry"),
            region=_clean_code(region, field="region"),
            kind=kind,  # type: ignore[arg-type]
            limit=limit,
            enterprise_id=enterprise_id,
        )
    except MatchError as exc:  # pragma: no cover - the checks above come first
        raise DomainError(errors.MATCH_INVALID, str(exc)) from exc
    return _rank(query)


def demand_text(demand: Demand) -> str:
    """What a demand is matched on: its title, equipment model and description."""
    return "\n".join(p for p in (demand.title, demand.equipment_model, demand.description) if p)[:MAX_TEXT]


def _demand_query(demand: Demand, kind: str, limit: int) -> MatchQuery:
    return MatchQuery(
        text=demand_text(demand),
        industry=demand.industry or None,
        region=demand.region or None,
        kind=kind,  # type: ignore[arg-type]
        limit=limit,
        enterprise_id=demand.enterprise_id,
    )


def match_demand(*, demand: Demand, kind: str, limit: int = 10) -> list[MatchRow]:
    """Ranked craftsmen or outcomes for a demand (its enterprise's conflicts excluded)."""
    if kind not in KINDS:
        raise DomainError(errors.MATCH_INVALID, "kind 须为 craftsman 或 outcome", field="kind")
    return _rank(_demand_query(demand, kind, max(1, min(limit, MAX_LIMIT))))


# --- dispatches and the labelled pairs they give -----------------------------------------------


def has_conflict(craftsman: Craftsman, enterprise_id: int) -> bool:
    """Whether the craftsman must not serve this enterprise (employer or declared interest)."""
    return enterprise_id in craftsman_doc(craftsman).conflict_enterprise_ids


# ``open_requests`` is a PositiveSmallIntegerField.
MAX_OPEN_REQUESTS = 32767


@transaction.atomic
def record_dispatch(
    *,
    demand: Demand,
    craftsman: Craftsman,
    actor: User,
    shown_rank: int | None = None,
    shown_score: float | None = None,
) -> Dispatch:
    """A dispatcher (staff reviewing the demand's union) sends a craftsman to a demand (派单):
    the Dispatch row keeps the rank and score the engine showed; an open demand becomes
    matched. A craftsman with a conflict of interest or withdrawn from the library is refused.
    The dispatch books one of the craftsman's places (``open_requests`` + 1, freed when the
    demand is solved or closed, by ``demands`` or by the clinic); a full craftsman may still be
    sent, knowingly."""
    locked = Demand.objects.select_for_update(of=("self",)).select_related("org_unit").get(pk=demand.pk)
    if not can(actor, "review", locked.org_unit):
        raise PermissionDenied()
    if locked.status in (Demand.Status.SOLVED, Demand.Status.CLOSED):
        raise DomainError(errors.DEMAND_INVALID, f"需求已{locked.get_status_display()}，不能再派单")
    # Locked after the demand (the order every demand write takes) so that concurrent
    # dispatches of one craftsman count every booking.
    chosen = (
        Craftsman.objects.select_for_update(of=("self",))
        .select_related("studio")
        .filter(pk=craftsman.pk)
        .first()
    )
    if chosen is None or not chosen.active:
        raise DomainError(errors.DEMAND_INVALID, "该工匠已不在库中", field="craftsman")
    if has_conflict(chosen, locked.enterprise_id):
        raise DomainError(errors.DEMAND_INVALID, "该工匠与需求企业存在利益冲突，不能派单", field="craftsman")
    if shown_rank is not None and not 1 <= shown_rank <= 32767:
        raise DomainError(errors.DEMAND_INVALID, "推荐名次无效", field="shown_rank")
    try:
        with transaction.atomic():
            dispatch = Dispatch.objects.create(
                demand=locked,
                craftsman=chosen,
                shown_rank=shown_rank,
                shown_score=shown_score,
                dispatched_by=actor,
            )
    except IntegrityError as exc:
        raise DomainError(errors.DEMAND_INVALID, f"已向{chosen.name}派单", field="craftsman") from exc
    chosen.open_requests = min(chosen.open_requests + 1, MAX_OPEN_REQUESTS)
    Craftsman.objects.filter(pk=chosen.pk).update(open_requests=chosen.open_requests)
    before = locked.status
    if locked.status == Demand.Status.OPEN:
        locked.status = Demand.Status.MATCHED
        locked.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="assist.demand.dispatch",
        target=locked,
        org_unit=locked.org_unit,
        before={"status": before},
        after={
            "status": locked.status,
            "craftsman": chosen.pk,
            "rank": shown_rank,
            "score": shown_score,
            "open_requests": chosen.open_requests,
        },
    )
    return dispatch


def labelled_pairs(*, demands: Iterable[Demand] | None = None) -> list[LabelledPair]:
    """Preference pairs for ``fit_weights`` from dispatchers' choices ("skip-above"): for each
    dispatched craftsman, every craftsman the current ranking puts above them and nobody
    chose is less preferred, and so is the next one below. Features are recomputed with
    today's library, not frozen at dispatch time; a chosen craftsman the index no longer
    retrieves for that text gives no pair."""
    chosen_demands = (
        list(demands)
        if demands is not None
        else list(Demand.objects.filter(dispatches__isnull=False).distinct().order_by("pk"))
    )
    chosen_by_demand: dict[int, set[int]] = {}
    for demand_id, craftsman_id in Dispatch.objects.filter(
        demand_id__in=[d.pk for d in chosen_demands]
    ).values_list("demand_id", "craftsman_id"):
        chosen_by_demand.setdefault(demand_id, set()).add(craftsman_id)
    pairs: list[LabelledPair] = []
    for demand in chosen_demands:
        chosen = chosen_by_demand.get(demand.pk, set())
        if not chosen:
            continue
        query = _demand_query(demand, CRAFTSMAN, MAX_LIMIT)
        index = _index_for(query)
        ranked = sorted(
            index.candidates(query), key=lambda c: (-round(index.weights.score(c.features), 4), c.doc.id)
        )
        for position, candidate in enumerate(ranked):
            if candidate.doc.id not in chosen:
                continue
            above = [c for c in ranked[:position] if c.doc.id not in chosen]
            below = next((c for c in ranked[position + 1 :] if c.doc.id not in chosen), None)
            for other in [*above, *([below] if below else [])]:
                pairs.append(LabelledPair(preferred=candidate.features, other=other.features))
    return pairs
