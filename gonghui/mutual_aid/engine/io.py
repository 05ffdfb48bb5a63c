"""Reading settlement and enrolment CSV files into engine records, with row-level checks.

Files come from 医保 exports and from staff spreadsheets: UTF-8 (with or without BOM) or
GB18030. Every row is validated; a bad file is rejected as a whole (all-or-nothing, as the
intake is) with one exception listing each problem by spreadsheet row number (the header is
row 1), column and a Chinese reason.

Settlements are streamed (the csv module, one row at a time) and repeated values — ID
numbers, names, diagnosis strings, dates, common amounts — are shared between rows, so a
million settlements stay well under 1 GB.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from gonghui.core.masking import mask_id_number
from gonghui.mutual_aid.engine.records import (
    MED_TYPES,
    ZERO,
    Enrolment,
    Settlement,
    is_valid_certno,
)

MAX_ERRORS = 200

SETTLEMENT_REQUIRED: tuple[str, ...] = (
    "setl_id",
    "certno",
    "med_type",
    "hosp_lv",
    "begndate",
    "enddate",
    "medfee_sumamt",
    "fund_pay_sumamt",
    "hosp_part_amt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
)
# Columns the calculation can do without: defaults are empty text, 0 amounts, not a
# reversal, and valid (the spec's default for vali_flag).
SETTLEMENT_OPTIONAL: tuple[str, ...] = (
    "psn_name",
    "fixmedins_name",
    "preselfpay_amt",
    "diag_codes",
    "diag_names",
    "oprn_codes",
    "refd_setl_flag",
    "orig_setl_id",
    "vali_flag",
)
# The full column order of a settlements file as the national platform exports it (used by
# the demo data, benchmarks and tests that write such files).
SETTLEMENT_HEADER: tuple[str, ...] = (
    "setl_id", "certno", "psn_name", "med_type", "hosp_lv", "fixmedins_name", "begndate",
    "enddate", "medfee_sumamt", "fund_pay_sumamt", "hosp_part_amt", "fulamt_ownpay_amt",
    "overlmt_selfpay", "preselfpay_amt", "diag_codes", "diag_names", "oprn_codes",
    "refd_setl_flag", "orig_setl_id", "vali_flag",
)  # fmt: skip
ENROLMENT_COLUMNS: tuple[str, ...] = ("certno", "year", "item", "start_date", "renewal")

COLUMN_LABELS: dict[str, str] = {
    "setl_id": "结算单号",
    "certno": "身份证号",
    "psn_name": "姓名",
    "med_type": "医疗类别",
    "hosp_lv": "医院等级",
    "fixmedins_name": "医疗机构",
    "begndate": "开始日期",
    "enddate": "结束日期",
    "medfee_sumamt": "医疗费总额",
    "fund_pay_sumamt": "基金支付总额",
    "hosp_part_amt": "医院负担金额",
    "fulamt_ownpay_amt": "全自费金额",
    "overlmt_selfpay": "超限价自费",
    "preselfpay_amt": "先行自付金额",
    "diag_codes": "诊断编码",
    "diag_names": "诊断名称",
    "oprn_codes": "手术操作编码",
    "refd_setl_flag": "冲销标志",
    "orig_setl_id": "原结算单号",
    "vali_flag": "有效标志",
    "year": "年度",
    "item": "互助项目",
    "start_date": "参保开始日期",
    "renewal": "续保标志",
}

_AMOUNT_OK = re.compile(r"\d{1,12}(?:\.\d{1,2})?")
_DATE_OK = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")
_BOOL_TEXT = {"0": False, "1": True}
_HOSP_LEVELS = {"": 0, "0": 0, "1": 1, "2": 2, "3": 3}
_MED_TYPE_KEYS = {code: code for code in MED_TYPES}  # one shared str per code
_ITEM_CODE = re.compile(r"[a-z][a-z0-9_]*")
_GB18030_BOM = b"\x84\x31\x95\x33"

# Shared-value caches are bounded: past this many distinct values new ones are not shared
# (they are rare by then), so a hostile file cannot grow the cache without limit.
_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class RowError:
    """One invalid cell or row: spreadsheet row number (header = 1), column, reason."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.column:
            return f"第 {self.row} 行：{self.message}"
        label = COLUMN_LABELS.get(self.column)
        col = f"{self.column}（{label}）" if label else self.column
        return f"第 {self.row} 行 {col}：{self.message}"


