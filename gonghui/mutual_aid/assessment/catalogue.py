"""The critical-illness catalogue: categories as data (CSV), loaded into frozen dataclasses.

The catalogue says which ICD-10 diagnosis prefixes and ICD-9-CM-3 procedure prefixes prove
which category, with which decision and what evidence a reviewer still needs. Codes are
normalised before matching (`normalise_code`) and matched by prefix, exclusions first.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from gonghui.mutual_aid.assessment.types import DECISION_STRENGTH, SEVERITY_RANK, Decision, Severity

CATALOGUE_PATH = Path(__file__).resolve().parent.parent / "data" / "critical_illness.csv"

REQUIRED_COLUMNS: tuple[str, ...] = (
    "code",
    "name_zh",
    "severity",
    "sex",
    "dx_prefixes",
    "dx_excludes",
    "dx_decision",
    "proc_prefixes",
    "proc_decision",
    "evidence",
)
# Project extensions; the shared starting catalogue has none of them and still loads.
OPTIONAL_COLUMNS: tuple[str, ...] = ("proc_excludes", "proc_name_keywords", "proc_name_excludes")

RULE_DECISIONS: frozenset[str] = frozenset({"auto_accept", "needs_review"})
SEXES: frozenset[str] = frozenset({"M", "F"})
_CATEGORY_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
# The 医保版 local extension: an `x` after the base code and anything after it. The first
# character is never taken as the extension: `X` is a real ICD-10 chapter (X00–X59).
_EXTENSION = re.compile(r"^(.[^X]*)X.*$", re.DOTALL)
_NOT_CODE_CHAR = re.compile(r"[^0-9A-Z]")

MatchKind = Literal["dx", "proc"]
# Raw codes repeat across settlements; matching each distinct one once is most of the speed.
CODE_CACHE_SIZE = 100_000


class CatalogueError(ValueError):
    """A catalogue file that cannot be used; names the file line and the column."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None):
        self.row = row
        self.column = column
        self.message = message
        where = []
        if row is not None:
            where.append(f"第 {row} 行")
        if column is not None:
            where.append(f"列“{column}”")
        super().__init__(f"重疾目录{'，'.join(where)}：{message}" if where else message)


def normalise_code(raw: str | None) -> str:
    """A diagnosis or procedure code as the catalogue compares it.

    Upper case, surrounding space stripped, the 医保版 local extension (`x…` after the base
    code) dropped, then everything but letters and digits (dots, `+`/`*` dagger marks)
    removed: `"I21.900x011"` → `"I21900"`, `"36.1x"` → `"361"`. None → `""`.
    """
    if not raw:
        return ""
    text = unicodedata.normalize("NFKC", raw).strip().upper()
    match = _EXTENSION.match(text)
    if match:
        text = match.group(1)
    return _NOT_CODE_CHAR.sub("", text)


def _starts_with_any(code: str, prefixes: tuple[str, ...]) -> str | None:
    """The longest prefix of `prefixes` that `code` starts with, if any."""
    best: str | None = None
    for prefix in prefixes:
        if code.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best


@dataclass(frozen=True, slots=True)
class Category:
    """One critical-illness category: which codes prove it, with what decision, and what
    evidence is still required. Exclusions are checked before prefixes."""

    code: str
    name_zh: str
    severity: Severity
    sex: str | None
    dx_prefixes: tuple[str, ...]
    dx_excludes: tuple[str, ...]
    dx_decision: Decision | None
    proc_prefixes: tuple[str, ...]
    proc_excludes: tuple[str, ...]
    proc_decision: Decision | None
    proc_name_keywords: tuple[str, ...]
    proc_name_excludes: tuple[str, ...]
    evidence: str

    def match_dx(self, code: str) -> str | None:
        """The prefix by which a normalised diagnosis code matches, or None (excluded first)."""
        if not code or _starts_with_any(code, self.dx_excludes):
            return None
        return _starts_with_any(code, self.dx_prefixes)

    def match_proc(self, code: str) -> str | None:
        """The prefix by which a normalised procedure code matches, or None (excluded first)."""
        if not code or _starts_with_any(code, self.proc_excludes):
            return None
        return _starts_with_any(code, self.proc_prefixes)

    def proc_name_keyword(self, name: str) -> str | None:
        """The keyword by which a procedure NAME points to this category (no excluding word
        present), or None. Categories without keywords never match by name."""
        text = unicodedata.normalize("NFKC", name).upper()
        if any(word in text for word in self.proc_name_excludes):
            return None
        for word in self.proc_name_keywords:
            if word in text:
                return word
        return None

    def proc_name_contradicts(self, name: str) -> bool:
        """True when a procedure name says this is NOT the category's operation: it has an
        excluding word (e.g. 经导管, 腔内) or none of the expected keywords. Categories
        without keywords cannot judge a name and never contradict."""
        if not self.proc_name_keywords:
            return False
        return self.proc_name_keyword(name) is None


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A category matched by one code: `dx_rule:<prefix>` or `proc_rule:<prefix>`."""

    category: Category
    kind: MatchKind
    prefix: str

    @property
    def decision(self) -> Decision:
        """The catalogue's decision for this kind of match."""
        decision = self.category.dx_decision if self.kind == "dx" else self.category.proc_decision
        return decision or "needs_review"

    @property
    def rule_id(self) -> str:
        """Stable id of the rule that matched, stored with the result."""
        return f"{self.kind}_rule:{self.prefix}"


