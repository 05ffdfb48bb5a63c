"""The import contract's CSV files read into documents (no database).

`C.csv` = `external_id,name,honours,region,industry,trades,skills,bio` and `O.csv` =
`external_id,title,type,industry,description` (spec/assist.md); list fields are separated by
"、" (a "," or "；" typed by hand is accepted too). Rows get ids 1, 2, … in file order; the
import command stores them in the database and the context builder uses the real ids.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable

from gonghui.assist.engine.documents import CraftsmanDoc, OutcomeDoc

CRAFTSMEN_COLUMNS = ("external_id", "name", "honours", "region", "industry", "trades", "skills", "bio")
OUTCOMES_COLUMNS = ("external_id", "title", "type", "industry", "description")
# Craftsmen imported from a file have no booking yet: they can take requests.
DEFAULT_CAPACITY = 3

_LIST_SEPARATORS = re.compile(r"[、,，;；]")


class ContractError(ValueError):
    """A file that does not follow the import contract; the message names the row."""


def split_list(value: str) -> tuple[str, ...]:
    """ "全国劳动模范、浙江工匠" → ("全国劳动模范", "浙江工匠"); blanks dropped."""
    return tuple(part.strip() for part in _LIST_SEPARATORS.split(value) if part.strip())


def _rows(lines: Iterable[str], columns: tuple[str, ...]) -> list[dict[str, str]]:
    reader = csv.DictReader(lines)
    missing = [c for c in columns if c not in (reader.fieldnames or ())]
    if missing:
        raise ContractError(f"缺少列：{', '.join(missing)}")
    rows = []
    for line_no, row in enumerate(reader, start=2):
        if not (row.get("external_id") or "").strip():
            raise ContractError(f"第 {line_no} 行：external_id 为空")
        rows.append({c: (row.get(c) or "").strip() for c in columns})
    return rows


def parse_craftsmen_csv(lines: Iterable[str]) -> tuple[CraftsmanDoc, ...]:
    """Craftsmen from the contract CSV (text lines, header first)."""
    return tuple(
        CraftsmanDoc(
            id=i,
            external_id=row["external_id"],
            name=row["name"],
            honours=split_list(row["honours"]),
            region=row["region"],
            industry=row["industry"].upper(),
            trades=split_list(row["trades"]),
            skills=split_list(row["skills"]),
            bio=row["bio"],
            capacity_left=DEFAULT_CAPACITY,
        )
        for i, row in enumerate(_rows(lines, CRAFTSMEN_COLUMNS), start=1)
    )


def parse_outcomes_csv(lines: Iterable[str]) -> tuple[OutcomeDoc, ...]:
    """Outcomes from the contract CSV (text lines, header first)."""
    return tuple(
        OutcomeDoc(
            id=i,
            external_id=row["external_id"],
            title=row["title"],
            type=row["type"],
            industry=row["industry"].upper(),
            description=row["description"],
        )
        for i, row in enumerate(_rows(lines, OUTCOMES_COLUMNS), start=1)
    )
