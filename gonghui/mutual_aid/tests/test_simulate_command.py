"""`manage.py mutual_aid_simulate` (政策测算) over small fixture files; no database.

Expected R.csv (fixtures/engine/expected_r.csv), worked out by hand with the example policy:

* A (woman, renewal in all items)
  - A1 inpatient, level 3, 5 days, base 10000−6500−400−100 = 3000: cum 0→3000 pays
    2000×0.5 = 1000; living allowance 5×100 = 500.
  - A2 outpatient, breast cancer C50: critical illness 15000, but the critical item's period
    cap has 15000−500 = 14500 left (review, malignant_tumor); female cancer 20000 (review).
  - A3 special outpatient is reversed by A5, so it never counts.
  - A4 inpatient 10 days, base 2000.01: cum 3000→5000.01 pays 2000×0.5 + 0.01×0.6 =
    1000.006 → 1000.00; living allowance 1000 finds the critical period cap used up.
  - A6 special outpatient, base 1200: cum 0→1200 (A3 reversed) pays 700×0.2 = 140.
* B (man; critical item first-time joiner from 2026-01-01: covered from 2026-04-01)
  - B1 base 800: below the deductible; living allowance still in the waiting period.
  - B2 ends 2026-04-03, base 10000: cum 800→10800 pays 4000×0.5 + 5800×0.6 = 5480; acute MI
    (needs_review) and CABG 36.1 (auto_accept): 15000, status auto, category acute_mi
    (first of the benefit's list that matched); living allowance: period cap used up.
  - B3 the lump sum again: already paid. B4 ends in 2025: ignored.
* C (selfpay from 2026-03-01): C1 before the start (does not accumulate), C2 level 1 hospital,
  C3 base 1000.02 pays 0.02×0.5 = 0.01, C4 void.
* D not enrolled (and a reversal of an unknown settlement); E enrolled only in 2025.

Total 57620.01 over 9 rows, 7 of them auto (77.78%). The command runs the real
critical-illness assessor (`assessment.service.default_assessor`); the fixture diagnoses are
chosen so its code rules decide them (no names, so no text-model guess).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from gonghui.mutual_aid.management.commands.mutual_aid_simulate import Command

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "engine"
POLICY = Path(__file__).resolve().parents[1] / "data" / "policy_2026.yaml"
PROJECT_ROOT = Path(__file__).resolve().parents[3]

needs_settings = pytest.mark.skipif(not settings.configured, reason="needs Django settings")


def run(
    tmp_path: Path, settlements: Path | None = None, policy: Path = POLICY, **extra: str
) -> tuple[Path, str]:
    from io import StringIO

    out = tmp_path / "R.csv"
    stdout = StringIO()
    call_command(
        Command(),
        policy=str(policy),
        enrolments=str(extra.get("enrolments", FIXTURES / "enrolments.csv")),
        settlements=str(settlements or FIXTURES / "settlements.csv"),
        out=str(out),
        stdout=stdout,
        stderr=StringIO(),
    )
    return out, stdout.getvalue()


def test_writes_the_hand_computed_result(tmp_path: Path) -> None:
    out, printed = run(tmp_path)
    assert out.read_text(encoding="utf-8") == (FIXTURES / "expected_r.csv").read_text(encoding="utf-8")
    assert "rows: 9" in printed
    assert "total_amount: 57620.01" in printed
    assert "auto_rate: 77.78%" in printed
    assert "seconds: " in printed


def test_header_is_exact(tmp_path: Path) -> None:
    out, _ = run(tmp_path)
    assert out.read_text(encoding="utf-8").splitlines()[0] == (
        "setl_id,certno,item,benefit,base,days,amount,status,category"
    )


def test_gb18030_input_gives_the_same_result(tmp_path: Path) -> None:
    gb = tmp_path / "s_gb.csv"
    text = (FIXTURES / "settlements.csv").read_text(encoding="utf-8-sig")
    gb.write_bytes(text.encode("gb18030"))
    out, _ = run(tmp_path, gb)
    assert out.read_text(encoding="utf-8") == (FIXTURES / "expected_r.csv").read_text(encoding="utf-8")


def test_row_order_of_the_input_does_not_matter(tmp_path: Path) -> None:
    lines = (FIXTURES / "settlements.csv").read_text(encoding="utf-8-sig").splitlines()
    shuffled = tmp_path / "s_rev.csv"
    shuffled.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n", encoding="utf-8")
    out, _ = run(tmp_path, shuffled)
    assert out.read_text(encoding="utf-8") == (FIXTURES / "expected_r.csv").read_text(encoding="utf-8")


def test_bad_rows_fail_with_row_and_column_and_leave_no_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as info:
        run(tmp_path, FIXTURES / "bad_settlements.csv")
    message = str(info.value)
    assert "3 处错误" in message
    assert "第 3 行 certno（身份证号）" in message
    assert "第 4 行 medfee_sumamt（医疗费总额）" in message
    assert "第 5 行 enddate（结束日期）" in message
    assert list(tmp_path.iterdir()) == []


def test_an_existing_result_is_not_touched_by_a_failed_run(tmp_path: Path) -> None:
    (tmp_path / "R.csv").write_text("previous\n", encoding="utf-8")
    with pytest.raises(CommandError):
        run(tmp_path, FIXTURES / "bad_settlements.csv")
    assert (tmp_path / "R.csv").read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R.csv"]


def test_bad_policy_names_key_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(POLICY.read_text(encoding="utf-8").replace("ratio: 0.7}", "ratio: 7}"), encoding="utf-8")
    with pytest.raises(CommandError, match=r"tiers\[3\]\.ratio（第 22 行）: 比例不能大于 1"):
        run(tmp_path, policy=bad)
    assert not (tmp_path / "R.csv").exists()


def test_missing_input_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="找不到文件 --enrolments"):
        run(tmp_path, enrolments=str(tmp_path / "none.csv"))


@needs_settings
def test_registered_under_its_name(tmp_path: Path) -> None:
    out = tmp_path / "R.csv"
    call_command(
        "mutual_aid_simulate",
        "--policy",
        str(POLICY),
        "--enrolments",
        str(FIXTURES / "enrolments.csv"),
        "--settlements",
        str(FIXTURES / "settlements.csv"),
        "--out",
        str(out),
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    assert out.read_text(encoding="utf-8") == (FIXTURES / "expected_r.csv").read_text(encoding="utf-8")


@needs_settings
def test_manage_py_exits_non_zero_on_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "R.csv"
    env = {**os.environ, "GONGHUI_TESTING": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    proc = subprocess.run(  # noqa: S603 - fixed argv
        [
            sys.executable,
            str(PROJECT_ROOT / "manage.py"),
            "mutual_aid_simulate",
            "--policy",
            str(POLICY),
            "--enrolments",
            str(FIXTURES / "enrolments.csv"),
            "--settlements",
            str(FIXTURES / "bad_settlements.csv"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    assert "第 3 行 certno" in proc.stderr
    assert not out.exists()