@dataclass(frozen=True)
class Catalogue:
    """All categories, in file order, with prefix indexes for fast matching."""

    categories: tuple[Category, ...]
    version: str = ""
    _by_code: dict[str, Category] = field(init=False, repr=False, compare=False)
    _dx_index: dict[str, tuple[Category, ...]] = field(init=False, repr=False, compare=False)
    _proc_index: dict[str, tuple[Category, ...]] = field(init=False, repr=False, compare=False)
    _cache: dict[tuple[MatchKind, str], tuple[RuleHit, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Index each prefix → categories so matching a code costs O(len(code)) lookups
        # instead of a scan of every category.
        dx: dict[str, list[Category]] = {}
        proc: dict[str, list[Category]] = {}
        for category in self.categories:
            for prefix in category.dx_prefixes:
                dx.setdefault(prefix, []).append(category)
            for prefix in category.proc_prefixes:
                proc.setdefault(prefix, []).append(category)
        object.__setattr__(self, "_by_code", {c.code: c for c in self.categories})
        object.__setattr__(self, "_dx_index", {k: tuple(v) for k, v in dx.items()})
        object.__setattr__(self, "_proc_index", {k: tuple(v) for k, v in proc.items()})
        object.__setattr__(self, "_cache", {})

    def __iter__(self) -> Iterator[Category]:
        return iter(self.categories)

    def __len__(self) -> int:
        return len(self.categories)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Category:
        """The category with this code (KeyError when unknown)."""
        return self._by_code[code]

    @property
    def codes(self) -> tuple[str, ...]:
        """Category codes in file order."""
        return tuple(c.code for c in self.categories)

    def _match(self, code: str, kind: MatchKind) -> tuple[RuleHit, ...]:
        index = self._dx_index if kind == "dx" else self._proc_index
        found: dict[str, RuleHit] = {}
        for end in range(1, len(code) + 1):
            for category in index.get(code[:end], ()):
                prefix = category.match_dx(code) if kind == "dx" else category.match_proc(code)
                if prefix is not None:
                    found[category.code] = RuleHit(category, kind, prefix)
        if len(found) < 2:
            return tuple(found.values())
        order = {c: i for i, c in enumerate(self._by_code)}
        return tuple(sorted(found.values(), key=lambda hit: order[hit.category.code]))

    def _cached_match(self, raw_code: str | None, kind: MatchKind) -> tuple[RuleHit, ...]:
        key = (kind, raw_code or "")
        hits = self._cache.get(key)
        if hits is None:
            hits = self._match(normalise_code(raw_code), kind)
            if len(self._cache) >= CODE_CACHE_SIZE:
                self._cache.clear()  # bounded memory; a miss only costs a recomputation
            self._cache[key] = hits
        return hits

    def match_diagnosis(self, raw_code: str | None) -> tuple[RuleHit, ...]:
        """Categories a diagnosis code proves (after normalisation), in catalogue order."""
        return self._cached_match(raw_code, "dx")

    def match_procedure(self, raw_code: str | None) -> tuple[RuleHit, ...]:
        """Categories a procedure code proves (after normalisation), in catalogue order."""
        return self._cached_match(raw_code, "proc")

    def implied(self, code: str) -> tuple[str, ...]:
        """The category itself plus every category its diagnosis codes always also match.

        Derived from the data, not hand-listed: `female_cancer` (C50–C58) implies
        `malignant_tumor` (C, minus C44/C73) because every one of its prefixes matches it.
        Used to expand a text-model label into the categories the same code would give.
        """
        category = self.get(code)
        result = [code]
        if category.dx_prefixes:
            for other in self.categories:
                covered = all(other.match_dx(prefix) for prefix in category.dx_prefixes)
                if other.code != code and covered:
                    result.append(other.code)
        return tuple(result)

    def sort_key(self, code: str) -> tuple[int, int]:
        """Most severe first, then catalogue order (used to order an assessment)."""
        category = self.get(code)
        return (-SEVERITY_RANK[category.severity], self.codes.index(code))


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split("|") if part.strip())


def _words(value: str) -> tuple[str, ...]:
    # Names are compared upper-cased (NFKC), so Latin keywords like CABG match cabg.
    return tuple(word.upper() for word in _split_list(value))


def _parse_prefixes(value: str, *, row: int, column: str) -> tuple[str, ...]:
    prefixes = []
    for part in _split_list(value):
        prefix = normalise_code(part)
        if not prefix:
            raise CatalogueError(f"无效的编码前缀“{part}”", row=row, column=column)
        prefixes.append(prefix)
    return tuple(prefixes)


def _prefix_column(row: dict[str, str], column: str, line: int) -> tuple[str, ...]:
    # Optional columns (the project's extensions) read as empty in the shared catalogue.
    return _parse_prefixes(row.get(column, ""), row=line, column=column)


def _parse_decision(value: str, *, row: int, column: str, needed: bool) -> Decision | None:
    value = value.strip()
    if not value:
        if needed:
            raise CatalogueError("有编码前缀时必须填写决定（auto_accept 或 needs_review）",
                                 row=row, column=column)  # fmt: skip
        return None
    if value not in RULE_DECISIONS:
        raise CatalogueError(
            f"未知的决定“{value}”（应为 auto_accept 或 needs_review）", row=row, column=column
        )
    return cast(Decision, value)


def parse_catalogue(text: str, *, source: str = "") -> Catalogue:
    """Parse and validate catalogue CSV text; raises CatalogueError naming line and column.

    Rejected: a missing column, an empty or malformed or duplicate category code, an unknown
    severity, sex or decision, a prefix that is not a code, prefixes without a decision.
    """
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    for column in REQUIRED_COLUMNS:
        if column not in header:
            raise CatalogueError("缺少必需的列", row=1, column=column)
    unknown = [h for h in header if h not in REQUIRED_COLUMNS and h not in OPTIONAL_COLUMNS]
    if unknown:
        raise CatalogueError("未知的列", row=1, column=unknown[0])
    reader.fieldnames = header
    categories: list[Category] = []
    seen: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        if None in raw:
            raise CatalogueError("字段数多于表头", row=line)
        row = {k: (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        code = row["code"]
        if not code:
            raise CatalogueError("类别代码不能为空", row=line, column="code")
        if not _CATEGORY_CODE.match(code):
            raise CatalogueError(f"类别代码“{code}”只能用小写字母、数字和下划线",
                                 row=line, column="code")  # fmt: skip
        if code in seen:
            raise CatalogueError(f"类别代码“{code}”与第 {seen[code]} 行重复",
                                 row=line, column="code")  # fmt: skip
        seen[code] = line
        if not row["name_zh"]:
            raise CatalogueError("中文名称不能为空", row=line, column="name_zh")
        severity = row["severity"]
        if severity not in SEVERITY_RANK:
            raise CatalogueError(f"未知的严重程度“{severity}”（应为 severe、mild 或 other）",
                                 row=line, column="severity")  # fmt: skip
        sex = row["sex"].upper() or None
        if sex is not None and sex not in SEXES:
            raise CatalogueError(f"未知的性别“{row['sex']}”（应为 M、F 或留空）",
                                 row=line, column="sex")  # fmt: skip
        dx_prefixes = _prefix_column(row, "dx_prefixes", line)
        proc_prefixes = _prefix_column(row, "proc_prefixes", line)
        if not dx_prefixes and not proc_prefixes:
            raise CatalogueError("至少需要一个诊断或手术编码前缀", row=line, column="dx_prefixes")
        categories.append(
            Category(
                code=code,
                name_zh=row["name_zh"],
                severity=cast(Severity, severity),
                sex=sex,
                dx_prefixes=dx_prefixes,
                dx_excludes=_prefix_column(row, "dx_excludes", line),
                dx_decision=_parse_decision(
                    row["dx_decision"], row=line, column="dx_decision", needed=bool(dx_prefixes)
                ),
                proc_prefixes=proc_prefixes,
                proc_excludes=_prefix_column(row, "proc_excludes", line),
                proc_decision=_parse_decision(
                    row["proc_decision"],
                    row=line,
                    column="proc_decision",
                    needed=bool(proc_prefixes),
                ),
                proc_name_keywords=_words(row.get("proc_name_keywords", "")),
                proc_name_excludes=_words(row.get("proc_name_excludes", "")),
                evidence=row["evidence"],
            )
        )
    if not categories:
        raise CatalogueError(f"重疾目录 {source} 没有任何类别" if source else "重疾目录没有任何类别")
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return Catalogue(tuple(categories), version=f"catalogue-{version}")


def load_catalogue(path: str | Path = CATALOGUE_PATH) -> Catalogue:
    """Load and validate a catalogue CSV (UTF-8, optional BOM)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    return parse_catalogue(text, source=str(path))


# Re-exported so callers comparing decisions need one import.
__all__ = [
    "CATALOGUE_PATH",
    "DECISION_STRENGTH",
    "Catalogue",
    "CatalogueError",
    "Category",
    "RuleHit",
    "load_catalogue",
    "normalise_code",
    "parse_catalogue",
]
