"""Reads of open challenges (揭榜挂帅).

Staff see the challenges of their subtree through ``visible_to``. A published challenge is a
public notice (发榜): every signed-in user sees it on the board and may open it, as may the
craftsmen of its teams and the judges of its panel in later stages. Before 发榜 (collecting,
vetting) and after a 撤榜 only staff see it. Missing and not-visible raise the same NotFound.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.permissions import can
from gonghui.assist.challenges import benefit_months, craftsman_of, is_judge_for
from gonghui.assist.models import (
    Challenge,
    ChallengeEvent,
    ChallengeScore,
    ChallengeTeam,
    Craftsman,
    Milestone,
    TeamPosition,
)
from gonghui.core.errors import NotFound

S = Challenge.Status
T = ChallengeTeam.Status
# Statuses in which a challenge is a public notice (anyone signed in may open it).
PUBLIC_STATUSES = frozenset(s for s in S.values if s not in {S.COLLECTING, S.VETTING, S.WITHDRAWN})
# Judges see challenges from the review on (their panel's work and its outcome).
JUDGED_STATUSES = frozenset(
    {
        S.REVIEWING,
        S.PUBLICITY,
        S.CONTRACTED,
        S.IMPLEMENTING,
        S.MIDTERM,
        S.ACCEPTANCE,
        S.PASSED,
        S.FAILED,
        S.TERMINATED,
    }
)


def _signed_in(user: User | AnonymousUser) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def challenge_list(*, user: User | AnonymousUser, action: str = "view") -> QuerySet[Challenge]:
    """Challenges of the staff member's subtree (the desk list and its export)."""
    return (
        Challenge.objects.visible_to(user, action)
        .select_related("org_unit", "enterprise")
        .annotate(
            applied_teams=Count("teams", filter=~Q(teams__status=T.FORMING), distinct=True),
        )
    )


def challenge_get_for_user(
    *, user: User | AnonymousUser, challenge_id: int, action: str = "view"
) -> Challenge:
    """One challenge the user may act on as staff (``action``); NotFound otherwise."""
    challenge = (
        Challenge.objects.visible_to(user, action)
        .select_related("org_unit", "enterprise")
        .filter(pk=challenge_id)
    ).first()
    if challenge is None:
        raise NotFound()
    return challenge


@dataclass
class Access:
    """What the user may see and do on one challenge (the services check again on writes)."""

    staff: bool = False  # may act (review) on it
    viewer: bool = False  # staff of its subtree, read-only or more
    judge: bool = False
    craftsman: Craftsman | None = None
    my_team: ChallengeTeam | None = None
    my_team_ids: set[int] = field(default_factory=set)


def challenge_get_visible(*, user: User | AnonymousUser, challenge_id: int) -> tuple[Challenge, Access]:
    """A challenge as seen by anyone signed in: staff of its subtree always; everyone once it
    is a public notice; team members and judges of its panel in later stages."""
    if not _signed_in(user):
        raise NotFound()
    assert isinstance(user, User)
    challenge = (
        Challenge.objects.select_related("org_unit", "enterprise", "rubric", "result_outcome", "created_by")
        .filter(pk=challenge_id)
        .first()
    )
    if challenge is None:
        raise NotFound()
    access = Access(
        viewer=can(user, "view", challenge.org_unit), staff=can(user, "review", challenge.org_unit)
    )
    access.craftsman = craftsman_of(user)
    if access.craftsman is not None:
        mine = (
            ChallengeTeam.objects.filter(challenge=challenge)
            .filter(Q(leader=access.craftsman) | Q(positions__craftsman=access.craftsman))
            .distinct()
            .first()
        )
        access.my_team = mine
        access.my_team_ids = {mine.pk} if mine else set()
    access.judge = challenge.status in JUDGED_STATUSES and is_judge_for(user, challenge)
    if not (access.viewer or challenge.status in PUBLIC_STATUSES or access.my_team or access.judge):
        raise NotFound()
    return challenge, access


def challenge_board(*, user: User | AnonymousUser, today: dt.date | None = None) -> QuerySet[Challenge]:
    """The public board (揭榜大厅): published challenges still open for 揭榜, nearest deadline
    first, with their number of open positions."""
    if not _signed_in(user):
        return Challenge.objects.none()
    today = today or timezone.localdate()
    return (
        Challenge.objects.filter(status=S.PUBLISHED, deadline__gte=today)
        .select_related("org_unit", "enterprise")
        .annotate(
            team_count=Count("teams", distinct=True),
            open_positions=Count("teams__positions", filter=Q(teams__positions__craftsman=None)),
        )
        .order_by("deadline", "pk")
    )


def my_teams(*, user: User | AnonymousUser) -> list[ChallengeTeam]:
    """The teams the craftsman leads or belongs to, newest first."""
    if not _signed_in(user):
        return []
    assert isinstance(user, User)
    craftsman = craftsman_of(user)
    if craftsman is None:
        return []
    return list(
        ChallengeTeam.objects.filter(Q(leader=craftsman) | Q(positions__craftsman=craftsman))
        .distinct()
        .select_related("challenge")
        .order_by("-created_at", "-pk")[:50]
    )


