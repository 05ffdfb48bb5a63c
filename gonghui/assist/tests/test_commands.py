"""The contract commands: ``assist_import --craftsmen C.csv --outcomes O.csv`` (all or nothing,
idempotent, non-zero exit on a bad file) and ``assist_match`` (the API's JSON)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gonghui.assist.evaluation import EVAL_DIR
from gonghui.assist.models import Craftsman, LibraryOutcome, SearchEntry
from gonghui.conftest import World

pytestmark = pytest.mark.django_db

C_CSV = EVAL_DIR / "craftsmen.csv"
O_CSV = EVAL_DIR / "outcomes.csv"


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("assist_import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_import_the_evaluation_set_and_rerun(world: World) -> None:
    out, _ = _run("--craftsmen", str(C_CSV), "--outcomes", str(O_CSV))
    assert "劳模工匠：新增 160" in out and "创新成果：新增 125" in out
    assert Craftsman.objects.filter(org_unit=world.district).count() == 160
    assert LibraryOutcome.objects.filter(org_unit=world.district).count() == 125
    assert SearchEntry.objects.count() == 285
    out, _ = _run("--craftsmen", str(C_CSV), "--outcomes", str(O_CSV))
    assert "新增 0，更新 0，未变 160" in out and "新增 0，更新 0，未变 125" in out
    assert Craftsman.objects.count() == 160 and SearchEntry.objects.count() == 285


def test_org_unit_by_division_code(world: World, tmp_path: Path) -> None:
    path = _write(
        tmp_path, "C.csv", C_CSV.read_text(encoding="utf-8").splitlines()[0] + "\nGJ1,张三,,330199,C,钳工,,\n"
    )
    _run("--craftsmen", path, "--org-unit", world.street_a.division_code)
    assert Craftsman.objects.get().org_unit == world.street_a
    with pytest.raises(CommandError, match="找不到行政区划代码"):
        _run("--craftsmen", path, "--org-unit", "999999")


def test_a_bad_outcomes_file_writes_nothing_at_all(world: World, tmp_path: Path) -> None:
    bad = _write(
        tmp_path,
        "O.csv",
        "external_id,title,type,industry,description\nCG1,跟刀架,五小,C,好\nCG1,重复,五小,C,坏\nCG3,,五小,C,无名\n",
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command(
            "assist_import", "--craftsmen", str(C_CSV), "--outcomes", bad, stdout=io.StringIO(), stderr=err
        )
    lines = err.getvalue().splitlines()
    assert any("第 3 行「外部编号(external_id)」：与第 2 行重复" in line for line in lines)
    assert any("第 4 行「名称(title)」" in line for line in lines)
    # The craftsmen file was fine, but the run is one transaction.
    assert not Craftsman.objects.exists() and not LibraryOutcome.objects.exists()
    assert not SearchEntry.objects.exists()


@pytest.mark.parametrize(
    ("content", "encoding", "expected"),
    [
        ("external_id,name,region\nGJ1,张三,330199\n", "utf-8", "缺少必需的列"),
        (
            "external_id,name,honours,region,industry,trades,skills,bio\nGJ1,张三,,33019X,C,,,\n",
            "utf-8",
            "地区代码",
        ),
    ],
)
def test_bad_craftsmen_files_exit_non_zero(
    world: World, tmp_path: Path, content: str, encoding: str, expected: str
) -> None:
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "assist_import",
            "--craftsmen",
            _write(tmp_path, "C.csv", content, encoding),
            stdout=io.StringIO(),
            stderr=err,
        )
    assert expected in err.getvalue()
    assert not Craftsman.objects.exists()


def test_bad_encoding_and_missing_file(world: World, tmp_path: Path) -> None:
    path = tmp_path / "C.csv"
    path.write_bytes(b"\xff\xfe\xff\xff")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("assist_import", "--craftsmen", str(path), stdout=io.StringIO(), stderr=err)
    assert "无法识别文件编码" in err.getvalue()
    with pytest.raises(CommandError, match="无法读取文件"):
        _run("--craftsmen", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="至少指定"):
        _run()


def test_skip_invalid_imports_the_good_rows(world: World, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "C.csv",
        "external_id,name,honours,region,industry,trades,skills,bio\nGJ1,张三,,330199,C,,,\nGJ2,李四,,1,C,,,\n",
        "gb18030",
    )
    out, err = _run("--craftsmen", path, "--skip-invalid")
    assert "新增 1" in out and "第 3 行" in err
    assert list(Craftsman.objects.values_list("name", flat=True)) == ["张三"]


def test_assist_match_prints_the_contract_json(world: World) -> None:
    _run("--craftsmen", str(C_CSV))
    out = io.StringIO()
    call_command(
        "assist_match", "--text", "注塑模具产品有披锋", "--kind", "craftsman", "--limit", "5", stdout=out
    )
    results = json.loads(out.getvalue())["results"]
    assert len(results) == 5
    assert results[0]["external_id"] == "GJ040" and results[0]["reasons"][0].startswith("匹配词")
    with pytest.raises(CommandError, match="limit"):
        call_command("assist_match", "--text", "披锋", "--limit", "0", stdout=io.StringIO())
    with pytest.raises(CommandError, match="kind"):
        call_command("assist_match", "--text", "披锋", "--kind", "studio", stdout=io.StringIO())