class InputFileError(ValueError):
    """A CSV file was rejected; `errors` lists the first problems, `total` counts them all."""

    def __init__(self, source: str, errors: list[RowError], total: int) -> None:
        self.source = source
        self.errors = errors
        self.total = total
        lines = [f"文件 {source} 有 {total} 处错误，未导入任何数据："]
        lines += [str(e) for e in errors]
        if total > len(errors):
            lines.append(f"……另有 {total - len(errors)} 处错误未列出")
        super().__init__("\n".join(lines))


@dataclass(slots=True)
class ReadStats:
    """Filled in while a file is read: encoding used and data rows seen."""

    encoding: str = ""
    rows: int = 0


@dataclass(slots=True)
class _Errors:
    source: str
    limit: int
    items: list[RowError] = field(default_factory=list)
    total: int = 0

    def add(self, row: int, column: str, message: str) -> None:
        self.total += 1
        if len(self.items) < self.limit:
            self.items.append(RowError(row, column, message))

    def raise_if_any(self) -> None:
        if self.total:
            raise InputFileError(self.source, self.items, self.total)


def detect_encoding(path: str | Path) -> str:
    """`utf-8-sig` when the whole file is valid UTF-8 (BOM optional), else `gb18030`.

    UTF-8 is tried strictly first: GB18030 decodes almost any bytes, so trying it first
    would turn UTF-8 files into mojibake without an error.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with open(path, "rb") as fh:
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


def _open_rows(path: str | Path, errors: _Errors, stats: ReadStats) -> Iterator[tuple[int, list[str]]] | None:
    """Header check done by the caller; yields (row number, cells) for non-blank rows."""
    p = Path(path)
    with open(p, "rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(b"PK\x03\x04"):
        errors.add(1, "", "这是 Excel（xlsx）或压缩文件，请另存为 CSV（UTF-8 或 GB18030）")
        return None
    if not head:
        errors.add(1, "", "文件为空（缺少表头行）")
        return None
    if b"\x00" in head:
        # Text CSV never holds NUL bytes; old .xls and UTF-16 exports do.
        errors.add(1, "", "文件含有二进制内容（NUL 字节），不是 CSV 文本文件（可能是 xls 或 UTF-16）")
        return None
    stats.encoding = detect_encoding(p)
    return _rows(p, stats.encoding, errors, stats)


def _rows(path: Path, encoding: str, errors: _Errors, stats: ReadStats) -> Iterator[tuple[int, list[str]]]:
    row_no = 0
    with open(path, encoding=encoding, newline="", errors="strict") as fh:
        try:
            if encoding == "gb18030":
                # A GB18030 BOM decodes to U+FEFF; drop it like utf-8-sig does for UTF-8.
                # (Reading one character decodes a whole buffer: inside the try.)
                first = fh.read(1)
                if first != "\ufeff":
                    fh.seek(0)
            reader = csv.reader(fh)
            for row_no, cells in enumerate(reader, start=1):
                if not any(cells):
                    continue
                if row_no > 1:
                    stats.rows += 1
                yield row_no, cells
        except csv.Error as exc:
            errors.add(row_no + 1, "", f"CSV 格式错误：{exc}")
        except UnicodeDecodeError:
            errors.add(row_no + 1, "", "文件编码无法识别（应为 UTF-8 或 GB18030）")


def _header(
    rows: Iterator[tuple[int, list[str]]],
    required: tuple[str, ...],
    optional: tuple[str, ...],
    errors: _Errors,
) -> dict[str, int] | None:
    """Column name → index; one error names every missing column."""
    first = next(rows, None)
    if first is None:
        if not errors.total:
            errors.add(1, "", "文件为空（缺少表头行）")
        return None
    row_no, cells = first
    names = [c.strip().lstrip("\ufeff") for c in cells]
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in index and name in (*required, *optional):
            errors.add(row_no, name, "表头中该列重复")
        index.setdefault(name, i)
    missing = [c for c in required if c not in index]
    if missing:
        errors.add(row_no, "", "缺少必需的列：" + ", ".join(missing))
        return None
    return {name: index[name] for name in (*required, *optional) if name in index}


class _Shared:
    """Caches that let rows share equal values (IDs, names, dates, amounts)."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.text: dict[str, str] = {}
        self.dates: dict[str, date | str] = {}  # value or the error message
        self.amounts: dict[str, Decimal] = {}
        self.certnos: dict[str, str] = {}

    def share(self, value: str) -> str:
        found = self.text.get(value)
        if found is not None:
            return found
        if len(self.text) < _CACHE_LIMIT:
            value = sys.intern(value)
            self.text[value] = value
        return value

    def date(self, raw: str) -> date | str:
        found = self.dates.get(raw)
        if found is not None:
            return found
        value = _parse_date(raw, self.today)
        if len(self.dates) < _CACHE_LIMIT:
            self.dates[raw] = value
        return value

    def amount(self, raw: str) -> Decimal | str:
        found = self.amounts.get(raw)
        if found is not None:
            return found
        value = _parse_amount(raw)
        if isinstance(value, Decimal) and len(self.amounts) < _CACHE_LIMIT:
            self.amounts[raw] = value
        return value

    def certno(self, raw: str) -> str | None:
        found = self.certnos.get(raw)
        if found is not None:
            return found
        value = raw.strip().upper()
        if not is_valid_certno(value):
            return None
        value = sys.intern(value)
        if len(self.certnos) < _CACHE_LIMIT * 2:
            self.certnos[raw] = value
        return value


