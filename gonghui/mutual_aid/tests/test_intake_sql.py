"""The PostgreSQL fast path of the intake (``intake_sql``) against the Python reader.

Every file goes through both paths on the same database state (each run rolled back) and
must give the same errors (row, column, Chinese message, order), the same batch counters,
the same stored rows and the same rejects file. Files the fast path declines (blank lines,
ragged rows, stray quotes…) must be handed to the Python path, which reports them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from gonghui.conftest import World
from gonghui.core.validators import id_number_check_char
from gonghui.members.models import Member
from gonghui.mutual_aid import intake_sql
from gonghui.mutual_aid.engine.io import SETTLEMENT_HEADER, _parse_amount, _parse_date
from gonghui.mutual_aid.intake import IntakeRejected, settlements_import
from gonghui.mutual_aid.models import IntakeBatch, Plan, Settlement
from gonghui.mutual_aid.tests.test_intake import certno

pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL fast path is PostgreSQL only")

TODAY = date(2026, 11, 1)
HEADER = list(SETTLEMENT_HEADER)
BASE = dict(
    zip(
        HEADER,
        [
            "",
            "",
            "某某",
            "21",
            "3",
            "区人民医院",
            "2026-03-01",
            "2026-03-05",
            "9000.00",
            "5000.00",
            "0",
            "0",
            "0",
            "0",
            "J18.9",
            "肺炎",
            "",
            "0",
            "",
            "1",
        ],
        strict=True,
    )
)


def bad_check(good: str) -> str:
    return good[:17] + ("0" if good[17] != "0" else "1")


def fresh_certno(seq: int, sex_digit: str = "1") -> str:
    first17 = f"33010919850101{seq:02d}{sex_digit}"
    return first17 + id_number_check_char(first17)


@dataclass
class People:
    a: str  # consenting, enrolled
    b: str  # consenting, enrolled
    out: str  # a member without consent
    stranger: str  # a valid ID number of nobody


# --- files ----------------------------------------------------------------------------------

Rows = list[dict[str, str]]


def r(setl_id: str, cert: str, **over: str) -> dict[str, str]:
    values = dict(BASE, setl_id=setl_id, certno=cert)
    values.update(over)
    return values


def to_csv(rows: Rows, header: list[str] | None = None) -> str:
    header = header or HEADER
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue()


@dataclass
class Case:
    name: str
    build: Callable[[People], str | bytes]  # CSV text (UTF-8) or bytes
    sql: bool = True  # the fast path takes it (False: declined, the Python path reports)
    encoding: str = "utf-8"


def good_rows(p: People) -> Rows:
    return [
        r("G1", p.a),
        r("G2", p.b, med_type="14", hosp_lv="", medfee_sumamt="820.5", preselfpay_amt=""),
        r("G3", p.out),
        r("G4", p.stranger),
        r("G5", p.a.lower(), begndate="2026-04-01", enddate="2026-04-20", diag_codes="C34.900;I10"),
        r("G6", p.a, refd_setl_flag="1", orig_setl_id="G1", vali_flag=""),
        r("G7", p.b, vali_flag="0", oprn_codes="36.1", refd_setl_flag=""),
    ]


def amounts_rows(p: People) -> Rows:
    cells = [
        "-5",
        "abc",
        "1.005",
        "1e3",
        "+5",
        ".5",
        "5.",
        "1_000",
        "NaN",
        "inf",
        "-0",
        "-0.001",
        "0.001",
        "1e-3",
        "1.5e-1",
        "１２",
        "١٢.٥",
        "0012.50",
        "0000000000001",
        "1234567890123",
        " 12 ",
        "\u300012.30\u3000",
        "1 2",
        "",
        "   ",
        "-1e-999999999999999999",
        "1e99999999999999999999999",
        "12e-1999999999999999998",
        "- 5",
        "٣_٣",
    ]
    rows = [r(f"A{i}", p.a, fund_pay_sumamt=v) for i, v in enumerate(cells)]
    rows += [r(f"P{i}", p.b, preselfpay_amt=v) for i, v in enumerate(cells)]
    return rows


def dates_rows(p: People) -> Rows:
    cells = [
        "2026-12-31",
        "1989-12-31",
        "1990-01-01",
        "2026-02-30",
        "2025-02-29",
        "2024-02-29",
        "0000-01-01",
        "2026/03/01",
        "20260301",
        "2026-3-1",
        "2026-03-01 12:30",
        "2026-03-01T12:30:59",
        "2026-03-01 1230",
        "２０２６-０３-０１",
        "",
        " 2026-03-02 ",
        "2026-13-01",
        "2026-00-10",
        "2026-01-32",
    ]
    rows = [r(f"D{i}", p.a, enddate=v) for i, v in enumerate(cells)]
    rows += [r(f"B{i}", p.b, begndate=v, enddate="2026-10-31") for i, v in enumerate(cells)]
    rows.append(r("E1", p.a, begndate="2026-05-02", enddate="2026-05-01"))
    return rows


def ids_rows(p: People) -> Rows:
    cells = [
        bad_check(p.a),
        p.a[:17],
        p.a + "1",
        "X" + p.a[1:],
        "",
        "   ",
        f" {p.a} ",
        f"\u3000{p.b}\t",
        p.a[:17] + "x" if p.a[17] == "X" else p.a,
        "１" + p.a[1:],
        "abc",
        "33010919900101001",
    ]
    return [r(f"I{i}", v) for i, v in enumerate(cells)]


def codes_rows(p: People) -> Rows:
    return [
        r("M1", p.a, med_type="99"),
        r("M2", p.a, med_type=" 21 "),
        r("M3", p.a, med_type=""),
        r("M4", p.a, hosp_lv="9"),
        r("M5", p.a, hosp_lv=" 2"),
        r("M6", p.a, hosp_lv="0"),
        r("M7", p.a, hosp_lv="一级"),
        r("M7b", p.a, hosp_lv="4"),
        r("M8", p.a, refd_setl_flag="2"),
        r("M9", p.a, vali_flag="x"),
        r("M10", p.a, vali_flag=" 0 "),
        r("M11", p.a, refd_setl_flag="1", orig_setl_id=""),
        r("M12", p.a, refd_setl_flag="1", orig_setl_id="M12"),
        r("M13", p.a, refd_setl_flag=" 1", orig_setl_id=" M1 "),
        r("M14", p.a, refd_setl_flag="yes", orig_setl_id="M1"),
    ]


def duplicates_rows(p: People) -> Rows:
    return [
        r("U1", p.a),
        r("U2", p.a),
        r("U1", p.b),
        r("U3", bad_check(p.a)),
        r("U3", p.a),
        r(" U2", p.out),
        r("U1", p.a, medfee_sumamt="x"),
        r("", p.a),
        r("", p.b),
        r("\u3000", p.a),
    ]


def reversals_rows(p: People) -> Rows:
    return [
        r("R1", p.a),
        r("R2", p.a, refd_setl_flag="1", orig_setl_id="R1"),
        r("R3", p.a, refd_setl_flag="1", orig_setl_id="NOPE"),
        r("R4", p.a, refd_setl_flag="1", orig_setl_id="STORED1"),
        r("R5", p.a, refd_setl_flag="1", orig_setl_id="R9"),  # R9 invalid below
        r("R9", p.a, hosp_lv="7"),
        r("R6", p.out, refd_setl_flag="1", orig_setl_id="NOPE"),  # not consenting: not checked
        r("R7", p.a, refd_setl_flag="1", orig_setl_id="R8"),  # R8 not consenting: unknown
        r("R8", p.out),
        r("R10", p.a, refd_setl_flag="1", orig_setl_id="R2"),  # a reversal of a reversal
    ]


def limits_rows(p: People) -> Rows:
    return [
        r("L" * 41, p.a),
        r("L" * 40, p.a),
        r("L2", p.a, refd_setl_flag="1", orig_setl_id="O" * 41),
        r("L3", p.a, medfee_sumamt="10000000000", fund_pay_sumamt="99999999999.99"),
        r("L4", p.a, medfee_sumamt="9999999999.99"),
        r("L5", p.out, medfee_sumamt="10000000000"),  # not stored: no limit
        r("长" * 41, p.a),
    ]


def texts_rows(p: People) -> Rows:
    return [
        r(
            "T1",
            p.a,
            fixmedins_name="医" * 150,
            diag_names="名" * 450,
            diag_codes="C" * 250,
            oprn_codes="3" * 201,
        ),
        r("T2", p.a, fixmedins_name="  区医院\u3000", diag_codes="\tI10 ", psn_name="  "),
        r("T3", p.a, fixmedins_name=" " + "医" * 100 + "院", diag_names="a,b;c", oprn_codes='36.1"x'),
        r("T4", p.a, fixmedins_name="第一\n第二", diag_names="多行\r\n诊断"),
        r("T5", p.a, fixmedins_name="\u2003医院\u2029", diag_codes="\x1cI10\x1f"),
    ]


def many_errors_rows(p: People) -> Rows:
    rows = []
    for i in range(260):
        rows.append(r(f"N{i}", p.a, medfee_sumamt="x" if i % 2 else "1", hosp_lv="8" if i % 3 == 0 else "2"))
    rows.append(r("N9999", p.a, refd_setl_flag="1", orig_setl_id="NOPE"))
    return rows


def reordered_header(p: People) -> str:
    header = [
        "vali_flag",
        "enddate",
        "其他",
        "setl_id",
        "certno",
        "med_type",
        "hosp_lv",
        "begndate",
        "medfee_sumamt",
        "fund_pay_sumamt",
        "hosp_part_amt",
        "fulamt_ownpay_amt",
        "overlmt_selfpay",
        "其他",
    ]
    rows = [r("H1", p.a, 其他="x"), r("H2", p.b, vali_flag="0"), r("H3", p.a, hosp_lv="5")]
    return to_csv(rows, header)


def only_required(p: People) -> str:
    header = [h for h in HEADER if h not in ("psn_name", "preselfpay_amt", "refd_setl_flag", "orig_setl_id")]
    return to_csv([r("Q1", p.a), r("Q2", p.b, medfee_sumamt="-1")], header)


def commas_only_rows(p: People) -> str:
    text = to_csv([r("K1", p.a), r("K2", p.b)])
    lines = text.splitlines(keepends=True)
    return "".join([lines[0], lines[1], "," * (len(HEADER) - 1) + "\n", lines[2]])


def blank_line(p: People) -> str:
    text = to_csv([r("K1", p.a), r("K2", p.b, hosp_lv="x")])
    lines = text.splitlines(keepends=True)
    return "".join([lines[0], lines[1], "\n", lines[2]])


def ragged(p: People) -> str:
    return to_csv([r("K1", p.a)]) + "K2,1,2\n"


def longer_row(p: People) -> str:
    return to_csv([r("K1", p.a)]).rstrip("\n") + ",extra\n"


def stray_quote(p: People) -> str:
    return (
        to_csv([r("K1", p.a)]) + to_csv([r("K2", p.b)]).splitlines()[1].replace("区人民医院", 'a"b"c') + "\n"
    )


def quoted_everything(p: People) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in [
        r("Z1", p.a, diag_names='他说"好"'),
        r("Z2", p.b, hosp_lv="x"),
        r("Z3", p.a, fixmedins_name=""),
    ]:
        writer.writerow([row[h] for h in HEADER])
    return out.getvalue()


def end_marker(p: People) -> str:
    return to_csv([r("K1", p.a)]) + "\\.\n" + to_csv([r("K2", p.b)]).splitlines()[1] + "\n"


def bom_utf8(p: People) -> bytes:
    return b"\xef\xbb\xbf" + to_csv([r("W1", p.a), r("W2", p.b, medfee_sumamt="-3")]).encode()


def gb18030_mixed(p: People) -> bytes:
    rows = [r("Y1", p.a, fixmedins_name="浙江省人民医院（朝晖院区）", diag_names="急性心肌梗死;高血压"),
            r("Y2", p.b, med_type="医疗", hosp_lv="三级"), r("Y3", p.a, fixmedins_name="𠀀医院")]  # fmt: skip
    return to_csv(rows).encode("gb18030")


def bad_bytes(p: People) -> bytes:
    return to_csv([r("V1", p.a)]).encode() + b"V2,\xff\xfe,x\n"


def missing_columns(p: People) -> str:
    return "setl_id,certno\nX1,1\n"


def duplicate_header(p: People) -> str:
    header = [*HEADER, "hosp_lv"]
    return to_csv([r("J1", p.a)], header)


def header_only(p: People) -> str:
    return to_csv([])


def xlsx_bytes(p: People) -> bytes:
    return b"PK\x03\x04 not really a workbook"


CASES = [
    Case("good", lambda p: to_csv(good_rows(p))),
    Case("good_gb18030", lambda p: to_csv(good_rows(p)), encoding="gb18030"),
    Case("amounts", lambda p: to_csv(amounts_rows(p))),
    Case("dates", lambda p: to_csv(dates_rows(p))),
    Case("id_numbers", lambda p: to_csv(ids_rows(p))),
    Case("codes_and_flags", lambda p: to_csv(codes_rows(p))),
    Case("duplicates", lambda p: to_csv(duplicates_rows(p))),
    Case("reversals", lambda p: to_csv(reversals_rows(p))),
    Case("limits", lambda p: to_csv(limits_rows(p))),
    Case("texts", lambda p: to_csv(texts_rows(p))),
    Case("many_errors", lambda p: to_csv(many_errors_rows(p))),
    Case("reordered_header", reordered_header),
    Case("only_required_columns", only_required),
    Case("row_of_commas", commas_only_rows),
    Case("quoted_everything", quoted_everything),
    Case("utf8_bom", bom_utf8),
    Case("gb18030_mixed", gb18030_mixed),
    Case("header_only", header_only),
    Case("blank_line", blank_line, sql=False),
    Case("ragged_row", ragged, sql=False),
    Case("longer_row", longer_row, sql=False),
    Case("stray_quote", stray_quote, sql=False),
    Case("end_marker", end_marker, sql=False),
    Case("bad_bytes", bad_bytes, sql=False),
    Case("missing_columns", missing_columns, sql=False),
    Case("duplicate_header", duplicate_header, sql=False),
    Case("xlsx", xlsx_bytes, sql=False),
]


# --- running one file through one path and capturing everything ------------------------------


class _Undo(Exception):
    def __init__(self, outcome: dict[str, Any]) -> None:
        self.outcome = outcome


_SETTLEMENT_FIELDS = [
    "setl_id",
    "member_id",
    "med_type",
    "hosp_lv",
    "fixmedins_name",
    "begndate",
    "enddate",
    "medfee_sumamt",
    "fund_pay_sumamt",
    "hosp_part_amt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "diag_codes",
    "diag_names",
    "oprn_codes",
    "refd_setl_flag",
    "orig_setl_id",
    "vali_flag",
]


def capture(world: World, path: str, engine: str, skip_invalid: bool) -> dict[str, Any]:
    """Import, record every observable effect, then roll it all back."""
    try:
        with transaction.atomic():
            outcome: dict[str, Any] = {}
            try:
                result = settlements_import(
                    actor=world.users["district_admin"],
                    org_unit=world.district,
                    path=path,
                    filename="s.csv",
                    skip_invalid=skip_invalid,
                    today=TODAY,
                    engine=engine,
                )
            except IntakeRejected as exc:
                outcome["raised"] = ([(e.row, e.column, e.message) for e in exc.errors], exc.total)
                outcome["engine"] = exc.engine
            else:
                outcome["engine"] = result.engine
                outcome["member_ids"] = sorted(result.member_ids)
                if result.rejected_path:
                    outcome["rejects"] = Path(result.rejected_path).read_text(encoding="utf-8-sig")
                    Path(result.rejected_path).unlink()
            batch = IntakeBatch.objects.order_by("-pk").first()
            assert batch is not None
            outcome["batch"] = (
                batch.status,
                batch.rows_total,
                batch.rows_created,
                batch.rows_duplicate,
                batch.rows_no_consent,
                batch.rows_rejected,
                batch.errors,
            )
            outcome["stored"] = sorted(
                Settlement.objects.filter(batch=batch).values_list(*_SETTLEMENT_FIELDS), key=lambda t: t[0]
            )
            raise _Undo(outcome)
    except _Undo as undo:
        return undo.outcome


@pytest.fixture
def people(world: World, plan: Plan, enrolled: list[Member]) -> People:
    from gonghui.mutual_aid.tests.conftest import add_settlement

    add_settlement(enrolled[0], setl_id="STORED1")
    return People(
        a=certno(enrolled[0]),
        b=certno(enrolled[1]),
        out=certno(world.members_b[1]),
        stranger=fresh_certno(77),
    )


def write_case(tmp_path: Path, case: Case, people: People) -> str:
    content = case.build(people)
    data = content if isinstance(content, bytes) else content.encode(case.encoding)
    path = tmp_path / f"{case.name}.csv"
    path.write_bytes(data)
    return str(path)


@pg_only
@pytest.mark.parametrize("skip_invalid", [False, True], ids=["all_or_nothing", "skip_invalid"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_sql_path_matches_python_path(
    world: World, people: People, tmp_path: Path, case: Case, skip_invalid: bool
) -> None:
    path = write_case(tmp_path, case, people)
    python = capture(world, path, "python", skip_invalid)
    sql = capture(world, path, "auto", skip_invalid)
    assert python.pop("engine") == "python"
    assert sql.pop("engine") == ("sql" if case.sql else "python")
    assert sql == python


@pg_only
def test_cases_exercise_what_they_claim(world: World, people: People, tmp_path: Path) -> None:
    """Guard against a vacuous equivalence: the bad files really are rejected for the
    reasons they were written for, and the good one really stores rows."""
    good = capture(world, write_case(tmp_path, CASES[0], people), "auto", False)
    assert good["batch"][0] == "done" and len(good["stored"]) == 5  # G3 not consenting, G4 nobody
    seen: dict[str, set[str]] = {}
    for case in CASES[2:11]:
        outcome = capture(world, write_case(tmp_path, case, people), "auto", True)
        seen[case.name] = {e["message"] for e in outcome["batch"][6]}
    assert any("金额不能为负数" in m for m in seen["amounts"])
    assert any("金额最多两位小数" in m for m in seen["amounts"])
    assert any("晚于今天" in m for m in seen["dates"]) and any("不存在的日期" in m for m in seen["dates"])
    assert any("过早" in m for m in seen["dates"]) and any("早于开始日期" in m for m in seen["dates"])
    assert any("校验位不正确" in m for m in seen["id_numbers"])
    assert any("在文件中重复" in m for m in seen["duplicates"])
    assert any(m == "冲销的原结算单「NOPE」不存在" for m in seen["reversals"])
    assert any("结算单号过长" in m for m in seen["limits"]) and any(
        "金额超出上限" in m for m in seen["limits"]
    )


@pg_only
def test_sql_path_is_idempotent(world: World, people: People, tmp_path: Path) -> None:
    path = write_case(tmp_path, CASES[0], people)
    admin = world.users["district_admin"]
    first = settlements_import(actor=admin, org_unit=world.district, path=path, filename="s", today=TODAY)
    again = settlements_import(actor=admin, org_unit=world.district, path=path, filename="s", today=TODAY)
    assert first.engine == again.engine == "sql"
    assert (first.batch.rows_created, again.batch.rows_created, again.batch.rows_duplicate) == (5, 0, 5)
    assert Settlement.objects.filter(setl_id__startswith="G").count() == 5


@pg_only
def test_without_pgcrypto_the_python_path_runs(
    world: World, people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(cursor: Any) -> str:
        raise intake_sql._Decline("pgcrypto unavailable")

    monkeypatch.setattr(intake_sql, "_pgcrypto_schema", unavailable)
    result = settlements_import(
        actor=None,
        org_unit=world.district,
        path=write_case(tmp_path, CASES[0], people),
        filename="s",
        today=TODAY,
    )
    assert result.engine == "python" and result.batch.rows_created == 5


@pg_only
def test_a_wrong_hmac_key_is_caught_by_the_probe(
    world: World, people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake_sql, "_index_key", lambda: b"not the key")
    result = settlements_import(
        actor=None,
        org_unit=world.district,
        path=write_case(tmp_path, CASES[0], people),
        filename="s",
        today=TODAY,
    )
    assert result.engine == "python" and result.batch.rows_created == 5


@pg_only
def test_progress_is_reported_while_copying(world: World, people: People, tmp_path: Path) -> None:
    rows = [r(f"PG{i}", people.a if i % 2 else people.b) for i in range(intake_sql.PROGRESS_EVERY + 10)]
    path = tmp_path / "big.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    calls: list[tuple[int, int]] = []
    result = settlements_import(
        actor=None,
        org_unit=world.district,
        path=str(path),
        filename="big.csv",
        today=TODAY,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert result.engine == "sql" and result.batch.rows_created == len(rows)
    assert calls and calls[0][0] >= intake_sql.PROGRESS_EVERY


# --- the SQL functions against the Python functions they mirror, on many odd strings --------

ODD_STRINGS = [
    "",
    " ",
    "\u3000",
    "0",
    "1",
    "12.3",
    "12.34",
    "12.345",
    "-12.34",
    "+1",
    "1e2",
    "1E-2",
    "1e-3",
    "2.5e-1",
    ".",
    "..1",
    "1..2",
    "1.2.3",
    "1_2",
    "_",
    "__1__",
    "1__",
    "NaN",
    "-nan",
    "nan5",
    "snan",
    "Infinity",
    "-inf",
    "INF",
    "１２３.４５",
    "١٢٣",
    "߁߂",
    "𝟏𝟐.𝟑",
    "٣.٣٣٣",
    "12\u00a0",
    "\t12\n",
    "1 000",
    "999999999999",
    "9999999999999",
    "000000000000.00",
    "-0",
    "-0.0",
    "-0.000",
    "-.0001",
    "0e5",
    "0e-5",
    "1e999999999999999999",
    "1e1000000000000000000",
    "10e999999999999999999",
    "1e-1999999999999999997",
    "1e-1999999999999999998",
    "0.000e-1999999999999999997",
    "2026-03-01",
    "2026-02-29",
    "2024-02-29",
    "2026-04-31",
    "1990-01-01",
    "1989-12-31",
    "2026-11-01",
    "2026-11-02",
    "9999-12-31",
    "0001-01-01",
    "2026-01-01 00:00",
    "2026-01-01T00:00:00",
    "2026-01-01 00:00:0",
    "2026-01-01  00:00",
    "２０２６-０１-０１",
    "2026-01-01\n",
    "2026-1-01",
    "x2026-01-01",
    "中文",
    "1e",
    "e1",
    "1e+",
    "+.5",
    "-.5e-2",
]


@pg_only
def test_amount_and_date_functions_match_python(db: None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in intake_sql._functions_sql():
            cursor.execute(sql)
        for text in ODD_STRINGS:
            cursor.execute(
                "SELECT (pg_temp.ma_amount(%s)).*, (pg_temp.ma_date(%s, %s)).*", [text, text, TODAY]
            )
            amount, amount_err, day, day_err = cursor.fetchone()
            expected = _parse_amount(text.strip())
            if isinstance(expected, Decimal):
                assert (amount, amount_err) == (expected, None), text
            else:
                assert (amount, amount_err) == (None, expected), text
            expected_day = _parse_date(text, TODAY)
            if isinstance(expected_day, date):
                assert (day, day_err) == (expected_day, None), text
            else:
                assert (day, day_err) == (None, expected_day), text
            cursor.execute("SELECT pg_temp.ma_strip(%s)", [text])
            assert cursor.fetchone()[0] == text.strip(), text


def test_unicode_tables_are_pythons() -> None:
    spaces, digits, values = intake_sql._unicode_tables()
    assert set(spaces) == {c for c in map(chr, range(0x110000)) if c.isspace()}
    assert len(digits) == len(values) and all(int(d) == int(v) for d, v in zip(digits, values, strict=True))


def test_other_databases_use_the_python_reader(world: World, people: People, tmp_path: Path) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL takes the SQL path")
    result = settlements_import(
        actor=None,
        org_unit=world.district,
        path=write_case(tmp_path, CASES[0], people),
        filename="s",
        today=TODAY,
    )
    assert result.engine == "python" and result.batch.rows_created == 5


def test_quote_and_marker_scan(tmp_path: Path) -> None:
    def check(data: bytes) -> bool:
        path = tmp_path / "q.csv"
        path.write_bytes(data)
        try:
            intake_sql._check_bytes(str(path))
        except intake_sql._Decline:
            return False
        return True

    assert check(b'a,b\n"x, y","say ""hi"""\n"",z\r\n')
    assert not check(b'a,b\nx"y,z\n')  # quote inside an unquoted field
    assert not check(b'a,b\n"x"y,z\n')  # text after the closing quote
    assert not check(b'a,b\n"x,z\n')  # never closed
    assert not check(b"a,b\n\\.\nx,y\n")  # COPY's end-of-data line
    assert check(b"a,b\nx\\.,y\n")
    assert not check(b"a,b\n" + b"x" * (intake_sql.CSV_FIELD_LIMIT + 1) + b",y\n")
    assert check(b"a,b\n" + b"x" * (intake_sql.CSV_FIELD_LIMIT - 10) + b",y\n")


