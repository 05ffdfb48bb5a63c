"""Reads of the 技术门诊 technical clinic, always through ``clinic_question_list``.

Who sees a question:
- staff (admin / reviewer / viewer) of the demand's node or an ancestor;
- the asking enterprise: its creator and every enterprise contact of that enterprise;
- the experts assigned to it;
- any expert (a user with an active Craftsman record), when it is not confidential and still
  open to claim (待认领 / 已分派 / 已解答);
- every signed-in user, once it is a non-confidential case of the knowledge base.
Confidential questions are therefore seen only by node staff, the enterprise and the experts
assigned to them — including in the knowledge base.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.permissions import can
from gonghui.assist import matching, search
from gonghui.assist.models import (
    ClinicAnswer,
    ClinicAssignment,
    ClinicQuestion,
    Craftsman,
    Demand,
    SearchEntry,
)
from gonghui.core.errors import NotFound
from gonghui.core.scoping import granted_paths, subtree_q
from gonghui.core.text.fusion import fuse_scored, max_rrf_score
from gonghui.core.text.tokenise import analyse
from gonghui.orgs.models import Enterprise, OrgUnit

S = ClinicQuestion.Status
# Experts may still join (claim or be assigned) and answer until an answer is accepted.
CLAIMABLE = frozenset({S.OPEN, S.ASSIGNED, S.ANSWERED})
ANSWERABLE = frozenset({S.ASSIGNED, S.ANSWERED})
# The first-answer deadline runs while nobody has answered.
UNANSWERED = frozenset({S.OPEN, S.ASSIGNED})
ESCALATABLE = frozenset({S.OPEN, S.ASSIGNED, S.ANSWERED, S.ACCEPTED})
CLOSABLE = frozenset({S.OPEN, S.ASSIGNED, S.ANSWERED, S.ACCEPTED, S.ESCALATED})


def _authenticated(user: User | AnonymousUser) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def contact_union_ids(user: User | AnonymousUser) -> list[int]:
    """Enterprise unions where ``user`` is an enterprise contact (cached on the user object)."""
    if not _authenticated(user):
        return []
    cache: dict[str, Any] = user.__dict__.setdefault("_gonghui_clinic", {})
    if "contact_unions" not in cache:
        cache["contact_unions"] = sorted(
            RoleGrant.objects.filter(
                user_id=int(user.pk or 0), role=Role.ENTERPRISE_CONTACT, revoked_at__isnull=True
            ).values_list("org_unit_id", flat=True)
        )
    return list(cache["contact_unions"])


def contact_enterprises(*, user: User | AnonymousUser) -> QuerySet[Enterprise]:
    """Enterprises the user may ask for: those whose union granted them enterprise contact."""
    return Enterprise.objects.filter(union_id__in=contact_union_ids(user)).order_by("name", "pk")


def craftsman_of(user: User | AnonymousUser) -> Craftsman | None:
    """The user's active Craftsman record (the expert behind a login), if any."""
    if not _authenticated(user):
        return None
    return Craftsman.objects.filter(user_id=int(user.pk or 0), active=True).first()


def conflict_ids(craftsman: Craftsman) -> set[int]:
    """Enterprises the craftsman must not serve: the employer and declared interests."""
    ids = {int(i) for i in craftsman.conflict_enterprise_ids or [] if str(i).isdigit()}
    if craftsman.enterprise_id is not None:
        ids.add(craftsman.enterprise_id)
    return ids


def is_dispatcher(user: User | AnonymousUser, question: ClinicQuestion) -> bool:
    """Staff with review on the question's node assign experts, escalate and close."""
    return can(user, "review", question.demand.org_unit)


def is_asker(user: User | AnonymousUser, question: ClinicQuestion) -> bool:
    """The asking enterprise: the creator of the question or a contact of its enterprise."""
    if not _authenticated(user):
        return False
    demand = question.demand
    return demand.created_by_id == user.pk or demand.enterprise.union_id in contact_union_ids(user)


