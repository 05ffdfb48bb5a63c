"""Panel aggregation (评分汇总): from judges' score sheets to a ranked result list.

Rules (spec/innovation.md, "Aggregation"), in the order applied:

1. Sheets of an excused judge (回避, a declared conflict of interest) for that entry are
   dropped before anything else, also from that judge's normalisation statistics.
2. Per-judge z-score normalisation when the judges did not all score the same set of entries
   (`normalise=None` decides this; True/False forces it). A judge's totals are turned into
   z-scores over the entries *that judge* scored (population standard deviation) and mapped
   back onto the panel's overall mean and standard deviation of all counted totals, so the
   result stays on the 0–100 scale (clamped to [0, 100]). A judge with one entry, or whose
   totals do not vary, keeps the raw totals (there is nothing to normalise against).
3. Per entry: with ≥5 counted judges, drop one highest and one lowest value (ties: the judge
   who sorts first by code is dropped) and average the rest; otherwise the plain mean.
4. Rank by the final score (rounded half-up to 2 places), highest first. Equal scores are
   broken by the per-criterion points (score / 5 × weight) averaged over the same sheets that
   were kept for the score, compared in rubric order; still equal → the same rank (1, 2, 2, 4).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Literal

from gonghui.innovation.engine.rubric import ZERO, Rubric, RubricError, ScoreSheet, round_cent

Method = Literal["trimmed_mean", "mean"]

METHODS: dict[str, str] = {
    "trimmed_mean": "去掉一个最高分和一个最低分后取平均",
    "mean": "算术平均",
}

TRIM_MIN_JUDGES = 5
SCALE_MIN = Decimal(0)
SCALE_MAX = Decimal(100)


class AggregationError(ValueError):
    """The sheets cannot be aggregated (a judge scored an entry twice, or a foreign rubric)."""


@dataclass(frozen=True, slots=True)
class EntryResult:
    """One entry's place in the ranking, with how its score was reached.

    `judges_scored` counts the non-excused sheets; `judges_counted` those left in the
    average after trimming. `criterion_scores` are the tie-break values in rubric order.
    """

    entry: str
    rank: int
    score: Decimal
    method: Method
    judges_scored: int
    judges_counted: int
    criterion_scores: tuple[tuple[str, Decimal], ...]
    explanation: tuple[str, ...]

    @property
    def method_label(self) -> str:
        return METHODS[self.method]


@dataclass(frozen=True, slots=True)
class PanelResult:
    """The ranked results of a panel; `normalised` tells whether z-scores were used, and
    `panel_mean` / `panel_sd` are the scale they were mapped back to (None otherwise)."""

    results: tuple[EntryResult, ...]
    normalised: bool
    panel_mean: Decimal | None = None
    panel_sd: Decimal | None = None
    notes: tuple[str, ...] = ()

    def result(self, entry: str) -> EntryResult:
        """The result of this entry (KeyError if it has no counted sheet)."""
        for result in self.results:
            if result.entry == entry:
                return result
        raise KeyError(entry)


def _mean(values: Collection[Decimal]) -> Decimal:
    return sum(values, ZERO) / len(values)


def _pstdev(values: Collection[Decimal]) -> Decimal:
    mean = _mean(values)
    variance = sum(((v - mean) ** 2 for v in values), ZERO) / len(values)
    return variance.sqrt()


def _fmt(value: Decimal) -> str:
    return f"{round_cent(value)}"


def needs_normalisation(sheets: Iterable[ScoreSheet]) -> bool:
    """True when the judges did not all score the same set of entries."""
    entries_by_judge: dict[str, set[str]] = defaultdict(set)
    for sheet in sheets:
        entries_by_judge[sheet.judge].add(sheet.entry)
    return len({frozenset(entries) for entries in entries_by_judge.values()}) > 1


def _normalise(
    sheets: list[ScoreSheet],
) -> tuple[dict[tuple[str, str], Decimal], Decimal, Decimal, list[str]]:
    """Per-judge z-scores mapped onto the panel's mean and sd; returns values keyed by
    (judge, entry), the panel mean and sd, and one note per judge."""
    panel_mean = _mean([s.total for s in sheets])
    panel_sd = _pstdev([s.total for s in sheets])
    by_judge: dict[str, list[ScoreSheet]] = defaultdict(list)
    for sheet in sheets:
        by_judge[sheet.judge].append(sheet)
    values: dict[tuple[str, str], Decimal] = {}
    notes: list[str] = []
    for judge in sorted(by_judge):
        own = by_judge[judge]
        totals = [s.total for s in own]
        mean, sd = _mean(totals), _pstdev(totals)
        if len(own) < 2 or sd == ZERO:
            reason = "只评了 1 个项目" if len(own) < 2 else "所评分数没有差异"
            notes.append(f"评委 {judge} {reason}，保留原始分")
            for sheet in own:
                values[(judge, sheet.entry)] = sheet.total
            continue
        notes.append(
            f"评委 {judge}：本人均值 {_fmt(mean)}、标准差 {_fmt(sd)}，"
            f"换算到全体均值 {_fmt(panel_mean)}、标准差 {_fmt(panel_sd)}"
        )
        for sheet in own:
            value = panel_mean + (sheet.total - mean) / sd * panel_sd
            values[(judge, sheet.entry)] = min(max(value, SCALE_MIN), SCALE_MAX)
    return values, panel_mean, panel_sd, notes


@dataclass(frozen=True, slots=True)
class _Scored:
    entry: str
    score: Decimal
    method: Method
    judges_scored: int
    kept: tuple[ScoreSheet, ...]
    explanation: tuple[str, ...]


def _score_entry(
    entry: str,
    sheets: list[ScoreSheet],
    values: dict[tuple[str, str], Decimal],
    excused_lines: list[str],
    normalised: bool,
) -> _Scored:
    lines = list(excused_lines)
    # Deterministic order: value, then judge code, so ties drop the same judge every time.
    ordered = sorted(sheets, key=lambda s: (values[(s.judge, s.entry)], s.judge))
    if normalised:
        for sheet in sorted(sheets, key=lambda s: s.judge):
            value = values[(sheet.judge, entry)]
            if value != sheet.total:
                lines.append(f"评委 {sheet.judge} 原始分 {_fmt(sheet.total)} → 标准化后 {_fmt(value)}")
    method: Method
    if len(ordered) >= TRIM_MIN_JUDGES:
        method = "trimmed_mean"
        low = ordered[0]
        top = values[(ordered[-1].judge, entry)]
        high = next(s for s in ordered if values[(s.judge, entry)] == top)
        lines.append(f"去掉最高分：评委 {high.judge} {_fmt(values[(high.judge, entry)])}")
        lines.append(f"去掉最低分：评委 {low.judge} {_fmt(values[(low.judge, entry)])}")
        kept = [s for s in ordered if s is not low and s is not high]
    else:
        method = "mean"
        kept = ordered
    score = round_cent(_mean([values[(s.judge, entry)] for s in kept]))
    lines.append(f"{len(ordered)} 位评委计分，{METHODS[method]}（{len(kept)} 位）：{score}")
    return _Scored(entry, score, method, len(ordered), tuple(kept), tuple(lines))


def aggregate_panel(
    rubric: Rubric,
    sheets: Iterable[ScoreSheet],
    *,
    excused: Collection[tuple[str, str]] = (),
    normalise: bool | None = None,
) -> PanelResult:
    """Rank the entries of a panel from the judges' sheets (rules in the module docstring).

    `excused` holds (judge, entry) pairs the judge is excused from (回避); `normalise`
    None applies z-scores only when the judges scored different subsets of entries.
    """
    excused_pairs = set(excused)
    counted: list[ScoreSheet] = []
    excused_lines: dict[str, list[str]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for sheet in sheets:
        key = (sheet.judge, sheet.entry)
        if key in seen:
            raise AggregationError(f"评委 {sheet.judge} 对项目 {sheet.entry} 重复评分")
        seen.add(key)
        if tuple(code for code, _ in sheet.scores) != rubric.codes:
            raise RubricError(
                f"评委 {sheet.judge} 对项目 {sheet.entry} 的评分表不是按评审标准 {rubric.code} 填写的"
            )
        if key in excused_pairs:
            excused_lines[sheet.entry].append(f"评委 {sheet.judge} 回避，不计分")
            continue
        counted.append(sheet)
    for judge, entry in sorted(excused_pairs - seen):
        excused_lines[entry].append(f"评委 {judge} 回避")

    apply = needs_normalisation(counted) if normalise is None else normalise
    panel_mean: Decimal | None = None
    panel_sd: Decimal | None = None
    notes: list[str] = []
    with localcontext() as ctx:
        ctx.prec = 28
        if apply and counted:
            values, panel_mean, panel_sd, notes = _normalise(counted)
        else:
            values = {(s.judge, s.entry): s.total for s in counted}
        by_entry: dict[str, list[ScoreSheet]] = defaultdict(list)
        for sheet in counted:
            by_entry[sheet.entry].append(sheet)
        scored = [
            _score_entry(entry, by_entry[entry], values, excused_lines[entry], apply) for entry in by_entry
        ]

    tie_values = {item.entry: _criterion_scores(rubric, item) for item in scored}

    def sort_key(item: _Scored) -> tuple[Decimal, ...]:
        return (item.score, *(value for _, value in tie_values[item.entry]))

    scored.sort(key=lambda item: item.entry)
    scored.sort(key=sort_key, reverse=True)
    results: list[EntryResult] = []
    previous_key: tuple[Decimal, ...] | None = None
    rank = 0
    for position, item in enumerate(scored, start=1):
        order_key = sort_key(item)
        if order_key != previous_key:
            rank = position
        lines = list(item.explanation)
        neighbours = [other for other in scored if other is not item and other.score == item.score]
        if neighbours:
            lines.extend(_tie_lines(rubric, item, neighbours, tie_values))
        results.append(
            EntryResult(
                entry=item.entry,
                rank=rank,
                score=item.score,
                method=item.method,
                judges_scored=item.judges_scored,
                judges_counted=len(item.kept),
                criterion_scores=tie_values[item.entry],
                explanation=tuple(lines),
            )
        )
        previous_key = order_key
    return PanelResult(
        results=tuple(results),
        normalised=apply,
        panel_mean=round_cent(panel_mean) if panel_mean is not None else None,
        panel_sd=round_cent(panel_sd) if panel_sd is not None else None,
        notes=tuple(notes),
    )


def _criterion_scores(rubric: Rubric, item: _Scored) -> tuple[tuple[str, Decimal], ...]:
    """Per-criterion points averaged over the kept sheets, in rubric order (tie-break values)."""
    return tuple(
        (c.code, round_cent(_mean([c.points(s.score(c.code)) for s in item.kept]))) for c in rubric.criteria
    )


def _tie_lines(
    rubric: Rubric,
    item: _Scored,
    neighbours: list[_Scored],
    tie_values: dict[str, tuple[tuple[str, Decimal], ...]],
) -> list[str]:
    """One line per entry with the same score: which criterion decided, or a shared rank."""
    mine = tie_values[item.entry]
    lines = []
    for other in sorted(neighbours, key=lambda o: o.entry):
        theirs = tie_values[other.entry]
        for index, criterion in enumerate(rubric.criteria):
            if mine[index][1] != theirs[index][1]:
                lines.append(
                    f"与 {other.entry} 同分 {item.score}，按评分项顺序比较“{criterion.name}”："
                    f"本项目 {mine[index][1]}，{other.entry} {theirs[index][1]}"
                )
                break
        else:
            lines.append(f"与 {other.entry} 同分 {item.score}，各评分项也相同，名次并列")
    return lines