# --- screening's writer and ID numbers: same stored values as the model path ---------------


@pg_only
def test_new_rows_writer_stores_what_copy_insert_stores(
    world: World, plan: Plan, enrolled: list[Member]
) -> None:
    from gonghui.core.bulk import copy_insert
    from gonghui.mutual_aid.models import Claim, ClaimEvent
    from gonghui.mutual_aid.screening import _NewRows

    member = enrolled[0]
    version = plan.current_version
    assert version is not None
    values = dict(
        member_id=member.pk,
        org_unit_id=member.org_unit_id,
        amount=Decimal("1234.56"),
        needs_review=True,
        review_reasons=["金额 1234.56 元达到人工审核阈值", {"x": Decimal("1.5")}],
        approvals_needed=2,
        first_discharge=date(2026, 3, 8),
    )
    via_model = copy_insert([Claim(plan=plan, plan_version=version, **values)], assign_pks=True)[0].pk
    writer = _NewRows(Claim, tuple(values), plan_id=plan.pk, plan_version_id=version.pk)
    writer.add(*values.values())
    [via_writer] = writer.write(assign_pks=True)
    events = _NewRows(ClaimEvent, ("claim_id", "note", "data"), kind="screened")
    events.add(via_writer, "智能筛查发现应补助 1234.56 元", {"version": 1})
    events.write()
    copy_insert(
        [
            ClaimEvent(
                claim_id=via_model, kind="screened", note="智能筛查发现应补助 1234.56 元", data={"version": 1}
            )
        ]
    )

    def stored(model: Any, pk: int, skip: tuple[str, ...]) -> dict[str, Any]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {model._meta.db_table} WHERE {skip[0]} = %s", [pk])  # noqa: S608
            names = [c.name for c in cursor.description]
            row = dict(zip(names, cursor.fetchone(), strict=True))
        return {k: v for k, v in row.items() if k not in ("id", "created_at", *skip)}

    assert stored(Claim, via_writer, ("id",)) == stored(Claim, via_model, ("id",))
    assert stored(ClaimEvent, via_writer, ("claim_id",)) == stored(ClaimEvent, via_model, ("claim_id",))