def _parse_date(raw: str, today: date) -> date | str:
    text = raw.strip()
    match = _DATE_OK.fullmatch(text)
    if match is None:
        return "日期格式应为 YYYY-MM-DD" if text else "不能为空"
    try:
        value = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return f"不存在的日期「{text}」"
    if value > today:
        return f"日期「{text}」晚于今天"
    if value.year < 1990:
        return f"日期「{text}」过早"
    return value


def _parse_amount(raw: str) -> Decimal | str:
    text = raw.strip()
    if _AMOUNT_OK.fullmatch(text):
        return Decimal(text)
    if not text:
        return "不能为空"
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"不是有效的金额「{text}」"
    if not value.is_finite():
        return f"不是有效的金额「{text}」"
    if value < 0:
        return f"金额不能为负数「{text}」"
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return f"金额最多两位小数「{text}」"
    return f"不是有效的金额「{text}」"


_AMOUNT_COLUMNS = (
    "medfee_sumamt",
    "fund_pay_sumamt",
    "hosp_part_amt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
)
_TEXT_COLUMNS = ("psn_name", "fixmedins_name", "diag_codes", "diag_names", "oprn_codes")


def iter_settlements(
    path: str | Path,
    *,
    today: date | None = None,
    max_errors: int = MAX_ERRORS,
    stats: ReadStats | None = None,
) -> Iterator[Settlement]:
    """Stream the valid settlements of a CSV file; raise `InputFileError` at the end if any
    row was invalid (callers must discard what they got: the file is all-or-nothing).
    """
    errors = _Errors(str(path), max_errors)
    for _row_no, settlement in _settlement_rows(path, today=today, errors=errors, stats=stats):
        yield settlement
    errors.raise_if_any()


def iter_settlement_rows(
    path: str | Path,
    *,
    errors_out: list[RowError],
    today: date | None = None,
    max_errors: int = MAX_ERRORS,
    stats: ReadStats | None = None,
) -> Iterator[tuple[int, Settlement]]:
    """Stream (row number, settlement) for the valid rows and collect every invalid row in
    ``errors_out`` instead of raising — for intake with "import the valid rows" and for
    reporting rejected rows by number. A file-level problem (encoding, missing columns)
    still raises `InputFileError`.
    """
    errors = _Errors(str(path), max_errors)
    yield from _settlement_rows(path, today=today, errors=errors, stats=stats)
    if errors.total and not any(e.row > 1 for e in errors.items):
        errors.raise_if_any()  # only file-level errors: nothing row-level to skip
    errors_out.extend(errors.items)


