"""Entry points of the critical-illness assessment and its JSON contract.

In:  `{"id", "diagnoses": [{"code", "name"}], "procedures": [{"code", "name"}]}` — any code
     or name may be missing or null; optional `"sex": "M" | "F"`. Unknown keys are ignored.
Out: `{"id", "categories": [{"code", "name", "severity", "decision", "probability",
     "evidence", "matched_by", "note"}], "decision", "model_version", "catalogue_version"}`.
     `probability` is null for code-rule and procedure-name matches (a rule is not a
     probability) and the text model's probability otherwise; the top-level `decision` is
     that of the most severe category, or "none". `name`, `matched_by`, `note` and the
     versions are additions to the contract's fields, for reviewers and the archive.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, cast

from gonghui.mutual_aid.assessment.assessor import Assessor
from gonghui.mutual_aid.assessment.catalogue import Catalogue, load_catalogue
from gonghui.mutual_aid.assessment.text_model import default_model
from gonghui.mutual_aid.assessment.types import (
    DECISION_STRENGTH,
    SEVERITY_RANK,
    Assessment,
    Case,
    CategoryMatch,
    Decision,
    Diagnosis,
    Procedure,
    Severity,
)

MAX_ITEMS = 100  # diagnoses or procedures per case
MAX_ID_LENGTH = 128
MAX_CODE_LENGTH = 64
MAX_NAME_LENGTH = 200


class CaseFormatError(ValueError):
    """A case that does not follow the JSON contract; `field` names the offending field
    (`id`, `diagnoses[2].code`, …) for the API's `{code, message, field}`."""

    code = "mutual_aid.invalid_case"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}：{message}")


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The project catalogue (`data/critical_illness.csv`), loaded once."""
    return load_catalogue()


@lru_cache(maxsize=1)
def default_assessor() -> Callable[[Case], Assessment]:
    """The production assessor: project catalogue + text model trained from the shipped
    dataset (trained once per process, at first call)."""
    return Assessor(default_catalogue(), default_model())


def assess(case: Case) -> Assessment:
    """Assess one case with the production assessor."""
    return default_assessor()(case)


def assess_many(cases: Iterable[Case]) -> list[Assessment]:
    """Assess several cases with the production assessor, in order."""
    assessor = default_assessor()
    return [assessor(case) for case in cases]


# --- JSON in ---------------------------------------------------------------------------------


def _optional_text(value: object, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CaseFormatError(field, "应为字符串或 null")
    text = value.strip()
    if len(text) > limit:
        raise CaseFormatError(field, f"长度不能超过 {limit} 个字符")
    return text or None


def _items(data: Mapping[str, Any], key: str) -> list[tuple[str | None, str | None]]:
    raw = data.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise CaseFormatError(key, "应为数组")
    if len(raw) > MAX_ITEMS:
        raise CaseFormatError(key, f"最多 {MAX_ITEMS} 项")
    items = []
    for i, item in enumerate(raw):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise CaseFormatError(where, '应为对象，如 {"code": …, "name": …}')
        code = _optional_text(item.get("code"), f"{where}.code", MAX_CODE_LENGTH)
        name = _optional_text(item.get("name"), f"{where}.name", MAX_NAME_LENGTH)
        if code is not None or name is not None:  # an empty entry says nothing
            items.append((code, name))
    return items


def case_from_json(data: object) -> Case:
    """A `Case` from the contract's JSON object; raises CaseFormatError naming the field."""
    if not isinstance(data, dict):
        raise CaseFormatError("$", "病例应为 JSON 对象")
    raw_id = data.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise CaseFormatError("id", "缺少病例 id（字符串或整数）")
    case_id = str(raw_id).strip()
    if not case_id:
        raise CaseFormatError("id", "病例 id 不能为空")
    if len(case_id) > MAX_ID_LENGTH:
        raise CaseFormatError("id", f"长度不能超过 {MAX_ID_LENGTH} 个字符")
    sex = data.get("sex")
    if sex is not None and sex not in ("M", "F"):
        raise CaseFormatError("sex", '应为 "M"、"F" 或 null')
    return Case(
        id=case_id,
        diagnoses=tuple(Diagnosis(code, name) for code, name in _items(data, "diagnoses")),
        procedures=tuple(Procedure(code, name) for code, name in _items(data, "procedures")),
        sex=sex,
    )


def case_from_line(line: str) -> Case:
    """A `Case` from one JSON line; bad JSON is a CaseFormatError on field `$`."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CaseFormatError("$", f"不是有效的 JSON（第 {exc.colno} 列：{exc.msg}）") from exc
    return case_from_json(data)


def case_to_json(case: Case) -> dict[str, Any]:
    """The contract's JSON object for a case (inverse of `case_from_json`)."""
    out: dict[str, Any] = {
        "id": case.id,
        "diagnoses": [{"code": d.code, "name": d.name} for d in case.diagnoses],
        "procedures": [{"code": p.code, "name": p.name} for p in case.procedures],
    }
    if case.sex is not None:
        out["sex"] = case.sex
    return out


# --- JSON out --------------------------------------------------------------------------------


def match_to_json(match: CategoryMatch, catalogue: Catalogue | None = None) -> dict[str, Any]:
    """One category of the result, contract fields first."""
    catalogue = catalogue or default_catalogue()
    return {
        "code": match.code,
        "name": catalogue.get(match.code).name_zh if match.code in catalogue else "",
        "severity": match.severity,
        "decision": match.decision,
        "probability": match.probability,
        "evidence": match.evidence,
        "matched_by": match.matched_by,
        "note": match.note,
    }


def assessment_to_json(result: Assessment, catalogue: Catalogue | None = None) -> dict[str, Any]:
    """The contract's result object for an assessment."""
    return {
        "id": result.case_id,
        "categories": [match_to_json(m, catalogue) for m in result.categories],
        "decision": result.decision,
        "model_version": result.model_version,
        "catalogue_version": result.catalogue_version,
    }


def assessment_from_json(data: Mapping[str, Any]) -> Assessment:
    """An `Assessment` from a result object (e.g. one line of the command's output)."""
    categories = []
    for i, item in enumerate(data.get("categories") or []):
        severity, decision = item.get("severity"), item.get("decision")
        if severity not in SEVERITY_RANK:
            raise CaseFormatError(f"categories[{i}].severity", "未知的严重程度")
        if decision not in DECISION_STRENGTH:
            raise CaseFormatError(f"categories[{i}].decision", "未知的决定")
        probability = item.get("probability")
        categories.append(
            CategoryMatch(
                code=str(item["code"]),
                severity=cast(Severity, severity),
                decision=cast(Decision, decision),
                evidence=str(item.get("evidence") or ""),
                matched_by=str(item.get("matched_by") or ""),
                probability=None if probability is None else float(probability),
                note=str(item.get("note") or ""),
            )
        )
    return Assessment(
        case_id=str(data.get("id", "")),
        categories=tuple(categories),
        model_version=str(data.get("model_version") or ""),
        catalogue_version=str(data.get("catalogue_version") or ""),
    )