def _visible_q(user: User | AnonymousUser) -> Q:
    if not _authenticated(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    q = subtree_q("demand__org_unit__path", granted_paths(user, "view"))
    q |= Q(demand__created_by_id=user.pk)
    unions = contact_union_ids(user)
    if unions:
        q |= Q(demand__enterprise__union_id__in=unions)
    craftsman = craftsman_of(user)
    if craftsman is not None:
        assigned = ClinicAssignment.objects.filter(craftsman_id=craftsman.pk).values("question_id")
        q |= Q(pk__in=assigned)
        q |= Q(demand__confidential=False, status__in=CLAIMABLE)
    q |= Q(in_knowledge_base=True, demand__confidential=False)
    return q


def clinic_question_list(*, user: User | AnonymousUser) -> QuerySet[ClinicQuestion]:
    """Every clinic question the user may see (see the module docstring for who sees what)."""
    return ClinicQuestion.objects.filter(_visible_q(user)).select_related(
        "demand", "demand__enterprise", "demand__org_unit"
    )


def clinic_get_for_user(*, user: User | AnonymousUser, question_id: int) -> ClinicQuestion:
    """One question; missing and not-visible raise the same NotFound."""
    try:
        return clinic_question_list(user=user).select_related("demand__created_by").get(pk=question_id)
    except ClinicQuestion.DoesNotExist as exc:
        raise NotFound() from exc


def clinic_staff_queue(*, user: User | AnonymousUser) -> QuerySet[ClinicQuestion]:
    """The dispatcher's queue: questions of the user's subtrees with expert and answer counts."""
    if not _authenticated(user):
        return ClinicQuestion.objects.none()
    base = ClinicQuestion.objects.all()
    if not user.is_superuser:
        base = base.filter(subtree_q("demand__org_unit__path", granted_paths(user, "view")))
    return base.select_related("demand", "demand__enterprise", "demand__org_unit").annotate(
        expert_count=Count("assignments", distinct=True), answer_count=Count("answers", distinct=True)
    )


def clinic_open_for_claim(*, craftsman: Craftsman) -> QuerySet[ClinicQuestion]:
    """Non-confidential questions still open to experts that ``craftsman`` has not joined yet,
    without enterprises they must not serve (conflicts of interest)."""
    return (
        ClinicQuestion.objects.filter(demand__confidential=False, status__in=CLAIMABLE)
        .exclude(assignments__craftsman_id=craftsman.pk)
        .exclude(demand__enterprise_id__in=sorted(conflict_ids(craftsman)))
        .select_related("demand", "demand__enterprise")
        .annotate(answer_count=Count("answers", distinct=True))
        .order_by("first_answer_due", "pk")
    )


def clinic_assigned_to(*, craftsman: Craftsman) -> QuerySet[ClinicQuestion]:
    """Questions the expert claimed or was assigned, unfinished first."""
    return (
        ClinicQuestion.objects.filter(assignments__craftsman_id=craftsman.pk)
        .select_related("demand", "demand__enterprise")
        .order_by("closed_at", "first_answer_due", "pk")
    )


def clinic_asked_by(*, user: User | AnonymousUser) -> QuerySet[ClinicQuestion]:
    """The asking enterprise's questions (own and colleagues' as enterprise contacts)."""
    if not _authenticated(user):
        return ClinicQuestion.objects.none()
    q = Q(demand__created_by_id=user.pk)
    unions = contact_union_ids(user)
    if unions:
        q |= Q(demand__enterprise__union_id__in=unions)
    return (
        ClinicQuestion.objects.filter(q)
        .select_related("demand", "demand__enterprise")
        .annotate(answer_count=Count("answers", distinct=True))
        .order_by("-demand__created_at", "-pk")
    )


def is_overdue(question: ClinicQuestion, today: dt.date | None = None) -> bool:
    """No answer yet and the first-answer deadline has passed."""
    today = today or timezone.localdate()
    return question.status in UNANSWERED and question.first_answer_due < today


def overdue_q(today: dt.date | None = None) -> Q:
    """The ORM form of ``is_overdue`` (for filters and counts)."""
    return Q(status__in=UNANSWERED, first_answer_due__lt=today or timezone.localdate())


def clinic_detail(*, question: ClinicQuestion) -> dict[str, Any]:
    """Photos, experts and answers of a question, in a fixed number of queries."""
    return {
        "photos": list(question.demand.photos.order_by("pk")),
        "assignments": list(
            question.assignments.select_related("craftsman", "assigned_by").order_by("assigned_at", "pk")
        ),
        "answers": list(question.answers.select_related("craftsman").order_by("created_at", "pk")),
    }


@dataclass(frozen=True, slots=True)
class ClinicActions:
    """What the current user may do on a question now (the services check again)."""

    claim: bool = False
    assign: bool = False
    answer: bool = False
    accept: bool = False
    escalate: bool = False
    close: bool = False
    dispatcher: bool = False
    asker: bool = False
    craftsman_id: int | None = None

    @property
    def any(self) -> bool:
        return self.claim or self.assign or self.answer or self.accept or self.escalate or self.close


def clinic_actions(
    *, user: User | AnonymousUser, question: ClinicQuestion, assignments: Sequence[ClinicAssignment]
) -> ClinicActions:
    """The action forms the detail page offers, by role and status."""
    dispatcher = is_dispatcher(user, question)
    asker = is_asker(user, question)
    craftsman = craftsman_of(user)
    assigned = craftsman is not None and any(a.craftsman_id == craftsman.pk for a in assignments)
    conflict = craftsman is not None and question.demand.enterprise_id in conflict_ids(craftsman)
    answered_by_me = (
        assigned
        and craftsman is not None
        and question.answers.filter(craftsman_id=craftsman.pk).exists()  # one answer per expert
    )
    status = question.status
    return ClinicActions(
        claim=craftsman is not None
        and not assigned
        and not conflict
        and craftsman.available
        and not question.demand.confidential
        and status in CLAIMABLE,
        assign=dispatcher and status in CLAIMABLE,
        answer=assigned and not answered_by_me and status in ANSWERABLE,
        accept=asker and status == S.ANSWERED,
        escalate=dispatcher and status in ESCALATABLE,
        close=(dispatcher or asker) and status in CLOSABLE,
        dispatcher=dispatcher,
        asker=asker,
        craftsman_id=craftsman.pk if craftsman is not None else None,
    )


def assignable_craftsmen(
    *, user: User | AnonymousUser, question: ClinicQuestion, suggested_ids: Sequence[int] = ()
) -> QuerySet[Craftsman]:
    """Experts a dispatcher may pick: the suggested ones, those of the libraries serving the
    asking enterprise (its union and every union above it) and those of the dispatcher's own
    subtrees."""
    path = question.demand.org_unit.path
    steplen = OrgUnit.steplen
    above = [path[:i] for i in range(steplen, len(path) + 1, steplen)]
    q = Q(pk__in=list(suggested_ids)) | Q(org_unit__path__in=above)
    q |= subtree_q("org_unit__path", granted_paths(user, "review"))
    return Craftsman.objects.filter(active=True).filter(q).order_by("name", "pk")


# --- knowledge base --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnowledgeCase:
    """A solved case as the knowledge page and the suggestions show it."""

    question_id: int
    title: str
    description: str
    equipment_model: str
    industry: str
    answer: str
    craftsman_name: str
    rating: int | None
    closed_at: dt.datetime | None
    score: float | None = None
    reasons: tuple[str, ...] = ()

    @property
    def stars(self) -> str:
        return "★" * (self.rating or 0)


def knowledge_queryset(*, user: User | AnonymousUser) -> QuerySet[ClinicQuestion]:
    """Knowledge-base cases the user may read, with their accepted answer prefetched."""
    return (
        clinic_question_list(user=user)
        .filter(in_knowledge_base=True)
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=ClinicAnswer.objects.filter(accepted=True).select_related("craftsman"),
                to_attr="accepted_answers",
            )
        )
    )


