"""A union's innovation configuration, resolved up the tree, as engine values.

Nodes without their own ``InnovationSettings`` use the nearest ancestor's, and the spec's
defaults above that, so a district can set the grade bands once for every enterprise union.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from gonghui.core.errors import DomainError
from gonghui.innovation import errors
from gonghui.innovation.engine import DEFAULT_GRADES, GradeBand, GradeScale, GradingError
from gonghui.innovation.models import InnovationSettings
from gonghui.orgs.models import OrgUnit

DEFAULT_FIVE_SMALL = ("小发明", "小创造", "小革新", "小设计", "小建议")
# Reward amounts (yuan) per grade code; organisations set their own.
DEFAULT_REWARDS: dict[str, Decimal] = {
    "first": Decimal("20000"),
    "second": Decimal("10000"),
    "third": Decimal("5000"),
    "fourth": Decimal("2000"),
    "fifth": Decimal("500"),
}
DEFAULT_ACCEPTANCE_DAYS = 5
DEFAULT_REVIEW_DAYS = 20


@dataclass(frozen=True, slots=True)
class Config:
    """What the lifecycle needs from a union's settings (and where they came from)."""

    five_small_labels: tuple[str, ...]
    grades: GradeScale
    rewards: dict[str, Decimal]
    acceptance_days: int
    review_days: int
    source: str  # the node whose settings apply, or "默认"


def _ancestor_paths(path: str) -> list[str]:
    return [path[:i] for i in range(OrgUnit.steplen, len(path) + 1, OrgUnit.steplen)]


def grades_from_json(data: list[dict[str, Any]]) -> GradeScale:
    """Grade bands stored as JSON (yuan) → the engine's scale; errors name the band."""
    bands = []
    for index, item in enumerate(data, start=1):
        try:
            lower = None if item.get("min") in (None, "") else Decimal(str(item["min"]))
            upper = None if item.get("max") in (None, "") else Decimal(str(item["max"]))
            bands.append(GradeBand(str(item["code"]), str(item["label"]), lower, upper))
        except (KeyError, InvalidOperation) as exc:
            raise DomainError(
                errors.SETTINGS_INVALID, f"第 {index} 个评级档次不完整或金额无效", field="grade_bands"
            ) from exc
    try:
        return GradeScale(bands=tuple(bands))
    except GradingError as exc:
        raise DomainError(errors.SETTINGS_INVALID, str(exc), field="grade_bands") from exc


def grades_to_json(scale: GradeScale) -> list[dict[str, Any]]:
    return [
        {
            "code": band.code,
            "label": band.name,
            "min": None if band.lower is None else str(band.lower),
            "max": None if band.upper is None else str(band.upper),
        }
        for band in reversed(scale.bands)
    ]


def config_for(org_unit: OrgUnit) -> Config:
    """The settings of ``org_unit`` or its nearest configured ancestor, else the defaults."""
    paths = _ancestor_paths(org_unit.path)
    found = {
        s.org_unit.path: s
        for s in InnovationSettings.objects.filter(org_unit__path__in=paths).select_related("org_unit")
    }
    for path in reversed(paths):
        own = found.get(path)
        if own is not None:
            return Config(
                five_small_labels=tuple(own.five_small_labels) or DEFAULT_FIVE_SMALL,
                grades=grades_from_json(own.grade_bands) if own.grade_bands else DEFAULT_GRADES,
                rewards={k: Decimal(str(v)) for k, v in own.reward_amounts.items()} or DEFAULT_REWARDS,
                acceptance_days=own.acceptance_days,
                review_days=own.review_days,
                source=own.org_unit.name,
            )
    return Config(
        five_small_labels=DEFAULT_FIVE_SMALL,
        grades=DEFAULT_GRADES,
        rewards=dict(DEFAULT_REWARDS),
        acceptance_days=DEFAULT_ACCEPTANCE_DAYS,
        review_days=DEFAULT_REVIEW_DAYS,
        source="默认",
    )
