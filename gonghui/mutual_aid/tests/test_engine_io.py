"""Reading settlement and enrolment CSV files: encodings, and every kind of bad row named by
spreadsheet row number (header = row 1), column and reason. No database."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gonghui.core.validators import id_number_check_char as gb11643_check_char
from gonghui.mutual_aid.engine.io import (
    InputFileError,
    ReadStats,
    detect_encoding,
    iter_settlements,
    read_enrolments,
    read_settlements,
)

TODAY = date(2026, 11, 1)


def certno(seq: int, sex: str = "F") -> str:
    first17 = f"33010919900101{seq:02d}{'2' if sex == 'F' else '1'}"
    return first17 + gb11643_check_char(first17)


C1 = certno(1)
C2 = certno(2, "M")
HEADER = (
    "setl_id,certno,psn_name,med_type,hosp_lv,fixmedins_name,begndate,enddate,medfee_sumamt,"
    "fund_pay_sumamt,hosp_part_amt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,diag_codes,"
    "diag_names,oprn_codes,refd_setl_flag,orig_setl_id,vali_flag"
)
GOOD = (
    f"S1,{C1},张三,21,3,浙江大学医学院附属第一医院,2026-03-01,2026-03-08,12000.50,8000,0,500.25,"
    "100,300,I21.900x011;I10,急性心肌梗死;高血压,36.1,0,,1"
)


def write(tmp_path: Path, lines: list[str], encoding: str = "utf-8", name: str = "s.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def row_with(**changes: str) -> str:
    cells = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    cells.update(changes)
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells.values())
    return out.getvalue()


def test_reads_a_good_row(tmp_path: Path) -> None:
    [s] = read_settlements(write(tmp_path, [HEADER, GOOD]), today=TODAY)
    assert s.setl_id == "S1"
    assert s.certno == C1
    assert s.psn_name == "张三"
    assert s.med_type == "21"
    assert s.hosp_lv == 3
    assert (s.begndate, s.enddate) == (date(2026, 3, 1), date(2026, 3, 8))
    assert s.medfee_sumamt == Decimal("12000.50")
    assert s.fulamt_ownpay_amt == Decimal("500.25")
    assert isinstance(s.overlmt_selfpay, Decimal)
    assert s.diag_codes == "I21.900x011;I10"
    assert s.oprn_codes == "36.1"
    assert (s.refd_setl_flag, s.orig_setl_id, s.vali_flag) == (False, "", True)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, [HEADER, GOOD], encoding)
    stats = ReadStats()
    [s] = list(iter_settlements(path, today=TODAY, stats=stats))
    assert s.psn_name == "张三"
    assert s.fixmedins_name == "浙江大学医学院附属第一医院"
    assert stats.encoding == ("gb18030" if encoding == "gb18030" else "utf-8-sig")
    assert stats.rows == 1


def test_utf8_is_tried_strictly_first(tmp_path: Path) -> None:
    # Valid UTF-8 would also decode as GB18030 (as mojibake): UTF-8 must win.
    assert detect_encoding(write(tmp_path, [HEADER, GOOD], "utf-8")) == "utf-8-sig"
    assert detect_encoding(write(tmp_path, [HEADER, GOOD], "gb18030", "g.csv")) == "gb18030"


def test_optional_columns_may_be_missing_and_extra_columns_are_ignored(tmp_path: Path) -> None:
    header = "extra,enddate,begndate,setl_id,certno,med_type,hosp_lv,medfee_sumamt,fund_pay_sumamt,"
    header += "hosp_part_amt,fulamt_ownpay_amt,overlmt_selfpay"
    row = f"x,2026-03-02,2026-03-01,S9,{C1.lower()},14,,100,50,0,0,0"
    [s] = read_settlements(write(tmp_path, [header, row]), today=TODAY)
    assert s.certno == C1  # a lower-case check letter would be normalised (C1 ends in a digit)
    assert s.hosp_lv == 0  # blank level: not graded
    assert s.vali_flag is True
    assert s.refd_setl_flag is False
    assert s.preselfpay_amt == Decimal(0)
    assert s.diag_codes == ""


def test_missing_columns_give_one_error_naming_them(tmp_path: Path) -> None:
    header = HEADER.replace("med_type,", "").replace("enddate,", "")
    with pytest.raises(InputFileError) as info:
        read_settlements(write(tmp_path, [header]), today=TODAY)
    assert info.value.total == 1
    error = info.value.errors[0]
    assert error.row == 1
    assert "med_type" in error.message
    assert "enddate" in error.message


BAD_ROWS = [
    ("bad check digit", {"certno": C1[:-1] + ("0" if C1[-1] != "0" else "1")}, "certno", "校验位"),
    ("short ID", {"certno": "33010919900101"}, "certno", "校验位不正确或格式错误"),
    ("blank ID", {"certno": ""}, "certno", "不能为空"),
    ("non-numeric amount", {"medfee_sumamt": "12,000"}, "medfee_sumamt", "不是有效的金额"),
    ("text amount", {"fund_pay_sumamt": "abc"}, "fund_pay_sumamt", "不是有效的金额"),
    ("negative amount", {"hosp_part_amt": "-5"}, "hosp_part_amt", "不能为负数"),
    ("three decimals", {"overlmt_selfpay": "1.005"}, "overlmt_selfpay", "两位小数"),
    ("blank amount", {"fulamt_ownpay_amt": ""}, "fulamt_ownpay_amt", "不能为空"),
    ("bad date", {"begndate": "2026/03/01"}, "begndate", "YYYY-MM-DD"),
    ("impossible date", {"enddate": "2026-02-30"}, "enddate", "不存在的日期"),
    ("end before begin", {"enddate": "2026-02-28"}, "enddate", "早于开始日期"),
    ("future date", {"enddate": "2026-12-01"}, "enddate", "晚于今天"),
    ("unknown med_type", {"med_type": "99"}, "med_type", "未知的医疗类别"),
    ("bad hospital level", {"hosp_lv": "5"}, "hosp_lv", "医院等级"),
    ("bad reversal flag", {"refd_setl_flag": "2"}, "refd_setl_flag", "应为 0 或 1"),
    ("bad valid flag", {"vali_flag": "Y"}, "vali_flag", "应为 0 或 1"),
    ("reversal without original", {"refd_setl_flag": "1"}, "orig_setl_id", "必须填写原结算单号"),
    ("reversal of itself", {"refd_setl_flag": "1", "orig_setl_id": "S2"}, "orig_setl_id", "冲销自身"),
    ("missing setl_id", {"setl_id": ""}, "setl_id", "不能为空"),
    ("duplicate setl_id", {"setl_id": "S1"}, "setl_id", "重复"),
]


@pytest.mark.parametrize(
    ("changes", "column", "fragment"), [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS]
)
def test_each_bad_row_kind(tmp_path: Path, changes: dict[str, str], column: str, fragment: str) -> None:
    bad = row_with(setl_id="S2", **{k: v for k, v in changes.items() if k != "setl_id"})
    if "setl_id" in changes:
        bad = row_with(**changes)
    path = write(tmp_path, [HEADER, GOOD, bad])
    with pytest.raises(InputFileError) as info:
        read_settlements(path, today=TODAY)
    [error] = info.value.errors
    assert (error.row, error.column) == (3, column)
    assert fragment in error.message
    assert f"第 3 行 {column}（" in str(info.value)


def test_too_few_cells(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="第 2 行：列数不足"):
        read_settlements(write(tmp_path, [HEADER, "S1,x"]), today=TODAY)


def test_row_numbers_count_blank_lines_like_a_spreadsheet(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, GOOD, "", row_with(setl_id="S2", med_type="99")])
    with pytest.raises(InputFileError) as info:
        read_settlements(path, today=TODAY)
    assert info.value.errors[0].row == 4


def test_all_errors_of_a_row_and_file_are_collected(tmp_path: Path) -> None:
    bad = row_with(setl_id="S2", med_type="99", hosp_lv="9", medfee_sumamt="-1")
    path = write(tmp_path, [HEADER, bad, GOOD, row_with(setl_id="S3", vali_flag="x")])
    with pytest.raises(InputFileError) as info:
        read_settlements(path, today=TODAY)
    assert [(e.row, e.column) for e in info.value.errors] == [
        (2, "med_type"),
        (2, "hosp_lv"),
        (2, "medfee_sumamt"),
        (4, "vali_flag"),
    ]


def test_error_list_is_capped_but_counted(tmp_path: Path) -> None:
    rows = [row_with(setl_id=f"S{i}", med_type="99") for i in range(2, 302)]
    with pytest.raises(InputFileError) as info:
        read_settlements(write(tmp_path, [HEADER, *rows]), today=TODAY, max_errors=200)
    assert len(info.value.errors) == 200
    assert info.value.total == 300
    assert "另有 100 处错误未列出" in str(info.value)


def test_streaming_reader_raises_after_the_last_row(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, GOOD, row_with(setl_id="S2", med_type="99")])
    got = []
    with pytest.raises(InputFileError):
        for s in iter_settlements(path, today=TODAY):
            got.append(s.setl_id)
    assert got == ["S1"]  # callers discard it: the file is all-or-nothing


def test_repeated_values_are_shared(tmp_path: Path) -> None:
    rows = [row_with(setl_id=f"S{i}") for i in range(3)]
    a, b, _ = read_settlements(write(tmp_path, [HEADER, *rows]), today=TODAY)
    assert a.certno is b.certno
    assert a.diag_names is b.diag_names
    assert a.enddate is b.enddate
    assert a.medfee_sumamt is b.medfee_sumamt


def test_excel_and_empty_files(tmp_path: Path) -> None:
    xlsx = tmp_path / "s.xlsx"
    xlsx.write_bytes(b"PK\x03\x04rest-of-zip")
    with pytest.raises(InputFileError, match="另存为 CSV"):
        read_settlements(xlsx, today=TODAY)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="文件为空"):
        read_settlements(empty, today=TODAY)


def test_binary_content_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes((HEADER + "\n" + GOOD + "\n").encode("utf-16"))
    with pytest.raises(InputFileError, match="不是 CSV 文本文件"):
        read_settlements(path, today=TODAY)


def test_malformed_quoting_is_a_format_error(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, GOOD], name="q.csv")
    with path.open("a", encoding="utf-8") as fh:
        fh.write('S2,"unterminated')
    with pytest.raises(InputFileError) as info:
        read_settlements(path, today=TODAY)
    assert info.value.errors[0].row == 3


# --- enrolments ---------------------------------------------------------------------------

E_HEADER = "certno,year,item,start_date,renewal"


def test_reads_enrolments_in_gb18030(tmp_path: Path) -> None:
    lines = [E_HEADER, f"{C1},2026,selfpay,2026-01-01,1", f"{C2},2026,critical,2026-02-15,0"]
    enrolments = read_enrolments(write(tmp_path, lines, "gb18030", "e.csv"))
    assert [(e.certno, e.year, e.item, e.start_date, e.renewal) for e in enrolments] == [
        (C1, 2026, "selfpay", date(2026, 1, 1), True),
        (C2, 2026, "critical", date(2026, 2, 15), False),
    ]


BAD_ENROLMENTS = [
    (
        "bad check digit",
        f"{C1[:-1]}{'0' if C1[-1] != '0' else '1'},2026,selfpay,2026-01-01,1",
        "certno",
        "校验位",
    ),
    ("bad year", f"{C1},26,selfpay,2026-01-01,1", "year", "四位数字"),
    ("bad item", f"{C1},2026,Self Pay,2026-01-01,1", "item", "项目代码无效"),
    ("bad start date", f"{C1},2026,selfpay,2026-13-01,1", "start_date", "不存在的日期"),
    ("start after the year", f"{C1},2026,selfpay,2027-01-01,1", "start_date", "晚于参保年度"),
    ("bad renewal", f"{C1},2026,selfpay,2026-01-01,yes", "renewal", "1（续保）或 0"),
    ("duplicate", f"{C2},2026,selfpay,2026-01-01,1", "", "重复的参保记录（第 2 行"),
]


@pytest.mark.parametrize(
    ("row", "column", "fragment"), [c[1:] for c in BAD_ENROLMENTS], ids=[c[0] for c in BAD_ENROLMENTS]
)
def test_each_bad_enrolment_kind(tmp_path: Path, row: str, column: str, fragment: str) -> None:
    path = write(tmp_path, [E_HEADER, f"{C2},2026,selfpay,2026-01-01,1", row], name="e.csv")
    with pytest.raises(InputFileError) as info:
        read_enrolments(path)
    [error] = info.value.errors
    assert (error.row, error.column) == (3, column)
    assert fragment in error.message


def test_enrolment_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="缺少必需的列：start_date, renewal"):
        read_enrolments(write(tmp_path, ["certno,year,item"], name="e.csv"))
