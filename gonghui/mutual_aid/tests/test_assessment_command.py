"""`manage.py mutual_aid_assess` and `mutual_aid_assess_report` through call_command."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command

from gonghui.mutual_aid.management.commands import mutual_aid_assess, mutual_aid_assess_report

if not settings.configured:  # running with `-p no:django`: the commands need no project settings
    settings.configure()

CASES = [
    {"id": "c1", "diagnoses": [{"code": "I21.900x011", "name": "急性心肌梗死"}],
     "procedures": [{"code": "36.1x", "name": "冠状动脉旁路移植术"}]},
    {"id": "c2", "diagnoses": [{"code": None, "name": "右肺下叶鳞状细胞癌"}]},
    {"id": "c3", "diagnoses": [{"code": "J18.9", "name": "肺炎"}], "procedures": []},
]  # fmt: skip


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(*args: str) -> str:
    stdout = StringIO()
    call_command(mutual_aid_assess.Command(), *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def test_assesses_every_line(tmp_path: Path) -> None:
    source = _write(tmp_path / "cases.jsonl", [json.dumps(c, ensure_ascii=False) for c in CASES] + [""])
    out = tmp_path / "results.jsonl"
    printed = _run("--in", str(source), "--out", str(out))
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in results] == ["c1", "c2", "c3"]
    assert [r["decision"] for r in results] == ["auto_accept", "needs_review", "none"]
    assert results[0]["categories"][0]["code"] == "cabg"
    assert "cases: 3" in printed and "seconds:" in printed and "cases_per_s:" in printed
    assert not list(tmp_path.glob(".*.tmp"))


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    source = tmp_path / "bom.jsonl"
    source.write_bytes("\ufeff".encode() + json.dumps(CASES[2]).encode() + b"\n")
    out = tmp_path / "out.jsonl"
    _run("--in", str(source), "--out", str(out))
    assert json.loads(out.read_text(encoding="utf-8"))["id"] == "c3"


def test_bad_lines_fail_the_run_and_write_nothing(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_bytes(
        b'{"id": "ok", "diagnoses": []}\n'
        b'{"id": "b1", "diagnoses": [{"code": 21}]}\n'
        b'{"id": "b2"\n'
        b"\n"
        b'{"id": "ok"}\n'
        b'{"id": "gbk", "diagnoses": [{"name": "\xb7\xce\xd1\xd7"}]}\n'
    )
    out = tmp_path / "results.jsonl"
    out.write_text("previous results\n", encoding="utf-8")
    with pytest.raises(CommandError) as info:
        _run("--in", str(source), "--out", str(out))
    message = str(info.value)
    assert "4 行无效" in message
    assert "第 2 行：字段 diagnoses[0].code" in message
    assert "第 3 行：字段 $" in message
    assert "第 5 行：字段 id" in message and "第 1 行重复" in message
    assert "第 6 行：不是 UTF-8 编码" in message
    assert out.read_text(encoding="utf-8") == "previous results\n"  # untouched
    assert not list(tmp_path.glob(".*.tmp"))


def test_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="找不到输入文件"):
        _run("--in", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.jsonl"))
    source = _write(tmp_path / "c.jsonl", [json.dumps(CASES[0])])
    with pytest.raises(CommandError, match="输出目录不存在"):
        _run("--in", str(source), "--out", str(tmp_path / "no" / "o.jsonl"))


@pytest.mark.skipif(
    not apps.ready or not apps.is_installed("gonghui.mutual_aid"),
    reason="needs the project's settings (app installed)",
)
def test_command_is_found_by_name(tmp_path: Path) -> None:
    source = _write(tmp_path / "c.jsonl", [json.dumps(CASES[2])])
    out = tmp_path / "o.jsonl"
    call_command("mutual_aid_assess", "--in", str(source), "--out", str(out), stdout=StringIO())
    assert json.loads(out.read_text(encoding="utf-8"))["decision"] == "none"


def test_report_command_writes_and_checks_the_page(tmp_path: Path) -> None:
    page = tmp_path / "docs" / "assessment.md"
    stdout = StringIO()
    call_command(mutual_aid_assess_report.Command(), "--out", str(page), stdout=stdout)
    text = page.read_text(encoding="utf-8")
    assert "准确率" in text and "auto_accept" in text
    assert "none_auto_accept: 0 /" in stdout.getvalue()
    call_command(mutual_aid_assess_report.Command(), "--out", str(page), "--check", stdout=StringIO())
    page.write_text(text + "手工修改\n", encoding="utf-8")
    with pytest.raises(CommandError, match="已过期"):
        call_command(mutual_aid_assess_report.Command(), "--out", str(page), "--check", stdout=StringIO())
