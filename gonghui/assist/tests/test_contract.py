"""The import contract's CSV files read into documents, and the engine's purity."""

import subprocess
import sys
from pathlib import Path

import pytest

from gonghui.assist.engine import parse_craftsmen_csv, parse_outcomes_csv, split_list
from gonghui.assist.engine.contract import DEFAULT_CAPACITY, ContractError

ROOT = Path(__file__).resolve().parents[3]


def test_craftsmen_rows_become_documents_with_lists_split():
    lines = [
        "external_id,name,honours,region,industry,trades,skills,bio\n",
        "GJ9,张师傅,全国劳动模范、浙江工匠,330199,c,焊工,氩弧焊；焊接变形控制,擅长薄板焊接。\n",
    ]
    (doc,) = parse_craftsmen_csv(lines)
    assert (doc.id, doc.external_id, doc.name, doc.industry) == (1, "GJ9", "张师傅", "C")
    assert doc.honours == ("全国劳动模范", "浙江工匠")
    assert doc.skills == ("氩弧焊", "焊接变形控制")
    assert doc.capacity_left == DEFAULT_CAPACITY


def test_outcomes_rows_become_documents():
    lines = ["external_id,title,type,industry,description\n", "CG9,跟刀架改进,五小,C,细长轴不再弯曲。\n"]
    (doc,) = parse_outcomes_csv(lines)
    assert (doc.external_id, doc.title, doc.type, doc.description) == (
        "CG9",
        "跟刀架改进",
        "五小",
        "细长轴不再弯曲。",
    )


def test_missing_column_and_missing_id_are_rejected():
    with pytest.raises(ContractError, match="缺少列"):
        parse_outcomes_csv(["external_id,title\n", "CG1,x\n"])
    with pytest.raises(ContractError, match="第 2 行"):
        parse_outcomes_csv(["external_id,title,type,industry,description\n", ",x,五小,C,y\n"])


def test_split_list_accepts_hand_typed_separators():
    assert split_list(" 焊工、 钳工,电工，，; ") == ("焊工", "钳工", "电工")


def test_engine_and_text_analysis_import_no_django():
    code = (
        "import sys; import gonghui.assist.engine, gonghui.assist.evaluation, gonghui.core.text.tokenise; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0  # noqa: S603