def _case(
    question: ClinicQuestion, *, score: float | None = None, reasons: Sequence[str] = ()
) -> KnowledgeCase:
    accepted = getattr(question, "accepted_answers", [])
    answer = accepted[0] if accepted else None
    demand: Demand = question.demand
    return KnowledgeCase(
        question_id=question.pk,
        title=demand.title,
        description=demand.description,
        equipment_model=demand.equipment_model,
        industry=demand.industry,
        answer=answer.text if answer else "",
        craftsman_name=answer.craftsman.name if answer else "",
        rating=question.rating,
        closed_at=question.closed_at,
        score=score,
        reasons=tuple(reasons),
    )


def knowledge_latest(*, user: User | AnonymousUser, limit: int = 20) -> list[KnowledgeCase]:
    """The most recently closed cases the user may read."""
    rows = knowledge_queryset(user=user).order_by("-closed_at", "-pk")[:limit]
    return [_case(q) for q in rows]


def knowledge_rank(*, text: str, limit: int) -> list[tuple[int, float, tuple[str, ...]]]:
    """Knowledge-base cases (question ids) for ``text``: the index's two views (jieba words,
    character bigrams) fused by reciprocal rank, with the shared words as the reasons."""
    views = analyse(text)
    depth = max(limit, 50)
    by_words = search.search(SearchEntry.Kind.ANSWER, "words", views.words, depth)
    by_bigrams = search.search(SearchEntry.Kind.ANSWER, "bigrams", views.bigrams, depth)
    fused = fuse_scored([by_words, by_bigrams])[:limit]
    if not fused:
        return []
    stored = search.indexed_views(SearchEntry.Kind.ANSWER, [hit.key for hit in fused])
    query_words = list(dict.fromkeys(w for w in views.words if len(w) > 1))
    top = max_rrf_score(2)
    ranked: list[tuple[int, float, tuple[str, ...]]] = []
    for hit in fused:
        doc = set(stored[hit.key].words) if hit.key in stored else set()
        shared = tuple(w for w in query_words if w in doc)[:6]
        reasons = (f"相同关键词：{'、'.join(shared)}",) if shared else ("字面相近",)
        ranked.append((int(hit.key), round(hit.score / top, 4), reasons))
    return ranked


