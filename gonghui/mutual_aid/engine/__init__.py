"""The pure mutual-aid rules engine (no ORM): policy files, records, calculation, file IO.

Production builds records from the database and calls `evaluate_member`; the policy
simulator (`mutual_aid_simulate`) calls the same function over files, so both give the
same numbers.
"""

from gonghui.mutual_aid.engine.calculate import (
    SKIP_REASONS,
    AssessmentCache,
    Assessor,
    Coverage,
    MemberResult,
    PayLine,
    Skip,
    Trace,
    calculate,
    calculate_member,
    case_from_settlement,
    evaluate_member,
    iter_members,
)
from gonghui.mutual_aid.engine.io import (
    InputFileError,
    RowError,
    iter_settlements,
    read_enrolments,
    read_settlements,
)
from gonghui.mutual_aid.engine.policy import (
    Benefit,
    Item,
    Plan,
    PolicyError,
    PolicyIssue,
    Tier,
    default_known_categories,
    load_policy,
    parse_policy,
)
from gonghui.mutual_aid.engine.records import (
    Enrolment,
    Settlement,
    in_scope_personal,
    sex_from_certno,
    stay_days,
)
from gonghui.mutual_aid.engine.simulate import SimulationSummary, simulate

__all__ = [
    "SKIP_REASONS",
    "AssessmentCache",
    "Assessor",
    "Benefit",
    "Coverage",
    "Enrolment",
    "InputFileError",
    "Item",
    "MemberResult",
    "PayLine",
    "Plan",
    "PolicyError",
    "PolicyIssue",
    "RowError",
    "Settlement",
    "SimulationSummary",
    "Skip",
    "Tier",
    "Trace",
    "calculate",
    "calculate_member",
    "case_from_settlement",
    "default_known_categories",
    "evaluate_member",
    "in_scope_personal",
    "iter_members",
    "iter_settlements",
    "load_policy",
    "parse_policy",
    "read_enrolments",
    "read_settlements",
    "sex_from_certno",
    "simulate",
    "stay_days",
]