def test_engine_sees_the_same_sex_through_the_masked_id(world: World, enrolled: list[Member]) -> None:
    from gonghui.mutual_aid.engine.records import sex_from_certno
    from gonghui.mutual_aid.screening import _engine_certnos

    odd = enrolled[1]
    Member.objects.filter(pk=odd.pk).update(id_number_masked="")  # no usable mask: decrypted instead
    seen = _engine_certnos([m.pk for m in enrolled])
    for m in enrolled:
        number = Member.objects.get(pk=m.pk).id_number
        assert sex_from_certno(seen[m.pk][0]) == sex_from_certno(number)
        assert seen[m.pk][1] == m.org_unit_id
    assert seen[odd.pk][0] == Member.objects.get(pk=odd.pk).id_number


def test_bytes_neither_utf8_nor_gb18030_are_reported_not_raised(
    world: World, people: People, tmp_path: Path
) -> None:
    """The reader used to let UnicodeDecodeError escape when the bad bytes fell in the first
    buffer of a GB18030 file (a 500 for an upload); now it is a row-level file error."""
    path = write_case(tmp_path, Case("bad_bytes", bad_bytes), people)
    with pytest.raises(IntakeRejected) as exc:
        settlements_import(actor=None, org_unit=world.district, path=path, filename="s", today=TODAY)
    assert [(e.column, e.message) for e in exc.value.errors] == [
        ("", "文件编码无法识别（应为 UTF-8 或 GB18030）")
    ]
