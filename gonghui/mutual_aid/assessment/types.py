"""Value types shared by the critical-illness assessment and the rules engine.

Plain frozen dataclasses: no ORM, so the assessor runs in a request, a batch job and the
policy simulator alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Decision = Literal["auto_accept", "needs_review", "none"]
Severity = Literal["severe", "mild", "other"]

# Order used to pick "the strongest" decision when several codes match one category.
DECISION_STRENGTH: dict[str, int] = {"none": 0, "needs_review": 1, "auto_accept": 2}
SEVERITY_RANK: dict[str, int] = {"other": 0, "mild": 1, "severe": 2}


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """One diagnosis of a case; either part may be missing. The first one is the main one."""

    code: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Procedure:
    """One procedure (ICD-9-CM-3 code and/or name)."""

    code: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """What the assessor looks at: the diagnoses and procedures of one settlement/case."""

    id: str = ""
    diagnoses: tuple[Diagnosis, ...] = ()
    procedures: tuple[Procedure, ...] = ()
    # "M" / "F" when known: a category restricted to one sex (catalogue `sex`) is then not
    # reported for the other. None (the default) reports every category.
    sex: str | None = None


@dataclass(frozen=True, slots=True)
class CategoryMatch:
    """One critical-illness category found in a case and how it was found."""

    code: str
    severity: Severity
    decision: Decision
    evidence: str
    matched_by: str  # "dx_rule:<prefix>", "proc_rule:<prefix>" or "text_model:<version>"
    probability: float | None = None  # set for text-model matches
    # Why a reviewer should look (e.g. the name contradicts the code); "" when nothing to add.
    note: str = ""


@dataclass(frozen=True, slots=True)
class Assessment:
    """The result for one case: matched categories (most severe first) and the top decision."""

    case_id: str
    categories: tuple[CategoryMatch, ...] = field(default_factory=tuple)
    model_version: str = ""
    catalogue_version: str = ""

    @property
    def decision(self) -> Decision:
        """Decision of the most severe category, or "none" when nothing matched."""
        if not self.categories:
            return "none"
        top = max(
            self.categories,
            key=lambda c: (SEVERITY_RANK[c.severity], DECISION_STRENGTH[c.decision]),
        )
        return top.decision

    def category(self, code: str) -> CategoryMatch | None:
        """The match for one category code, if any."""
        for match in self.categories:
            if match.code == code:
                return match
        return None