def judge_queue(*, user: User | AnonymousUser) -> list[dict[str, Any]]:
    """Challenges under review whose panel the judge sits on, with their teams to score and
    the judge's own sheets (never other judges')."""
    if not _signed_in(user):
        return []
    paths = list(
        RoleGrant.objects.filter(
            user_id=int(user.pk or 0), role=Role.JUDGE, revoked_at__isnull=True
        ).values_list("org_unit__path", flat=True)
    )
    if not paths:
        return []
    ancestors = Q(pk__in=[])
    for path in paths:
        ancestors |= Q(org_unit__path__startswith=path)
    challenges = list(
        Challenge.objects.filter(ancestors, status=S.REVIEWING)
        .select_related("org_unit")
        .prefetch_related(
            Prefetch(
                "teams",
                queryset=ChallengeTeam.objects.filter(status=T.QUALIFIED).order_by("pk"),
                to_attr="qualified_teams",
            )
        )
        .order_by("pk")
    )
    mine = {
        row.team_id: row
        for row in ChallengeScore.objects.filter(judge_id=user.pk, team__challenge__in=challenges)
    }
    return [
        {
            "challenge": c,
            "teams": [{"team": t, "sheet": mine.get(t.pk)} for t in c.qualified_teams],  # type: ignore[attr-defined]
        }
        for c in challenges
    ]


def team_get_visible(*, user: User | AnonymousUser, team_id: int) -> tuple[ChallengeTeam, Access]:
    """A team, visible whenever its challenge is (scoped through the challenge)."""
    team = ChallengeTeam.objects.filter(pk=team_id).values_list("challenge_id", flat=True).first()
    if team is None:
        raise NotFound()
    challenge, access = challenge_get_visible(user=user, challenge_id=team)
    loaded = (
        ChallengeTeam.objects.select_related("leader")
        .prefetch_related(Prefetch("positions", queryset=TeamPosition.objects.select_related("craftsman")))
        .get(pk=team_id)
    )
    loaded.challenge = challenge
    return loaded, access


def _positions_prefetch() -> Prefetch:  # type: ignore[type-arg]
    return Prefetch("positions", queryset=TeamPosition.objects.select_related("craftsman").order_by("pk"))


def challenge_detail(*, challenge: Challenge, access: Access, user: User) -> dict[str, Any]:
    """Everything the detail page shows the user, in a fixed number of queries: teams with
    their positions (open ones marked), ranks and scores for staff and judges, milestones for
    staff and the team, history, benefit months."""
    teams = list(
        ChallengeTeam.objects.filter(challenge=challenge)
        .select_related("leader")
        .prefetch_related(_positions_prefetch())
        .order_by("rank", "pk")
    )
    insider = access.viewer or access.judge
    scores: list[ChallengeScore] = []
    if access.viewer:
        scores = list(
            ChallengeScore.objects.filter(team__challenge=challenge)
            .select_related("judge")
            .order_by("team", "pk")
        )
    my_sheets = (
        {s.team_id: s for s in ChallengeScore.objects.filter(team__challenge=challenge, judge_id=user.pk)}
        if access.judge
        else {}
    )
    scores_by_team: dict[int, list[ChallengeScore]] = {}
    for row in scores:
        scores_by_team.setdefault(row.team_id, []).append(row)
    milestones = list(
        Milestone.objects.filter(challenge=challenge).select_related("team").order_by("due_on", "pk")
    )
    if not access.viewer:
        milestones = [m for m in milestones if m.team_id in access.my_team_ids]
    public_results = challenge.status not in {S.PUBLISHED, S.QUALIFYING, S.REVIEWING}
    rows: list[dict[str, Any]] = []
    for team in teams:
        positions = list(team.positions.all())
        mine = team.pk in access.my_team_ids
        rows.append(
            {
                "team": team,
                "positions": positions,
                "open": [p for p in positions if p.craftsman_id is None],
                "mine": mine,
                "show_plan": insider or mine,
                "show_note": access.viewer or mine,
                "show_score": access.viewer or (public_results and (mine or team.status == T.SELECTED)),
                "scores": scores_by_team.get(team.pk, []),
                "my_sheet": my_sheets.get(team.pk),
            }
        )
    events = challenge.events.select_related("actor").order_by("at", "pk")
    if not (access.viewer or access.my_team is not None):
        events = events.exclude(from_status=F("to_status"))  # notes (check-ins, reviews) are internal
    history: list[ChallengeEvent] = list(events)
    for event in history:
        event.label = S(event.to_status).label if event.to_status in S.values else event.to_status  # type: ignore[attr-defined]
        event.is_note = event.from_status == event.to_status  # type: ignore[attr-defined]
    benefits = list(challenge.benefits.order_by("month"))
    return {
        "teams": rows,
        "applied_teams": [r for r in rows if r["team"].status != T.FORMING],
        "milestones": milestones,
        "history": history,
        "benefits": benefits,
        "benefit_months": benefit_months(challenge) if challenge.status == S.PASSED else [],
        "benefit_total": sum((b.amount for b in benefits), Decimal(0)),
    }
