"""Reading and writing tables (xlsx / csv) for imports and exports.

Imports are all-or-nothing by default: every row is checked first, errors name the row (as
a spreadsheet numbers it: the header is row 1), the column and the reason, and nothing is
written unless the caller chooses to import only the valid rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill

MAX_IMPORT_BYTES = 50 * 1024 * 1024
MAX_REPORTED_ERRORS = 500


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in an import file."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row else "文件"
        return f"{where}「{self.column}」：{self.message}" if self.column else f"{where}：{self.message}"


class TableError(Exception):
    """The file as a whole cannot be read (type, encoding, size, missing columns) or has bad rows."""

    def __init__(self, errors: list[RowError], total_errors: int | None = None) -> None:
        self.errors = errors[:MAX_REPORTED_ERRORS]
        self.total_errors = total_errors if total_errors is not None else len(errors)
        super().__init__("; ".join(str(e) for e in self.errors[:5]))


@dataclass(slots=True)
class Row:
    number: int
    values: dict[str, str]


@dataclass(slots=True)
class ImportReport:
    """What an import did: counts and the rejected rows (when valid rows were imported)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)
    rejected_rows: list[Row] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [{"row": e.row, "column": e.column, "message": e.message} for e in self.rejected],
        }


def _decode(data: bytes) -> str:
    # UTF-8 (with or without BOM) first, strictly; Chinese Excel saves CSV as GB18030/GBK.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError([RowError(0, "", "无法识别文件编码，请使用 UTF-8 或 GB18030 编码的 CSV")])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat") and not isinstance(value, str):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value).strip()


def read_table(
    data: bytes,
    filename: str,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    aliases: dict[str, str] | None = None,
) -> Iterator[Row]:
    """Yield rows of a csv/xlsx file as dicts keyed by column name, after checking the header.

    ``aliases`` maps Chinese header titles (as in the download template) to column names.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise TableError([RowError(0, "", f"文件超过 {MAX_IMPORT_BYTES // 1024 // 1024} MB 上限")])
    lower = filename.lower()
    raw_rows: Iterable[Sequence[Any]]
    if lower.endswith(".xlsx"):
        if not data.startswith(b"PK"):
            raise TableError([RowError(0, "", "文件不是有效的 xlsx 工作簿")])
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for corrupt files
            raise TableError([RowError(0, "", "无法读取 xlsx 文件，文件可能已损坏")]) from exc
        raw_rows = workbook.worksheets[0].iter_rows(values_only=True)
    elif lower.endswith(".csv") or lower.endswith(".txt"):
        raw_rows = csv.reader(io.StringIO(_decode(data)))
    else:
        raise TableError([RowError(0, "", "仅支持 .xlsx 或 .csv 文件")])
    iterator = iter(raw_rows)
    try:
        header_cells = next(iterator)
    except StopIteration:
        raise TableError([RowError(0, "", "文件为空")]) from None
    aliases = aliases or {}
    header = [aliases.get(_cell(h), _cell(h)) for h in header_cells]
    missing = [name for name in required if name not in header]
    if missing:
        raise TableError([RowError(1, name, "缺少必需的列") for name in missing])
    known = set(required) | set(optional)
    positions = [(i, name) for i, name in enumerate(header) if name in known]
    for number, cells in enumerate(iterator, start=2):
        values = {name: (_cell(cells[i]) if i < len(cells) else "") for i, name in positions}
        if not any(values.values()):
            continue  # blank lines at the end of spreadsheets are normal
        yield Row(number=number, values=values)


_SHEET_TITLE_FORBIDDEN = str.maketrans({c: "-" for c in "[]:*?/\\"})


def safe_sheet_title(title: str) -> str:
    """A page title as an Excel sheet name: the characters Excel forbids ([]:*?/\\) become
    "-", at most 31 characters, never empty."""
    return title.translate(_SHEET_TITLE_FORBIDDEN).strip()[:31] or "数据"


def add_sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Append a sheet to a write-only workbook: a bold, shaded header row, then the rows (every
    export and statistics workbook has this one look)."""
    from openpyxl.cell import WriteOnlyCell

    sheet = workbook.create_sheet(title=safe_sheet_title(title))
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append(list(row))


def build_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet_title: str = "数据") -> bytes:
    """An xlsx file (write-only mode: constant memory) with a bold header row."""
    workbook = Workbook(write_only=True)
    add_sheet(workbook, sheet_title, headers, rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_csv(stream: IO[str], headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(stream)
    writer.writerow(headers)
    writer.writerows(rows)