def _settlement_rows(
    path: str | Path,
    *,
    today: date | None,
    errors: _Errors,
    stats: ReadStats | None,
) -> Iterator[tuple[int, Settlement]]:
    """Yield (row number, settlement) for the valid rows; invalid rows go to ``errors``.

    Checks: required columns; per row GB 11643 check digit, med_type, hosp_lv, dates
    (valid, not in the future, end ≥ begin), amounts (numeric, ≥ 0, ≤ 2 decimals), 0/1
    flags, reversal target present, setl_id present and unique in the file.
    """
    stats = stats if stats is not None else ReadStats()
    rows = _open_rows(path, errors, stats)
    if rows is None:
        errors.raise_if_any()
        return
    columns = _header(rows, SETTLEMENT_REQUIRED, SETTLEMENT_OPTIONAL, errors)
    if columns is None:
        for _ in rows:  # drain so a decoding error is still reported
            pass
        errors.raise_if_any()
        return
    shared = _Shared(today or date.today())
    seen_ids: set[str] = set()
    width = max(columns.values()) + 1
    # Column indexes; -1 for an optional column the file does not have. The loop below is
    # the hot path of a million-row import, hence locals rather than lookups per cell.
    i_setl, i_cert, i_med = columns["setl_id"], columns["certno"], columns["med_type"]
    i_lv, i_begn, i_end = columns["hosp_lv"], columns["begndate"], columns["enddate"]
    amount_cols = tuple((name, columns[name]) for name in _AMOUNT_COLUMNS)
    i_pre = columns.get("preselfpay_amt", -1)
    i_name, i_inst, i_dx, i_dxn, i_op = (columns.get(n, -1) for n in _TEXT_COLUMNS)
    i_refd = columns.get("refd_setl_flag", -1)
    i_orig = columns.get("orig_setl_id", -1)
    i_vali = columns.get("vali_flag", -1)
    share, to_date, to_amount, to_certno = shared.share, shared.date, shared.amount, shared.certno
    add_error = errors.add

    for row_no, cells in rows:
        before = errors.total
        if len(cells) < width:
            add_error(row_no, "", f"列数不足：只有 {len(cells)} 列，表头要求至少 {width} 列")
            continue
        setl_id = cells[i_setl].strip()
        if not setl_id:
            add_error(row_no, "setl_id", "不能为空")
        elif setl_id in seen_ids:
            add_error(row_no, "setl_id", f"结算单号「{setl_id}」在文件中重复")
        else:
            seen_ids.add(setl_id)
        certno = to_certno(cells[i_cert])
        if certno is None:
            raw = cells[i_cert].strip()
            add_error(
                row_no,
                "certno",
                f"身份证号「{mask_id_number(raw)}」校验位不正确或格式错误" if raw else "不能为空",
            )
        med_type = _MED_TYPE_KEYS.get(cells[i_med].strip())
        if med_type is None:
            add_error(row_no, "med_type", f"未知的医疗类别「{cells[i_med].strip()}」")
        hosp_lv = _HOSP_LEVELS.get(cells[i_lv].strip())
        if hosp_lv is None:
            add_error(
                row_no, "hosp_lv", f"医院等级应为 1、2、3（空表示未定级），不是「{cells[i_lv].strip()}」"
            )
        begndate = to_date(cells[i_begn])
        if type(begndate) is str:
            add_error(row_no, "begndate", begndate)
        enddate = to_date(cells[i_end])
        if type(enddate) is str:
            add_error(row_no, "enddate", enddate)
        elif type(begndate) is date and enddate < begndate:  # type: ignore[operator]
            add_error(row_no, "enddate", f"结束日期 {enddate} 早于开始日期 {begndate}")
        amounts: list[Decimal] = []
        for name, index in amount_cols:
            value = to_amount(cells[index])
            if type(value) is str:
                add_error(row_no, name, value)
            else:
                amounts.append(value)  # type: ignore[arg-type]
        preselfpay: Decimal | str = ZERO
        if i_pre >= 0 and cells[i_pre].strip():
            preselfpay = to_amount(cells[i_pre])
            if type(preselfpay) is str:
                add_error(row_no, "preselfpay_amt", preselfpay)
        refd = _flag(cells, i_refd, False, row_no, "refd_setl_flag", errors)
        vali = _flag(cells, i_vali, True, row_no, "vali_flag", errors)
        orig = cells[i_orig].strip() if i_orig >= 0 else ""
        if refd and not orig:
            add_error(row_no, "orig_setl_id", "冲销单（refd_setl_flag=1）必须填写原结算单号")
        elif refd and orig == setl_id:
            add_error(row_no, "orig_setl_id", "冲销单不能冲销自身")
        if (
            errors.total > before
            or certno is None
            or med_type is None
            or hosp_lv is None
            or not isinstance(begndate, date)
            or not isinstance(enddate, date)
            or not isinstance(preselfpay, Decimal)
        ):
            continue
        medfee, fund_pay, hosp_part, fulamt_ownpay, overlmt = amounts
        yield (
            row_no,
            Settlement(
                setl_id,
                certno,
                med_type,
                hosp_lv,
                begndate,
                enddate,
                medfee,
                fund_pay,
                hosp_part,
                fulamt_ownpay,
                overlmt,
                preselfpay,
                share(cells[i_name].strip()) if i_name >= 0 else "",
                share(cells[i_inst].strip()) if i_inst >= 0 else "",
                share(cells[i_dx].strip()) if i_dx >= 0 else "",
                share(cells[i_dxn].strip()) if i_dxn >= 0 else "",
                share(cells[i_op].strip()) if i_op >= 0 else "",
                refd,
                share(orig) if orig else "",
                vali,
            ),
        )


