"""The intake command contract: `mutual_aid_import_settlements FILE [--skip-invalid]`."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from gonghui.conftest import World
from gonghui.members.models import Member
from gonghui.mutual_aid.models import Claim, Plan, Settlement
from gonghui.mutual_aid.tests.test_intake import certno, row, write


def test_command_imports_and_screens(
    world: World, plan: Plan, enrolled: list[Member], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        [row("E1", certno(enrolled[1]), med_type="21", medfee_sumamt="12000.00")],
        encoding="gb18030",
    )
    call_command("mutual_aid_import_settlements", path)
    out = capsys.readouterr().out
    assert "新增 1" in out and "生成待申报 1 笔" in out
    assert Settlement.objects.filter(setl_id="E1").exists()
    assert Claim.objects.filter(member=enrolled[1]).count() == 1
    call_command("mutual_aid_import_settlements", path)  # rerun: nothing twice
    assert Settlement.objects.count() == 1 and Claim.objects.count() == 1


def test_command_all_or_nothing_and_skip_invalid(
    world: World, plan: Plan, enrolled: list[Member], tmp_path: Path
) -> None:
    good = certno(enrolled[0])
    path = write(tmp_path, [row("F1", good), row("F2", good, hosp_lv="9")])
    with pytest.raises(CommandError, match="第 3 行"):
        call_command("mutual_aid_import_settlements", path)
    assert not Settlement.objects.exists()
    call_command("mutual_aid_import_settlements", path, "--skip-invalid")
    assert list(Settlement.objects.values_list("setl_id", flat=True)) == ["F1"]
    assert (tmp_path / "s.rejected.csv").read_text(encoding="utf-8-sig").count("F2") == 1


def test_command_needs_an_existing_file(db: None) -> None:
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("mutual_aid_import_settlements", "/nonexistent.csv")
