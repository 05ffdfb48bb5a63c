"""The context builder of matching: library rows → the engine's frozen documents."""

from __future__ import annotations

from decimal import Decimal

from gonghui.assist.engine import CraftsmanDoc, OutcomeDoc
from gonghui.assist.models import Craftsman, LibraryOutcome


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def craftsman_doc(craftsman: Craftsman) -> CraftsmanDoc:
    """The engine's view of a craftsman. The employer is always a conflict of interest."""
    conflicts = {int(i) for i in craftsman.conflict_enterprise_ids if str(i).isdigit()}
    if craftsman.enterprise_id is not None:
        conflicts.add(craftsman.enterprise_id)
    return CraftsmanDoc(
        id=craftsman.pk,
        external_id=craftsman.external_id,
        name=craftsman.name,
        honours=tuple(craftsman.honours),
        region=craftsman.region,
        industry=craftsman.industry,
        trades=tuple(craftsman.trades),
        skills=tuple(craftsman.skills),
        equipment=tuple(craftsman.equipment),
        bio=craftsman.bio,
        studio=craftsman.studio.name if craftsman.studio_id and craftsman.studio else "",
        capacity_left=craftsman.capacity_left,
        accepted_answers=craftsman.accepted_answers,
        confirmed_solutions=craftsman.confirmed_solutions,
        rating_avg=_float(craftsman.rating_avg),
        median_response_hours=_float(craftsman.median_response_hours),
        conflict_enterprise_ids=frozenset(conflicts),
    )


def outcome_doc(outcome: LibraryOutcome) -> OutcomeDoc:
    """The engine's view of a library outcome."""
    return OutcomeDoc(
        id=outcome.pk,
        external_id=outcome.external_id,
        title=outcome.title,
        type=outcome.type,
        industry=outcome.industry,
        region=outcome.region,
        description=outcome.description,
        tags=tuple(outcome.tags),
        verified_benefit=outcome.verified_benefit,
    )