def _flag(
    cells: list[str],
    index: int,
    default: bool,
    row_no: int,
    name: str,
    errors: _Errors,
) -> bool:
    if index < 0:  # the file has no such column
        return default
    raw = cells[index].strip()
    if not raw:
        return default
    value = _BOOL_TEXT.get(raw)
    if value is None:
        errors.add(row_no, name, f"应为 0 或 1，不是「{raw}」")
        return default
    return value


def read_settlements(
    path: str | Path, *, today: date | None = None, max_errors: int = MAX_ERRORS
) -> list[Settlement]:
    """All settlements of a CSV file, or `InputFileError` listing every invalid row."""
    return list(iter_settlements(path, today=today, max_errors=max_errors))


def read_enrolments(
    path: str | Path, *, max_errors: int = MAX_ERRORS, stats: ReadStats | None = None
) -> list[Enrolment]:
    """Enrolments (`certno,year,item,start_date,renewal`), or `InputFileError`.

    One enrolment per (certno, year, item); the start date may not fall after its year;
    renewal is 1 (续保) or 0 (first-time join, which waits the item's waiting period).
    """
    errors = _Errors(str(path), max_errors)
    stats = stats if stats is not None else ReadStats()
    rows = _open_rows(path, errors, stats)
    out: list[Enrolment] = []
    if rows is None:
        errors.raise_if_any()
        return out
    columns = _header(rows, ENROLMENT_COLUMNS, (), errors)
    if columns is None:
        for _ in rows:
            pass
        errors.raise_if_any()
        return out
    width = max(columns.values()) + 1
    # Enrolment start dates are often in the future (enrolment precedes the plan year).
    far_future = date(2100, 12, 31)
    shared = _Shared(far_future)
    first_row: dict[tuple[str, int, str], int] = {}
    for row_no, cells in rows:
        before = errors.total
        if len(cells) < width:
            errors.add(row_no, "", f"列数不足：只有 {len(cells)} 列，表头要求至少 {width} 列")
            continue
        certno = shared.certno(cells[columns["certno"]])
        if certno is None:
            raw = cells[columns["certno"]].strip()
            errors.add(
                row_no,
                "certno",
                "不能为空" if not raw else f"身份证号「{mask_id_number(raw)}」校验位不正确或格式错误",
            )
        year_raw = cells[columns["year"]].strip()
        year = int(year_raw) if year_raw.isdigit() and len(year_raw) == 4 else None
        if year is None or not 2000 <= year <= 2100:
            errors.add(row_no, "year", f"年度应为四位数字，不是「{year_raw}」")
            year = None
        item = cells[columns["item"]].strip()
        if not _ITEM_CODE.fullmatch(item):
            errors.add(row_no, "item", f"互助项目代码无效「{item}」" if item else "不能为空")
        start = shared.date(cells[columns["start_date"]])
        if isinstance(start, str):
            errors.add(row_no, "start_date", start)
        elif year is not None and start.year > year:
            errors.add(row_no, "start_date", f"参保开始日期 {start} 晚于参保年度 {year}")
        renewal_raw = cells[columns["renewal"]].strip()
        renewal = _BOOL_TEXT.get(renewal_raw)
        if renewal is None:
            errors.add(
                row_no,
                "renewal",
                f"应为 1（续保）或 0（首次参保），不是「{renewal_raw}」",
            )
        if (
            errors.total > before
            or certno is None
            or year is None
            or renewal is None
            or not isinstance(start, date)
        ):
            continue
        key = (certno, year, item)
        if key in first_row:
            errors.add(
                row_no,
                "",
                f"重复的参保记录（第 {first_row[key]} 行已有同一人、年度和项目）",
            )
            continue
        first_row[key] = row_no
        out.append(Enrolment(certno, year, shared.share(item), start, renewal))
    errors.raise_if_any()
    return out
