"""The matching engine's inputs and outputs: frozen documents, the query and a result.

A context builder reads the database once and hands these over; the engine never sees a
model instance. Ids are the database primary keys (or positions in a file for the evaluation
set); `external_id` is the identifier of the import contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Kind = Literal["craftsman", "outcome"]
KINDS: tuple[Kind, ...] = ("craftsman", "outcome")
MAX_LIMIT = 100


class MatchError(ValueError):
    """A query the engine cannot answer (bad kind or limit); the message is for the user."""


@dataclass(frozen=True, slots=True)
class CraftsmanDoc:
    """A craftsman of the 劳模工匠资源库 with the derived track record.

    `region` is a GB/T 2260 six-digit code ("" if unknown), `industry` a GB/T 4754 section
    letter ("" if unknown). `capacity_left` is how many more requests they can take now;
    `conflict_enterprise_ids` are enterprises they must not be matched to (their employer,
    relatives' firms, declared interests).
    """

    id: int
    external_id: str
    name: str
    honours: tuple[str, ...] = ()
    region: str = ""
    industry: str = ""
    trades: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    bio: str = ""
    studio: str = ""
    capacity_left: int = 1
    accepted_answers: int = 0
    confirmed_solutions: int = 0
    rating_avg: float | None = None
    median_response_hours: float | None = None
    conflict_enterprise_ids: frozenset[int] = frozenset()

    @property
    def label(self) -> str:
        return self.name

    def searchable_text(self) -> str:
        """What the text views index: trades, skills, equipment, studio and bio (not the name
        or honours, which say nothing about the problem a craftsman can solve)."""
        return "\n".join(
            ("、".join(self.trades), "、".join(self.skills), "、".join(self.equipment), self.studio, self.bio)
        )


@dataclass(frozen=True, slots=True)
class OutcomeDoc:
    """An outcome of the 创新成果库 (innovation outcomes and 先用后转 items).

    `type` is the outcome type as written (五小, 合理化建议, 技术创新, 发明创造, 先进操作法, 先用后转 …);
    `verified_benefit` the verified yearly benefit in yuan, None when not verified.
    """

    id: int
    external_id: str
    title: str
    type: str = ""
    industry: str = ""
    region: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    verified_benefit: Decimal | None = None

    @property
    def label(self) -> str:
        return self.title

    def searchable_text(self) -> str:
        """What the text views index: title, tags and description."""
        return "\n".join((self.title, "、".join(self.tags), self.description))


@dataclass(frozen=True, slots=True)
class MatchQuery:
    """A demand (or any text) to match, with optional filters.

    `industry` boosts documents of the same section; with `strict_industry` it also excludes
    the others. `region` boosts nearby documents. `enterprise_id` is the asking enterprise:
    craftsmen with a conflict of interest with it are never returned.
    """

    text: str
    industry: str | None = None
    region: str | None = None
    kind: Kind = "craftsman"
    limit: int = 10
    enterprise_id: int | None = None
    strict_industry: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise MatchError(f"kind 必须是 {' / '.join(KINDS)}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise MatchError(f"limit 必须在 1–{MAX_LIMIT} 之间")


@dataclass(frozen=True, slots=True)
class MatchResult:
    """One ranked result as the API returns it: score rounded to 4 places, reasons in Chinese."""

    id: int
    external_id: str
    name: str
    score: float
    reasons: tuple[str, ...]
