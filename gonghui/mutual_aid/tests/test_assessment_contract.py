"""The JSON contract: case in, result out, round trips and field-named errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gonghui.mutual_aid.assessment.service import (
    CaseFormatError,
    assess,
    assessment_from_json,
    assessment_to_json,
    case_from_json,
    case_from_line,
    case_to_json,
)
from gonghui.mutual_aid.assessment.types import Case, Diagnosis, Procedure

CASE = {
    "id": "S-1",
    "diagnoses": [
        {"code": "I21.900x011", "name": "急性前壁心肌梗死"},
        {"code": None, "name": "左肺上叶腺癌"},
        {"name": "2型糖尿病"},
        {"code": "C44.3"},
    ],
    "procedures": [{"code": "36.1x", "name": "冠状动脉旁路移植术"}, {"code": None, "name": None}],
}


def test_case_round_trip() -> None:
    case = case_from_json(CASE)
    assert case == Case(
        id="S-1",
        diagnoses=(
            Diagnosis("I21.900x011", "急性前壁心肌梗死"),
            Diagnosis(None, "左肺上叶腺癌"),
            Diagnosis(None, "2型糖尿病"),
            Diagnosis("C44.3", None),
        ),
        procedures=(Procedure("36.1x", "冠状动脉旁路移植术"),),  # the empty entry says nothing
    )
    assert case_from_json(json.loads(json.dumps(case_to_json(case)))) == case
    assert case_from_json({"id": 7}).id == "7"
    assert case_from_json({"id": "x", "sex": "F", "extra": 1}).sex == "F"


def test_result_follows_the_contract_and_round_trips() -> None:
    result = assess(case_from_json(CASE))
    out = json.loads(json.dumps(assessment_to_json(result), ensure_ascii=False))
    assert out["id"] == "S-1"
    assert out["decision"] == "auto_accept"  # CABG 36.1x, the most severe with the strongest
    by_code = {c["code"]: c for c in out["categories"]}
    for item in out["categories"]:
        assert {"code", "severity", "decision", "probability", "evidence"} <= item.keys()
    assert by_code["cabg"]["probability"] is None and by_code["cabg"]["matched_by"] == "proc_rule:361"
    assert by_code["acute_mi"]["decision"] == "needs_review"
    text = by_code["malignant_tumor"]
    assert text["decision"] == "needs_review" and 0 < text["probability"] <= 1
    assert text["matched_by"].startswith("text_model:")
    assert by_code["mild_malignant_tumor"]["severity"] == "mild"
    severities = [c["severity"] for c in out["categories"]]
    assert severities == sorted(severities, key=["severe", "mild", "other"].index)
    assert out["model_version"].startswith("dxname-")
    assert assessment_from_json(out) == result


def test_empty_case_is_none() -> None:
    out = assessment_to_json(assess(case_from_json({"id": "e"})))
    assert out["categories"] == [] and out["decision"] == "none"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "$"),
        ("text", "$"),
        ({}, "id"),
        ({"id": None}, "id"),
        ({"id": True}, "id"),
        ({"id": "  "}, "id"),
        ({"id": "x" * 200}, "id"),
        ({"id": "x", "diagnoses": {"code": "I21"}}, "diagnoses"),
        ({"id": "x", "diagnoses": ["I21"]}, "diagnoses[0]"),
        ({"id": "x", "diagnoses": [{"code": "I21"}, {"code": 21}]}, "diagnoses[1].code"),
        ({"id": "x", "diagnoses": [{"name": ["肺炎"]}]}, "diagnoses[0].name"),
        ({"id": "x", "diagnoses": [{"name": "癌" * 500}]}, "diagnoses[0].name"),
        ({"id": "x", "procedures": [{"code": 36.1}]}, "procedures[0].code"),
        ({"id": "x", "procedures": [{}] * 101}, "procedures"),
        ({"id": "x", "sex": "male"}, "sex"),
    ],
)
def test_malformed_case_names_the_field(data: Any, field: str) -> None:
    with pytest.raises(CaseFormatError) as info:
        case_from_json(data)
    assert info.value.field == field
    assert isinstance(info.value, ValueError) and info.value.code == "mutual_aid.invalid_case"
    assert info.value.message and field in str(info.value)


def test_bad_json_line_is_a_case_format_error() -> None:
    with pytest.raises(CaseFormatError) as info:
        case_from_line('{"id": "x", ')
    assert info.value.field == "$" and "JSON" in info.value.message