def knowledge_search(
    *,
    user: User | AnonymousUser,
    text: str,
    industry: str | None = None,
    limit: int = 10,
    exclude_id: int | None = None,
) -> list[KnowledgeCase]:
    """Solved cases like ``text``, best first, keeping only the cases the user may read
    (confidential ones only for those entitled). Cases of the same industry come first among
    equally relevant ones."""
    text = text.strip()
    if not text:
        return []
    ranked = [r for r in knowledge_rank(text=text, limit=max(limit * 3, 30)) if r[0] != exclude_id]
    if not ranked:
        return []
    by_id = {q.pk: q for q in knowledge_queryset(user=user).filter(pk__in=[r[0] for r in ranked])}
    cases = [_case(by_id[pk], score=score, reasons=reasons) for pk, score, reasons in ranked if pk in by_id]
    if industry:
        cases.sort(key=lambda c: (-(c.score or 0.0), c.industry != industry))
    return cases[:limit]


# --- suggested experts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SuggestedExpert:
    """A craftsman the matching service proposes for a question, with rank and reasons."""

    rank: int
    craftsman_id: int
    name: str
    score: float
    reasons: tuple[str, ...]
    honours: tuple[str, ...] = ()
    rating_avg: Decimal | None = None
    accepted_answers: int = 0


def suggested_experts(*, question: ClinicQuestion, limit: int = 5) -> list[SuggestedExpert]:
    """Ranked experts for the question's demand (the matching service), minus those already
    on it; conflicts of interest are excluded by the matching service."""
    rows = matching.match_demand(demand=question.demand, kind="craftsman", limit=limit + 5)
    taken = set(question.assignments.values_list("craftsman_id", flat=True))
    ids = [int(r.id) for r in rows if int(r.id) not in taken][:limit]
    people = Craftsman.objects.in_bulk(ids)
    out: list[SuggestedExpert] = []
    for row in rows:
        person = people.get(int(row.id))
        if person is None:
            continue
        out.append(
            SuggestedExpert(
                rank=len(out) + 1,
                craftsman_id=person.pk,
                name=person.name,
                score=float(row.score),
                reasons=tuple(row.reasons),
                honours=tuple(person.honours or ()),
                rating_avg=person.rating_avg,
                accepted_answers=person.accepted_answers,
            )
        )
    return out
