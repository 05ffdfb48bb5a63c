"""The assessor: code rules first, the text model for names, one `Assessment` per case.

Rules (spec 重疾判断):
- every diagnosis code and procedure code is matched against every category (prefix,
  exclusions first); a category matched several times keeps its strongest decision
  (auto_accept over needs_review); `matched_by` records the rule (`dx_rule:I21`,
  `proc_rule:361`);
- a diagnosis NAME goes through the text model when present. A confident category the code
  does not give (no code, or a code that says something else) is added as `needs_review`
  — the text model never gives `auto_accept`, because a false auto_accept pays money that
  is not owed. A name that clearly says an ordinary disease downgrades its code's
  `auto_accept` to `needs_review` and leaves a note for the reviewer;
- a procedure NAME is checked against the category's keywords (catalogue data): a name that
  contradicts the code (e.g. 经导管主动脉瓣置换 under an open-valve code) downgrades
  `auto_accept` to `needs_review`; a name alone can only ever give `needs_review`.
No ORM, no I/O: the same object runs in a request, a batch command and the simulator.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from gonghui.mutual_aid.assessment.catalogue import Catalogue, Category, RuleHit
from gonghui.mutual_aid.assessment.types import (
    DECISION_STRENGTH,
    SEVERITY_RANK,
    Assessment,
    Case,
    CategoryMatch,
    Decision,
    Diagnosis,
    Procedure,
)


class Prediction(Protocol):
    """What the assessor needs from a text-model prediction."""

    @property
    def label(self) -> str: ...

    @property
    def probability(self) -> float: ...

    @property
    def category(self) -> str | None: ...

    @property
    def says_none(self) -> bool: ...


class NameModel(Protocol):
    """What the assessor needs from the text model (see `text_model.TextModel`)."""

    @property
    def version(self) -> str: ...

    def predict(self, name: str) -> Prediction: ...


_Found = dict[str, CategoryMatch]  # category code → its strongest match so far


def _downgrade(decision: Decision) -> Decision:
    return "needs_review" if decision == "auto_accept" else decision


class Assessor:
    """Callable `Case -> Assessment` over one catalogue and (optionally) one text model."""

    def __init__(self, catalogue: Catalogue, model: NameModel | None = None) -> None:
        self.catalogue = catalogue
        self.model = model
        self.model_version = model.version if model is not None else ""
        self._order = {code: i for i, code in enumerate(catalogue.codes)}
        self._implied = {code: catalogue.implied(code) for code in catalogue.codes}
        self._named_procedures = tuple(c for c in catalogue if c.proc_name_keywords)

    def __call__(self, case: Case) -> Assessment:
        """Assess one case; categories most severe first, then strongest decision."""
        found: _Found = {}
        for diagnosis in case.diagnoses:
            for match in self._diagnosis_matches(diagnosis):
                self._offer(found, match, case.sex)
        for procedure in case.procedures:
            for match in self._procedure_matches(procedure):
                self._offer(found, match, case.sex)
        ordered = sorted(
            found.values(),
            key=lambda m: (
                -SEVERITY_RANK[m.severity],
                -DECISION_STRENGTH[m.decision],
                self._order[m.code],
            ),
        )
        return Assessment(
            case_id=case.id,
            categories=tuple(ordered),
            model_version=self.model_version,
            catalogue_version=self.catalogue.version,
        )

    def assess_many(self, cases: Iterable[Case]) -> list[Assessment]:
        """Assess several cases in order (names repeat, so the model's cache pays off)."""
        return [self(case) for case in cases]

    # --- internals -------------------------------------------------------------------------

    def _offer(self, found: _Found, match: CategoryMatch, sex: str | None) -> None:
        # A category restricted to one sex is not reported for the other when the sex is known.
        category = self.catalogue.get(match.code)
        if sex and category.sex and category.sex != sex.upper():
            return
        current = found.get(match.code)
        if current is None or _stronger(match, current):
            found[match.code] = match

    def _rule_match(self, hit: RuleHit, decision: Decision, note: str) -> CategoryMatch:
        category = hit.category
        return CategoryMatch(
            code=category.code,
            severity=category.severity,
            decision=decision,
            evidence=category.evidence,
            matched_by=hit.rule_id,
            probability=None,
            note=note,
        )

    def _diagnosis_matches(self, diagnosis: Diagnosis) -> list[CategoryMatch]:
        hits = self.catalogue.match_diagnosis(diagnosis.code) if diagnosis.code else ()
        name = (diagnosis.name or "").strip()
        prediction = self.model.predict(name) if (self.model is not None and name) else None
        matches: list[CategoryMatch] = []
        for hit in hits:
            decision, note = hit.decision, ""
            if prediction is not None and prediction.says_none:
                decision = _downgrade(decision)
                note = (
                    f"诊断名称“{name}”提示普通疾病（模型概率 {prediction.probability:.2f}），"
                    f"与编码 {diagnosis.code} 不符，需人工核对"
                )
            matches.append(self._rule_match(hit, decision, note))
        if prediction is not None and prediction.category is not None:
            by_code = {hit.category.code for hit in hits}
            reason = "无诊断编码" if not diagnosis.code else f"编码 {diagnosis.code} 未提示此类别"
            for code in self._implied.get(prediction.category, ()):
                if code in by_code:
                    continue  # the code already proves it; the rule's match is the record
                category = self.catalogue.get(code)
                matches.append(
                    CategoryMatch(
                        code=code,
                        severity=category.severity,
                        decision="needs_review",  # never auto_accept from a name
                        evidence=category.evidence,
                        matched_by=f"text_model:{self.model_version}",
                        probability=round(prediction.probability, 4),
                        note=f"依据诊断名称“{name}”判断（{reason}），需人工核对",
                    )
                )
        return matches

    def _procedure_matches(self, procedure: Procedure) -> list[CategoryMatch]:
        hits = self.catalogue.match_procedure(procedure.code) if procedure.code else ()
        name = (procedure.name or "").strip()
        matches: list[CategoryMatch] = []
        for hit in hits:
            decision, note = hit.decision, ""
            if name and hit.category.proc_name_contradicts(name):
                decision = _downgrade(decision)
                code = f"{procedure.code}（{hit.category.name_zh}）"
                note = f"手术名称“{name}”与编码 {code} 不符，需人工核对"
            matches.append(self._rule_match(hit, decision, note))
        if name:
            by_code = {hit.category.code for hit in hits}
            for category in self._named_procedures:
                if category.code in by_code:
                    continue
                keyword = category.proc_name_keyword(name)
                if keyword is not None:
                    matches.append(_procedure_name_match(category, procedure, name, keyword))
        return matches


def _procedure_name_match(category: Category, proc: Procedure, name: str, word: str) -> CategoryMatch:
    """A category pointed to by a procedure NAME (keyword `word`): review only, never more."""
    reason = "无手术编码" if not proc.code else f"编码 {proc.code} 未提示此类别"
    return CategoryMatch(
        code=category.code,
        severity=category.severity,
        decision="needs_review",  # a name alone never proves an operation
        evidence=category.evidence,
        matched_by=f"proc_name:{word}",
        probability=None,
        note=f"依据手术名称“{name}”判断（{reason}），需人工核对",
    )


def _stronger(new: CategoryMatch, current: CategoryMatch) -> bool:
    """Strongest decision wins; on a tie a code rule beats a name-based match (auditable),
    then a match without a reviewer note beats one with a note (the cleaner evidence)."""
    new_strength = DECISION_STRENGTH[new.decision]
    current_strength = DECISION_STRENGTH[current.decision]
    if new_strength != current_strength:
        return new_strength > current_strength
    if _is_rule(new) != _is_rule(current):
        return _is_rule(new)
    return bool(current.note) and not new.note


def _is_rule(match: CategoryMatch) -> bool:
    return match.matched_by.startswith(("dx_rule:", "proc_rule:"))
