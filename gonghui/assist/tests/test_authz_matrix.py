"""Authorisation matrix of the assist module: every role × every page, export and API endpoint.

Proves "staff of one node see only that subtree everywhere" for the libraries, demands, the
technical clinic, open challenges, the service ledger, pairs, trials and the KPI dashboard. The
expected outcomes are explicit tables written by hand (symbols such as ``CR_A`` name the objects
built below), never computed by calling the code under test. Lists and exports are compared as
exact sets, "missing" and "not yours" must look the same (404), and write attempts by roles outside
the subtree are proven to change nothing (the row and the audit log are compared).

World (gonghui/conftest.py) plus:
    CR_D / CR_A / CR_B   craftsmen of the district / street_a / street_b libraries; CR_D is the
                         ``craftsman`` role's own record, CR_A has a login too (craftsman_a)
    LO_D / LO_A / LO_B   library outcomes of the district / street_a / street_b; LO_A and LO_B
                         are offered for 先用后转
    D_A / D_B            demands of enterprise A (posted by contact_a) and B (by street_b_admin)
    Q_A                  clinic question of enterprise A (contact_a), open, not confidential
    Q_B                  clinic question of enterprise B (street_b_admin), open, confidential
    KB_A                 solved case of enterprise A (answered by CR_D), in the knowledge base
    KB_B                 solved confidential case of enterprise B (answered by CR_A), in the base
    D_QA D_QB D_KA D_KB  the demands behind those four questions (the 企业需求库 holds them too);
                         the clinic's assignments dispatched CR_D to D_KA and CR_A to D_KB
    CH_A / CH_B          challenges of street_a / street_b, published (发榜); TEAM_A on CH_A is
                         led by CR_D (CR_A holds its second position)
    CH_A0                challenge of street_a still collecting (not published)
    ACT_A / ACT_B        service activities of street_a (for enterprise A) / street_b (for B)
    PAIR_A / PAIR_B      mentor pairs of street_a (mentor CR_D) / street_b (mentor CR_B)
    TRIAL_A / TRIAL_B    先用后转 applications of enterprise A (contact_a, LO_A) / B (street_b_admin, LO_B)
Two personal roles are added to the shared ten: ``contact_a`` (enterprise contact of enterprise A)
and ``craftsman`` (the login of CR_D).

Deliberate rules encoded as expected behaviour (docs/modules/assist.md and the selectors):
- matching (POST /api/v1/assist/match) searches the whole library whoever asks: every signed-in
  role gets CR_D, CR_A and CR_B (and LO_D, LO_A, LO_B), only name, score and reasons;
- a published challenge is a public notice: every signed-in user sees CH_A and CH_B on the board
  and may open them (and their teams); CH_A0 (not published) only street_a's staff and above;
- knowledge-base cases are public to signed-in users unless confidential: KB_A for everyone,
  KB_B only for B's staff (and its asker and assigned expert);
- an expert (craftsman) sees the open non-confidential questions to claim (Q_A) and the demands
  dispatched to them (D_KA); an enterprise contact sees their enterprise's demands, questions,
  activities and trial applications;
- 先用后转 offers are published downwards: an offer by street_a reaches everyone under street_a.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.assist import clinic as clinic_svc
from gonghui.assist.demo_challenges import challenge_through
from gonghui.assist.demo_clinic import drive, make_contact, make_expert
from gonghui.assist.ledger import ActivityInput, activity_create
from gonghui.assist.libraries import demand_create, demand_photo_add, library_outcome_create
from gonghui.assist.models import (
    Challenge,
    ClinicQuestion,
    Craftsman,
    Demand,
    Dispatch,
    LibraryOutcome,
    PairCheckIn,
    ServiceActivity,
    ServiceProblem,
    TrialApplication,
)
from gonghui.assist.pairs import pair_create
from gonghui.assist.trials import outcome_offer_for_trial, trial_apply
from gonghui.audit.models import AuditEntry
from gonghui.conftest import World, build_world
from gonghui.core.tests.authz import (
    DONE,
    REFUSED,
    W404,
    WLOGIN,
    assert_api_error,
    assert_foreign_looks_missing,
    assert_login_redirect,
    attempt_write,
    check_write,
    client_for,
    snapshot,
    xlsx_rows,
)
from gonghui.orgs.models import Enterprise, OrgUnit

ROLES = [
    "anonymous",
    "superuser",
    "district_admin",
    "district_viewer",
    "street_a_admin",
    "street_a_reviewer",
    "street_b_admin",
    "enterprise_a_admin",
    "worker_a",
    "nobody",
    "contact_a",
    "craftsman",
]
MISSING_ID = 987654
TODAY = timezone.localdate()

# --- symbols for the rows each role may see ----------------------------------------------------
CR_ALL = frozenset({"CR_D", "CR_A", "CR_B"})
CR_A = frozenset({"CR_A"})
CR_B = frozenset({"CR_B"})
CR_D = frozenset({"CR_D"})
LO_ALL = frozenset({"LO_D", "LO_A", "LO_B"})
LO_A = frozenset({"LO_A"})
LO_B = frozenset({"LO_B"})
D_ALL = frozenset({"D_A", "D_B", "D_QA", "D_QB", "D_KA", "D_KB"})
D_ENT_A = frozenset({"D_A", "D_QA", "D_KA"})
D_ENT_B = frozenset({"D_B", "D_QB", "D_KB"})
D_KA = frozenset({"D_KA"})
Q_ALL = frozenset({"Q_A", "Q_B", "KB_A", "KB_B"})
Q_ENT_A = frozenset({"Q_A", "KB_A"})
Q_ENT_B = frozenset({"Q_B", "KB_B"})
KB_AB = frozenset({"KB_A", "KB_B"})
KB_A = frozenset({"KB_A"})
CH_ALL = frozenset({"CH_A", "CH_A0", "CH_B"})
CH_STREET_A = frozenset({"CH_A", "CH_A0"})
CH_B = frozenset({"CH_B"})
BOARD = frozenset({"CH_A", "CH_B"})  # published, still open for 揭榜
BOARD_LEADER = BOARD | {"TEAM_A"}  # the board plus "my teams" of TEAM_A's leader
ACT_AB = frozenset({"ACT_A", "ACT_B"})
ACT_A = frozenset({"ACT_A"})
ACT_B = frozenset({"ACT_B"})
PAIR_AB = frozenset({"PAIR_A", "PAIR_B"})
PAIR_A = frozenset({"PAIR_A"})
PAIR_B = frozenset({"PAIR_B"})
TRIAL_AB = frozenset({"TRIAL_A", "TRIAL_B"})
TRIAL_A = frozenset({"TRIAL_A"})
TRIAL_B = frozenset({"TRIAL_B"})
# Units and enterprises (as form choices). "_NE": without enterprise-level unions.
U_ALL = frozenset(
    {"national", "province", "city", "district"}
    | {"street_a", "community_a", "union_a", "street_b", "community_b", "union_b"}
)
U_DIST = frozenset({"district", "street_a", "community_a", "union_a", "street_b", "community_b", "union_b"})
U_A = frozenset({"street_a", "community_a", "union_a"})
U_B = frozenset({"street_b", "community_b", "union_b"})
U_ALL_NE = U_ALL - {"union_a", "union_b"}
U_DIST_NE = U_DIST - {"union_a", "union_b"}
U_A_NE = frozenset({"street_a", "community_a"})
U_B_NE = frozenset({"street_b", "community_b"})
E_AB = frozenset({"ent_a", "ent_b"})
E_A = frozenset({"ent_a"})
E_B = frozenset({"ent_b"})
# Craftsmen one may put on an activity or a pair: one's subtree's and the libraries above.
CR_DA = frozenset({"CR_D", "CR_A"})
CR_DB = frozenset({"CR_D", "CR_B"})
NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Expect:
    """One cell: status code and, where it matters, the exact rows, redirect or figures."""

    status: int
    rows: frozenset[str] | None = None
    location: str | None = None  # a template over the symbols' ids
    figures: tuple[int, ...] | None = None


LOGIN = Expect(302, location="/accounts/login/?next=")
E401 = Expect(401)
E404 = Expect(404)
OK = Expect(200)
TO_TEAM_A = Expect(302, location="/assist/challenges/teams/{TEAM_A}/")


def ok(rows: AbstractSet[str]) -> Expect:
    """200 listing exactly ``rows``."""
    return Expect(200, rows=frozenset(rows))


def hub(craftsmen: int, outcomes: int, demands: int) -> Expect:
    """The staff hub: 200 with these library figures and no personal lists."""
    return Expect(200, rows=NONE, figures=(craftsmen, outcomes, demands))


def kpi(activities: int, pairs: int, trials: int) -> Expect:
    """The KPI dashboard of the user's top node: 200 with these totals for this year."""
    return Expect(200, figures=(activities, pairs, trials))


def row(*cells: Expect) -> dict[str, Expect]:
    """One table row: the cells in ROLES order."""
    assert len(cells) == len(ROLES)
    return dict(zip(ROLES, cells, strict=True))


# fmt: off
# Columns: anonymous, superuser, district_admin, district_viewer, street_a_admin, street_a_reviewer,
#          street_b_admin, enterprise_a_admin, worker_a, nobody, contact_a, craftsman
TABLE: dict[str, dict[str, Expect]] = {
    # ---- hub: staff see figures; a contact their demands; a craftsman the demands sent to them ----
    "page:home": row(LOGIN, hub(3, 3, 6), hub(3, 3, 6), hub(3, 3, 6), hub(1, 1, 3), hub(1, 1, 3), hub(1, 1, 3),
                     hub(0, 0, 3), ok(NONE), ok(NONE), ok(D_ENT_A), ok(D_KA)),
    # ---- libraries (desk pages for staff) ----
    "page:craftsmen": row(LOGIN, ok(CR_ALL), ok(CR_ALL), ok(CR_ALL), ok(CR_A), ok(CR_A), ok(CR_B), ok(NONE),
                          E404, E404, E404, E404),
    "page:craftsmen_xlsx": row(LOGIN, ok(CR_ALL), ok(CR_ALL), ok(CR_ALL), ok(CR_A), ok(CR_A), ok(CR_B), ok(NONE),
                               E404, E404, E404, E404),
    # The new craftsman joins the library of the user's top administered (non-enterprise) node.
    "page:craftsman_new": row(LOGIN, ok({"national"}), ok({"district"}), E404, ok({"street_a"}), E404,
                              ok({"street_b"}), E404, E404, E404, E404, E404),
    "page:craftsman_d": row(LOGIN, OK, OK, OK, E404, E404, E404, E404, E404, E404, E404, OK),
    "page:craftsman_a": row(LOGIN, OK, OK, OK, OK, OK, E404, E404, E404, E404, E404, E404),
    "page:craftsman_b": row(LOGIN, OK, OK, OK, E404, E404, OK, E404, E404, E404, E404, E404),
    "page:craftsman_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    "page:craftsman_a_edit": row(LOGIN, OK, OK, E404, OK, E404, E404, E404, E404, E404, E404, E404),
    "page:outcomes": row(LOGIN, ok(LO_ALL), ok(LO_ALL), ok(LO_ALL), ok(LO_A), ok(LO_A), ok(LO_B), ok(NONE),
                         E404, E404, E404, E404),
    "page:outcomes_xlsx": row(LOGIN, ok(LO_ALL), ok(LO_ALL), ok(LO_ALL), ok(LO_A), ok(LO_A), ok(LO_B), ok(NONE),
                              E404, E404, E404, E404),
    "page:outcome_d": row(LOGIN, OK, OK, OK, E404, E404, E404, E404, E404, E404, E404, E404),
    "page:outcome_a": row(LOGIN, OK, OK, OK, OK, OK, E404, E404, E404, E404, E404, E404),
    "page:outcome_b": row(LOGIN, OK, OK, OK, E404, E404, OK, E404, E404, E404, E404, E404),
    "page:outcome_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    "page:library_import": row(LOGIN, ok(U_ALL_NE), ok(U_DIST_NE), E404, ok(U_A_NE), E404, ok(U_B_NE), E404,
                               E404, E404, E404, E404),
    "page:library_template": row(LOGIN, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
    # ---- demands (企业需求库: plain demands and the clinic's) ----
    "page:demands": row(LOGIN, ok(D_ALL), ok(D_ALL), ok(D_ALL), ok(D_ENT_A), ok(D_ENT_A), ok(D_ENT_B),
                        ok(D_ENT_A), ok(NONE), ok(NONE), ok(D_ENT_A), ok(D_KA)),
    "page:demands_xlsx": row(LOGIN, ok(D_ALL), ok(D_ALL), ok(D_ALL), ok(D_ENT_A), ok(D_ENT_A), ok(D_ENT_B),
                             ok(D_ENT_A), ok(NONE), ok(NONE), ok(D_ENT_A), ok(D_KA)),
    # The enterprises one may post for: reviewed ones (staff) or one's own (contact).
    "page:demand_new": row(LOGIN, ok(E_AB), ok(E_AB), E404, ok(E_A), ok(E_A), ok(E_B), ok(E_A), E404, E404,
                           ok(E_A), E404),
    "page:demand_a": row(LOGIN, OK, OK, OK, OK, OK, E404, OK, E404, E404, OK, E404),
    "page:demand_b": row(LOGIN, OK, OK, OK, E404, E404, OK, E404, E404, E404, E404, E404),
    "page:demand_ka": row(LOGIN, OK, OK, OK, OK, OK, E404, OK, E404, E404, OK, OK),
    "page:demand_kb": row(LOGIN, OK, OK, OK, E404, E404, OK, E404, E404, E404, E404, E404),
    "page:demand_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    # ---- technical clinic: staff the queue of their subtree; others their phone page ----
    "page:clinic": row(LOGIN, ok(Q_ALL), ok(Q_ALL), ok(Q_ALL), ok(Q_ENT_A), ok(Q_ENT_A), ok(Q_ENT_B),
                       ok(Q_ENT_A), ok(NONE), ok(NONE), ok(Q_ENT_A), ok(Q_ENT_A)),
    "page:clinic_xlsx": row(LOGIN, ok(Q_ALL), ok(Q_ALL), ok(Q_ALL), ok(Q_ENT_A), ok(Q_ENT_A), ok(Q_ENT_B),
                            ok(Q_ENT_A), ok(NONE), ok(NONE), ok(Q_ENT_A), ok(Q_ENT_A)),
    "page:clinic_ask": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, OK, E404),
    "page:question_a": row(LOGIN, OK, OK, OK, OK, OK, E404, OK, E404, E404, OK, OK),
    "page:question_b": row(LOGIN, OK, OK, OK, E404, E404, OK, E404, E404, E404, E404, E404),
    "page:case_a": row(LOGIN, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "page:case_b": row(LOGIN, OK, OK, OK, E404, E404, OK, E404, E404, E404, E404, E404),
    "page:question_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    "page:knowledge": row(LOGIN, ok(KB_AB), ok(KB_AB), ok(KB_AB), ok(KB_A), ok(KB_A), ok(KB_AB), ok(KB_A),
                          ok(KB_A), ok(KB_A), ok(KB_A), ok(KB_A)),
    "page:knowledge_search": row(LOGIN, ok(KB_AB), ok(KB_AB), ok(KB_AB), ok(KB_A), ok(KB_A), ok(KB_AB), ok(KB_A),
                                 ok(KB_A), ok(KB_A), ok(KB_A), ok(KB_A)),
    "page:clinic_similar": row(LOGIN, ok(KB_AB), ok(KB_AB), ok(KB_AB), ok(KB_A), ok(KB_A), ok(KB_AB), ok(KB_A),
                               ok(KB_A), ok(KB_A), ok(KB_A), ok(KB_A)),
    # ---- challenges: staff the desk list of their subtree; everyone else (and ?view=board) the board ----
    "page:challenges": row(LOGIN, ok(CH_ALL), ok(CH_ALL), ok(CH_ALL), ok(CH_STREET_A), ok(CH_STREET_A), ok(CH_B),
                           ok(NONE), ok(BOARD), ok(BOARD), ok(BOARD), ok(BOARD_LEADER)),
    "page:challenges_xlsx": row(LOGIN, ok(CH_ALL), ok(CH_ALL), ok(CH_ALL), ok(CH_STREET_A), ok(CH_STREET_A),
                                ok(CH_B), ok(NONE), ok(BOARD), ok(BOARD), ok(BOARD), ok(BOARD_LEADER)),
    "page:challenge_board": row(LOGIN, ok(BOARD), ok(BOARD), ok(BOARD), ok(BOARD), ok(BOARD), ok(BOARD), ok(BOARD),
                                ok(BOARD), ok(BOARD), ok(BOARD), ok(BOARD_LEADER)),
    # Units one reviews (an enterprise union's staff: their own) and enterprises one sees.
    "page:challenge_new": row(LOGIN, ok(U_ALL_NE | E_AB), ok(U_DIST_NE | E_AB), ok(E_AB), ok(U_A_NE | E_A),
                              ok(U_A_NE | E_A), ok(U_B_NE | E_B), ok({"union_a"} | E_A), E404, E404, E404, E404),
    "page:challenge_a": row(LOGIN, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "page:challenge_b": row(LOGIN, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "page:challenge_a0": row(LOGIN, OK, OK, OK, OK, OK, E404, E404, E404, E404, E404, E404),
    "page:challenge_a0_edit": row(LOGIN, ok(E_AB), ok(E_AB), E404, ok(E_A), ok(E_A), E404, E404, E404, E404, E404,
                                  E404),
    "page:challenge_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    "page:team_new_a": row(LOGIN, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, TO_TEAM_A),
    "page:team_new_a0": row(LOGIN, OK, OK, OK, OK, OK, E404, E404, E404, E404, E404, E404),
    "page:team_a": row(LOGIN, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "page:team_a_score": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    # ---- service ledger: staff their subtree, a contact their enterprise's activities ----
    "page:ledger": row(LOGIN, ok(ACT_AB), ok(ACT_AB), ok(ACT_AB), ok(ACT_A), ok(ACT_A), ok(ACT_B), ok(NONE),
                       E404, E404, ok(ACT_A), E404),
    "page:ledger_xlsx": row(LOGIN, ok(ACT_AB), ok(ACT_AB), ok(ACT_AB), ok(ACT_A), ok(ACT_A), ok(ACT_B), ok(NONE),
                            E404, E404, ok(ACT_A), E404),
    "page:ledger_new": row(LOGIN, ok(U_ALL_NE | E_AB | CR_ALL), ok(U_DIST_NE | E_AB | CR_ALL), E404,
                           ok(U_A_NE | E_A | CR_DA), ok(U_A_NE | E_A | CR_DA), ok(U_B_NE | E_B | CR_DB), E404, E404,
                           E404, E404, E404),
    "page:ledger_import": row(LOGIN, ok(U_ALL_NE), ok(U_DIST_NE), E404, ok(U_A_NE), ok(U_A_NE), ok(U_B_NE), E404,
                              E404, E404, E404, E404),
    "page:ledger_template": row(LOGIN, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "page:activity_a": row(LOGIN, OK, OK, OK, OK, OK, E404, E404, E404, E404, OK, E404),
    "page:activity_b": row(LOGIN, OK, OK, OK, E404, E404, OK, E404, E404, E404, E404, E404),
    "page:activity_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    # ---- 师徒结对: desk list for staff; the mentor opens their own pair ----
    "page:pairs": row(LOGIN, ok(PAIR_AB), ok(PAIR_AB), ok(PAIR_AB), ok(PAIR_A), ok(PAIR_A), ok(PAIR_B), ok(NONE),
                      E404, E404, E404, E404),
    "page:pairs_xlsx": row(LOGIN, ok(PAIR_AB), ok(PAIR_AB), ok(PAIR_AB), ok(PAIR_A), ok(PAIR_A), ok(PAIR_B),
                           ok(NONE), E404, E404, E404, E404),
    "page:pair_new": row(LOGIN, ok(CR_ALL | U_ALL), ok(CR_ALL | U_DIST), E404, ok(CR_DA | U_A), ok(CR_DA | U_A),
                         ok(CR_DB | U_B), ok(CR_DA | {"union_a"}), E404, E404, E404, E404),
    "page:pair_a": row(LOGIN, OK, OK, OK, OK, OK, E404, E404, E404, E404, E404, OK),
    "page:pair_b": row(LOGIN, OK, OK, OK, E404, E404, OK, E404, E404, E404, E404, E404),
    "page:pair_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    # ---- 先用后转: applications (and, on the page, the offers reaching the user) ----
    "page:trials": row(LOGIN, ok(TRIAL_AB | LO_A | LO_B), ok(TRIAL_AB | LO_A | LO_B), ok(TRIAL_AB | LO_A | LO_B),
                       ok(TRIAL_A | LO_A), ok(TRIAL_A | LO_A), ok(TRIAL_B | LO_B), ok(TRIAL_A | LO_A),
                       E404, E404, ok(TRIAL_A | LO_A), E404),
    "page:trials_xlsx": row(LOGIN, ok(TRIAL_AB), ok(TRIAL_AB), ok(TRIAL_AB), ok(TRIAL_A), ok(TRIAL_A),
                            ok(TRIAL_B), ok(TRIAL_A), E404, E404, ok(TRIAL_A), E404),
    "page:trial_offer": row(LOGIN, ok(LO_ALL), ok(LO_ALL), E404, ok(LO_A), E404, ok(LO_B), E404, E404, E404, E404,
                            E404),
    "page:trial_apply": row(LOGIN, ok(LO_A | LO_B | E_AB), ok(LO_A | LO_B | E_AB), E404, ok(LO_A | E_A),
                            ok(LO_A | E_A), ok(LO_B | E_B), ok(LO_A | E_A), E404, E404, ok(LO_A | E_A), E404),
    "page:trial_a": row(LOGIN, OK, OK, OK, OK, OK, E404, OK, E404, E404, OK, E404),
    "page:trial_b": row(LOGIN, OK, OK, OK, E404, E404, OK, E404, E404, E404, E404, E404),
    "page:trial_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    # ---- KPI: (activities, pairs, trial applications) of the user's top node this year ----
    "page:kpi": row(LOGIN, kpi(2, 2, 2), kpi(2, 2, 2), kpi(2, 2, 2), kpi(1, 1, 1), kpi(1, 1, 1), kpi(1, 1, 1),
                    kpi(0, 0, 1), E404, E404, E404, E404),
    "page:kpi_xlsx": row(LOGIN, kpi(2, 2, 2), kpi(2, 2, 2), kpi(2, 2, 2), kpi(1, 1, 1), kpi(1, 1, 1), kpi(1, 1, 1),
                         kpi(0, 0, 1), E404, E404, E404, E404),
    "page:kpi_street_b": row(LOGIN, kpi(1, 1, 1), kpi(1, 1, 1), kpi(1, 1, 1), E404, E404, kpi(1, 1, 1), E404,
                             E404, E404, E404, E404),
    # The top node and its children, where the user administers them.
    "page:kpi_targets": row(LOGIN, ok({"national", "province"}), ok({"district", "street_a", "street_b"}), E404,
                            ok(U_A_NE), E404, ok(U_B_NE), ok({"union_a"}), E404, E404, E404, E404),
    # ---- API ----
    "api:craftsmen": row(E401, ok(CR_ALL), ok(CR_ALL), ok(CR_ALL), ok(CR_A), ok(CR_A), ok(CR_B), ok(NONE),
                         ok(NONE), ok(NONE), ok(NONE), ok(CR_D)),
    "api:demands": row(E401, ok(D_ALL), ok(D_ALL), ok(D_ALL), ok(D_ENT_A), ok(D_ENT_A), ok(D_ENT_B), ok(D_ENT_A),
                       ok(NONE), ok(NONE), ok(D_ENT_A), ok(D_KA)),
    "api:outcomes": row(E401, ok(LO_ALL), ok(LO_ALL), ok(LO_ALL), ok(LO_A), ok(LO_A), ok(LO_B), ok(NONE),
                        ok(NONE), ok(NONE), ok(NONE), ok(NONE)),
    # Matching searches the whole library, whoever asks (only the public profile is returned).
    "api:match_craftsmen": row(E401, ok(CR_ALL), ok(CR_ALL), ok(CR_ALL), ok(CR_ALL), ok(CR_ALL), ok(CR_ALL),
                               ok(CR_ALL), ok(CR_ALL), ok(CR_ALL), ok(CR_ALL), ok(CR_ALL)),
    "api:match_outcomes": row(E401, ok(LO_ALL), ok(LO_ALL), ok(LO_ALL), ok(LO_ALL), ok(LO_ALL), ok(LO_ALL),
                              ok(LO_ALL), ok(LO_ALL), ok(LO_ALL), ok(LO_ALL), ok(LO_ALL)),
}
# fmt: on

# Endpoint → URL template; ``{name}`` is replaced by the id of that symbol.
URLS: dict[str, str] = {
    "page:home": "/assist/",
    "page:craftsmen": "/assist/craftsmen/",
    "page:craftsmen_xlsx": "/assist/craftsmen/?export=xlsx",
    "page:craftsman_new": "/assist/craftsmen/new/",
    "page:craftsman_d": "/assist/craftsmen/{CR_D}/",
    "page:craftsman_a": "/assist/craftsmen/{CR_A}/",
    "page:craftsman_b": "/assist/craftsmen/{CR_B}/",
    "page:craftsman_missing": "/assist/craftsmen/{missing}/",
    "page:craftsman_a_edit": "/assist/craftsmen/{CR_A}/edit/",
    "page:outcomes": "/assist/outcomes/",
    "page:outcomes_xlsx": "/assist/outcomes/?export=xlsx",
    "page:outcome_d": "/assist/outcomes/{LO_D}/",
    "page:outcome_a": "/assist/outcomes/{LO_A}/",
    "page:outcome_b": "/assist/outcomes/{LO_B}/",
    "page:outcome_missing": "/assist/outcomes/{missing}/",
    "page:library_import": "/assist/library/import/",
    "page:library_template": "/assist/library/import/template/craftsmen/",
    "page:demands": "/assist/demands/",
    "page:demands_xlsx": "/assist/demands/?export=xlsx",
    "page:demand_new": "/assist/demands/new/",
    "page:demand_a": "/assist/demands/{D_A}/",
    "page:demand_b": "/assist/demands/{D_B}/",
    "page:demand_ka": "/assist/demands/{D_KA}/",
    "page:demand_kb": "/assist/demands/{D_KB}/",
    "page:demand_missing": "/assist/demands/{missing}/",
    "page:clinic": "/assist/clinic/",
    "page:clinic_xlsx": "/assist/clinic/?export=xlsx",
    "page:clinic_ask": "/assist/clinic/ask/",
    "page:question_a": "/assist/clinic/{Q_A}/",
    "page:question_b": "/assist/clinic/{Q_B}/",
    "page:case_a": "/assist/clinic/{KB_A}/",
    "page:case_b": "/assist/clinic/{KB_B}/",
    "page:question_missing": "/assist/clinic/{missing}/",
    "page:knowledge": "/assist/clinic/knowledge/",
    "page:knowledge_search": "/assist/clinic/knowledge/?q=伺服报警",
    "page:clinic_similar": "/assist/clinic/similar/?title=伺服报警&description=数控机床伺服报警",
    "page:challenges": "/assist/challenges/",
    "page:challenges_xlsx": "/assist/challenges/?export=xlsx",
    "page:challenge_board": "/assist/challenges/?view=board",
    "page:challenge_new": "/assist/challenges/new/",
    "page:challenge_a": "/assist/challenges/{CH_A}/",
    "page:challenge_b": "/assist/challenges/{CH_B}/",
    "page:challenge_a0": "/assist/challenges/{CH_A0}/",
    "page:challenge_a0_edit": "/assist/challenges/{CH_A0}/edit/",
    "page:challenge_missing": "/assist/challenges/{missing}/",
    "page:team_new_a": "/assist/challenges/{CH_A}/teams/new/",
    "page:team_new_a0": "/assist/challenges/{CH_A0}/teams/new/",
    "page:team_a": "/assist/challenges/teams/{TEAM_A}/",
    "page:team_a_score": "/assist/challenges/teams/{TEAM_A}/score/",
    "page:ledger": "/assist/ledger/",
    "page:ledger_xlsx": "/assist/ledger/?export=xlsx",
    "page:ledger_new": "/assist/ledger/new/",
    "page:ledger_import": "/assist/ledger/import/",
    "page:ledger_template": "/assist/ledger/import/template/",
    "page:activity_a": "/assist/ledger/{ACT_A}/",
    "page:activity_b": "/assist/ledger/{ACT_B}/",
    "page:activity_missing": "/assist/ledger/{missing}/",
    "page:pairs": "/assist/pairs/",
    "page:pairs_xlsx": "/assist/pairs/?export=xlsx",
    "page:pair_new": "/assist/pairs/new/",
    "page:pair_a": "/assist/pairs/{PAIR_A}/",
    "page:pair_b": "/assist/pairs/{PAIR_B}/",
    "page:pair_missing": "/assist/pairs/{missing}/",
    "page:trials": "/assist/trials/",
    "page:trials_xlsx": "/assist/trials/?export=xlsx",
    "page:trial_offer": "/assist/trials/offer/",
    "page:trial_apply": "/assist/trials/apply/",
    "page:trial_a": "/assist/trials/{TRIAL_A}/",
    "page:trial_b": "/assist/trials/{TRIAL_B}/",
    "page:trial_missing": "/assist/trials/{missing}/",
    "page:kpi": "/assist/kpi/",
    "page:kpi_xlsx": "/assist/kpi/?export=xlsx",
    "page:kpi_street_b": "/assist/kpi/?unit={street_b}",
    "page:kpi_targets": "/assist/kpi/targets/",
    "api:craftsmen": "/api/v1/assist/craftsmen",
    "api:demands": "/api/v1/assist/demands",
    "api:outcomes": "/api/v1/assist/outcomes",
    "api:match_craftsmen": "/api/v1/assist/match",
    "api:match_outcomes": "/api/v1/assist/match",
}
# The JSON body of the endpoints asked by POST (matching is a computation: nothing is stored).
POSTS: dict[str, dict[str, Any]] = {
    "api:match_craftsmen": {"text": "数控车床主轴异响维修", "kind": "craftsman", "limit": 10},
    "api:match_outcomes": {"text": "数控车床主轴异响诊断", "kind": "outcome", "limit": 10},
}
# Which kind of row a list endpoint returns (to turn ids or titles back into symbols).
LIST_KIND = {
    "page:craftsmen": "craftsman",
    "page:outcomes": "lo",
    "page:demands": "demand",
    "page:clinic": "question",
    "page:challenges": "challenge",
    "page:ledger": "activity",
    "page:pairs": "pair",
    "page:trials": "trial",
    "api:craftsmen": "craftsman",
    "api:demands": "demand",
    "api:outcomes": "lo",
    "api:match_craftsmen": "craftsman",
    "api:match_outcomes": "lo",
}
# Form pages: the fields whose choices are compared.
FORM_CHOICES = {
    "page:library_import": ["org_unit"],
    "page:demand_new": ["enterprise"],
    "page:challenge_new": ["org_unit", "enterprise"],
    "page:challenge_a0_edit": ["enterprise"],
    "page:ledger_new": ["org_unit", "enterprise", "craftsmen"],
    "page:ledger_import": ["org_unit"],
    "page:pair_new": ["mentor", "org_unit"],
    "page:trial_offer": ["outcome"],
    "page:trial_apply": ["outcome", "enterprise"],
}
MODEL_KIND: dict[type, str] = {
    OrgUnit: "unit",
    Enterprise: "ent",
    Craftsman: "craftsman",
    LibraryOutcome: "lo",
}
# xlsx export → (kind, the column holding each row's title).
XLSX_TITLE = {
    "page:craftsmen_xlsx": ("craftsman", "姓名"),
    "page:outcomes_xlsx": ("lo", "名称"),
    "page:demands_xlsx": ("demand", "问题"),
    "page:clinic_xlsx": ("question", "问题"),
    "page:challenges_xlsx": ("challenge", "榜单名称"),
    "page:ledger_xlsx": ("activity", "活动名称"),
    "page:pairs_xlsx": ("pair", "徒弟"),
    "page:trials_xlsx": ("trial", "成果"),
}


@dataclass
class Matrix:
    """The world plus symbol ↔ id maps."""

    world: World
    users: dict[str, User] = field(default_factory=dict)  # role → user (world users plus personal roles)
    clients: dict[str, Client] = field(default_factory=dict)  # role → logged-in client (reads only)
    ids: dict[str, int] = field(default_factory=dict)  # symbol → pk
    symbols: dict[tuple[str, int], str] = field(default_factory=dict)  # (kind, pk) → symbol
    titles: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, title) → symbol

    def add(self, kind: str, symbol: str, pk: int, title: str = "") -> None:
        self.ids[symbol] = pk
        self.symbols[(kind, pk)] = symbol
        if title:
            self.titles[(kind, title)] = symbol

    def fill(self, template: str) -> str:
        return template.format(missing=MISSING_ID, **self.ids)

    def url(self, endpoint: str) -> str:
        return self.fill(URLS[endpoint])

    def symbol(self, kind: str, pk: int) -> str:
        return self.symbols.get((kind, pk), f"?{kind}#{pk}")

    def titled(self, kind: str, title: Any) -> str:
        return self.titles.get((kind, str(title)), f"?{kind}:{title}")


SPINDLE: dict[str, Any] = {
    "industry": "C",
    "trades": ["数控车工"],
    "skills": ["数控车床主轴异响诊断", "主轴轴承更换"],
    "bio": "擅长数控车床主轴异响、发热故障诊断与维修。",
}
SERVO_A: dict[str, Any] = {
    "title": "数控车床加工时出现伺服报警",
    "description": "CK6150 数控车床粗车时 X 轴频繁出现伺服报警，运行两小时后出现。",
    "equipment_model": "FANUC 0i-TF",
}
SERVO_B: dict[str, Any] = {
    "title": "数控铣床运行中出现伺服过载报警",
    "description": "立式加工中心 Y 轴伺服过载报警，重切削时停机。",
    "equipment_model": "FANUC 0i-MF",
}


def _build_matrix() -> Matrix:
    world = build_world()
    users = world.users
    contact = make_contact(enterprise=world.enterprise_a, username="contact_a")
    cr_d = make_expert(
        org_unit=world.district, name="陈建国", username="craftsman_d", external_id="GJ-D-001", **SPINDLE
    )
    cr_a = make_expert(
        org_unit=world.street_a, name="李春华", username="craftsman_a", external_id="GJ-A-001", **SPINDLE
    )
    cr_b = make_expert(org_unit=world.street_b, name="王立新", external_id="GJ-B-001", **SPINDLE)
    assert cr_d.user is not None
    m = Matrix(world, users={**users, "contact_a": contact, "craftsman": cr_d.user})
    units = {
        "district": world.district,
        "street_a": world.street_a,
        "community_a": world.community_a,
        "union_a": world.unit_a(),
        "street_b": world.street_b,
        "community_b": world.community_b,
        "union_b": world.unit_b(),
    }
    city = world.district.get_parent()
    units |= {"city": city, "province": city.get_parent(), "national": city.get_parent().get_parent()}
    for symbol, unit in units.items():
        m.add("unit", symbol, unit.pk)
    m.add("ent", "ent_a", world.enterprise_a.pk)
    m.add("ent", "ent_b", world.enterprise_b.pk)
    for symbol, craftsman in {"CR_D": cr_d, "CR_A": cr_a, "CR_B": cr_b}.items():
        m.add("craftsman", symbol, craftsman.pk, craftsman.name)
    outcomes = {}
    for symbol, unit, admin, title in [
        ("LO_D", world.district, "district_admin", "主轴异响三步快速诊断法"),
        ("LO_A", world.street_a, "street_a_admin", "数控车床主轴异响快速诊断装置"),
        ("LO_B", world.street_b, "street_b_admin", "数控车床主轴异响在线监测诊断"),
    ]:
        outcomes[symbol] = library_outcome_create(
            actor=users[admin], org_unit=unit, title=title, type="先进操作法", industry="C"
        )
        m.add("lo", symbol, outcomes[symbol].pk, title)
    # Demands: one per enterprise, and the four behind the clinic's questions.
    d_a = demand_create(
        actor=contact,
        enterprise=world.enterprise_a,
        title="数控车床主轴异响",
        description="CK6150 数控车床主轴高速运转时异响、发热。",
    )
    d_b = demand_create(
        actor=users["street_b_admin"],
        enterprise=world.enterprise_b,
        title="注塑件表面缩痕",
        description="厚壁处出现缩痕",
    )
    q_a = clinic_svc.clinic_ask(
        actor=contact,
        enterprise=world.enterprise_a,
        title="PLC 与变频器通讯间歇中断",
        description="包装线 S7-1200 通过 Modbus 控制变频器，每天不定时通讯中断停机。",
    )
    q_b = clinic_svc.clinic_ask(
        actor=users["street_b_admin"],
        enterprise=world.enterprise_b,
        title="涂装线机器人轨迹偏移",
        description="喷涂机器人运行半天后轨迹偏移 2 毫米。",
        confidential=True,
    )
    kb_a = clinic_svc.clinic_ask(actor=contact, enterprise=world.enterprise_a, **SERVO_A)
    kb_a = drive(kb_a, to=ClinicQuestion.Status.CLOSED, dispatcher=users["street_a_reviewer"], expert=cr_d)
    kb_b = clinic_svc.clinic_ask(
        actor=users["street_b_admin"], enterprise=world.enterprise_b, confidential=True, **SERVO_B
    )
    kb_b = drive(kb_b, to=ClinicQuestion.Status.CLOSED, dispatcher=users["street_b_admin"], expert=cr_a)
    assert kb_a.in_knowledge_base and kb_b.in_knowledge_base
    for symbol, demand in {"D_A": d_a, "D_B": d_b}.items():
        m.add("demand", symbol, demand.pk, demand.title)
    for symbol, question in {"Q_A": q_a, "Q_B": q_b, "KB_A": kb_a, "KB_B": kb_b}.items():
        m.add("question", symbol, question.pk, question.demand.title)
        demand_symbol = {"Q_A": "D_QA", "Q_B": "D_QB", "KB_A": "D_KA", "KB_B": "D_KB"}[symbol]
        m.add("demand", demand_symbol, question.demand_id, question.demand.title)
    # Challenges: published in street_a (with TEAM_A led by CR_D) and street_b; one not yet published.
    start = TODAY - dt.timedelta(days=2)
    ch_a = challenge_through(
        to=Challenge.Status.PUBLISHED,
        staff=users["street_a_admin"],
        org_unit=world.street_a,
        craftsmen=[cr_d, cr_a],
        start=start,
        title="高速冲压线模具开裂攻关",
    )
    ch_b = challenge_through(
        to=Challenge.Status.PUBLISHED,
        staff=users["street_b_admin"],
        org_unit=world.street_b,
        craftsmen=[],
        start=start,
        title="注塑模具寿命提升攻关",
        with_team=False,
    )
    ch_a0 = challenge_through(
        to=Challenge.Status.COLLECTING,
        staff=users["street_a_admin"],
        org_unit=world.street_a,
        craftsmen=[],
        start=start,
        title="涂装工艺改进攻关",
    )
    for symbol, challenge in {"CH_A": ch_a, "CH_B": ch_b, "CH_A0": ch_a0}.items():
        m.add("challenge", symbol, challenge.pk, challenge.title)
    m.add("team", "TEAM_A", ch_a.teams.get().pk)
    # Service ledger.
    for symbol, unit, enterprise, craftsman, admin, title in [
        ("ACT_A", world.street_a, world.enterprise_a, cr_a, "street_a_admin", "甲企业主轴异响上门诊断"),
        ("ACT_B", world.street_b, world.enterprise_b, cr_b, "street_b_admin", "乙企业注塑缩痕上门服务"),
    ]:
        activity = activity_create(
            actor=users[admin],
            data=ActivityInput(
                org_unit=unit,
                kind=ServiceActivity.Kind.VISIT,
                title=title,
                held_on=TODAY,
                craftsmen=[craftsman],
                enterprise=enterprise,
                problems=["主轴异响"],
            ),
        )
        m.add("activity", symbol, activity.pk, title)
    # 师徒结对.
    for symbol, mentor, unit, admin, apprentice in [
        ("PAIR_A", cr_d, world.street_a, "street_a_admin", "甲徒弟"),
        ("PAIR_B", cr_b, world.street_b, "street_b_admin", "乙徒弟"),
    ]:
        pair = pair_create(
            actor=users[admin],
            mentor=mentor,
            apprentice_name=apprentice,
            org_unit=unit,
            goals="独立完成主轴拆装",
            starts_on=dt.date(TODAY.year, 1, 1),
            ends_on=dt.date(TODAY.year + 1, 12, 31),
        )
        m.add("pair", symbol, pair.pk, apprentice)
    # 先用后转: LO_A and LO_B offered; enterprise A's contact and street_b's staff apply.
    for symbol, lo, admin, applicant, enterprise in [
        ("TRIAL_A", "LO_A", "street_a_admin", contact, world.enterprise_a),
        ("TRIAL_B", "LO_B", "street_b_admin", users["street_b_admin"], world.enterprise_b),
    ]:
        offered = outcome_offer_for_trial(
            actor=users[admin],
            outcome=outcomes[lo],
            owner_name="权利人",
            licence_form=LibraryOutcome.LicenceForm.LICENCE,
            licence_fee=Decimal("10000"),
            trial_months=6,
        )
        application = trial_apply(actor=applicant, outcome=offered, enterprise=enterprise)
        m.add("trial", symbol, application.pk, offered.title)
    # One client per role for the read-only cells (a client's first request builds the middleware).
    m.clients = {role: client_for(m.users, role) for role in ROLES}
    return m


@pytest.fixture(scope="module")
def matrix(django_db_setup: None, django_db_blocker: Any) -> Iterator[Matrix]:
    """Built once for the module inside a transaction rolled back at the end (each test's own
    writes are rolled back by its ``db`` savepoint)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_matrix()
        transaction.set_rollback(True)


def _is_xlsx(response: Any) -> bool:
    return str(response.get("Content-Type", "")).startswith("application/vnd.openxmlformats")


def _context_rows(matrix: Matrix, endpoint: str, response: Any) -> frozenset[str]:
    """The rows of an HTML page (desk list or phone page) as symbols."""
    context = response.context
    base = endpoint.removesuffix("_xlsx")
    if base in FORM_CHOICES:
        form = context["form"]
        offered = [obj for name in FORM_CHOICES[base] for obj in form.fields[name].queryset]
        return frozenset(matrix.symbol(MODEL_KIND[type(obj)], obj.pk) for obj in offered)
    if base == "page:craftsman_new":
        return frozenset({matrix.symbol("unit", context["unit"].pk)})
    if base == "page:kpi_targets":
        return frozenset(matrix.symbol("unit", unit.pk) for unit, _form in context["rows"])
    if base == "page:home":
        mine = [*context["my_demands"], *context["dispatched_demands"]]
        return frozenset(matrix.symbol("demand", d.pk) for d in mine)
    if base in {"page:knowledge", "page:knowledge_search", "page:clinic_similar"}:
        return frozenset(matrix.symbol("question", c.question_id) for c in context["cases"])
    kind = LIST_KIND[base]
    if "rows" in context and "page" in context:  # the shared desk list
        assert context["page"].paginator.num_pages == 1
        rows = {matrix.symbol(kind, r["obj"].pk) for r in context["rows"]}
        if base == "page:trials":  # the trial page also lists the offers reaching the user
            rows |= {matrix.symbol("lo", o.pk) for o in context["offers"]}
        return frozenset(rows)
    if base == "page:clinic":  # the phone page of experts and enterprises
        shown = [
            *context.get("open_questions", []),
            *context.get("my_questions", []),
            *context.get("asked", []),
        ]
        return frozenset(matrix.symbol("question", q.pk) for q in shown)
    if base == "page:challenges":  # the board: open challenges, my teams, my review queue
        board = {matrix.symbol("challenge", c.pk) for c in context["board"]}
        teams = {matrix.symbol("team", t.pk) for t in context["my_teams"]}
        judged = {matrix.symbol("challenge", q["challenge"].pk) for q in context["judge_queue"]}
        return frozenset(board | teams | judged)
    raise AssertionError(f"no observer for {endpoint}")


def _observed_rows(matrix: Matrix, endpoint: str, response: Any) -> frozenset[str]:
    """Turn whatever the endpoint listed back into symbols (unknown rows stay visible as '?…')."""
    if endpoint in XLSX_TITLE and _is_xlsx(response):
        kind, column = XLSX_TITLE[endpoint]
        return frozenset(matrix.titled(kind, r[column]) for r in xlsx_rows(response.content))
    if endpoint.startswith("page:"):
        return _context_rows(
            matrix, "page:challenges" if endpoint == "page:challenge_board" else endpoint, response
        )
    body = response.json()
    kind = LIST_KIND[endpoint]
    if endpoint in POSTS:
        return frozenset(matrix.symbol(kind, r["id"]) for r in body["results"])
    assert body["next"] is None, "all rows must fit on one page for the comparison"
    return frozenset(matrix.symbol(kind, r["id"]) for r in body["results"])


def _observed_figures(endpoint: str, response: Any) -> tuple[int, ...]:
    if endpoint == "page:home":
        figures = response.context["figures"]
        return (figures["craftsman_count"], figures["outcome_count"], figures["demand_count"])
    if endpoint == "page:kpi_xlsx":
        summary = {r["指标"]: r for r in xlsx_rows(response.content, "汇总")}
        pairs = {r["组织"]: r for r in xlsx_rows(response.content, "师徒结对")}
        trials = {r["组织"]: r for r in xlsx_rows(response.content, "先用后转")}
        return (
            summary["服务活动（次）"][f"{TODAY.year} 年"],
            pairs["合计"]["结对"],
            trials["合计"]["先用后转申请（项）"],
        )
    figures = response.context["data"]["figures"]
    return (figures["activities"], figures["pairs"], figures["trials"])


CELLS = [(endpoint, role) for endpoint in TABLE for role in ROLES]


@pytest.mark.parametrize(("endpoint", "role"), CELLS, ids=[f"{e}-{r}" for e, r in CELLS])
def test_matrix_cell(db: None, matrix: Matrix, endpoint: str, role: str) -> None:
    """One role × one endpoint gives exactly the tabled status, rows, redirect or figures."""
    expected = TABLE[endpoint][role]
    client, url = matrix.clients[role], matrix.url(endpoint)
    if endpoint in POSTS:
        response = client.post(url, POSTS[endpoint], content_type="application/json")
    else:
        response = client.get(url)
    assert response.status_code == expected.status, response.content[:300]
    if expected == LOGIN:
        assert_login_redirect(response)
    elif expected.location is not None:
        assert response["Location"] == matrix.fill(expected.location)
    if expected.rows is not None:
        assert _observed_rows(matrix, endpoint, response) == expected.rows
    if expected.figures is not None:
        assert _observed_figures(endpoint, response) == expected.figures
    if endpoint.startswith("api:") and expected.status >= 400:
        assert_api_error(response, expected.status)


def test_table_covers_every_role_and_endpoint() -> None:
    """The table itself is complete: no endpoint or role silently skipped."""
    assert set(TABLE) == set(URLS)
    for endpoint, cells in TABLE.items():
        assert list(cells) == ROLES, endpoint


def test_match_returns_only_the_public_profile(db: None, matrix: Matrix) -> None:
    """Matching the whole library is deliberate, so its answer carries no more than the contract:
    id, external id, name, score and reasons (no phone, employer, rating or ledger data)."""
    response = matrix.clients["nobody"].post(
        "/api/v1/assist/match", POSTS["api:match_craftsmen"], content_type="application/json"
    )
    assert response.status_code == 200
    for result in response.json()["results"]:
        assert set(result) == {"id", "external_id", "name", "score", "reasons"}


def test_demand_page_links_only_to_visible_craftsmen(db: None, matrix: Matrix) -> None:
    """street_a_admin's demand page ranks the whole library (CR_D, CR_A, CR_B) but links only to
    the record they may open (CR_A)."""
    response = matrix.clients["street_a_admin"].get(matrix.url("page:demand_a"))
    assert response.status_code == 200
    ranked = response.context["ranked_craftsmen"]
    assert {matrix.symbol("craftsman", r.row.id) for r in ranked} == CR_ALL
    assert {matrix.symbol("craftsman", r.record.pk) for r in ranked if r.record is not None} == CR_A
    html = response.content.decode()
    assert f"/assist/craftsmen/{matrix.ids['CR_A']}/" in html
    for hidden in ("CR_D", "CR_B"):
        assert f"/assist/craftsmen/{matrix.ids[hidden]}/" not in html


# --- "missing" and "not yours" look the same ---------------------------------------------------

BLIND_TO_B = [
    "street_a_admin",
    "street_a_reviewer",
    "enterprise_a_admin",
    "worker_a",
    "nobody",
    "contact_a",
    "craftsman",
]
FOREIGN_VS_MISSING = [
    ("page:craftsman_b", "page:craftsman_missing"),
    ("page:outcome_b", "page:outcome_missing"),
    ("page:demand_b", "page:demand_missing"),
    ("page:question_b", "page:question_missing"),
    ("page:case_b", "page:question_missing"),
    ("page:activity_b", "page:activity_missing"),
    ("page:pair_b", "page:pair_missing"),
    ("page:trial_b", "page:trial_missing"),
]


@pytest.mark.parametrize("role", BLIND_TO_B)
@pytest.mark.parametrize(("foreign", "missing"), FOREIGN_VS_MISSING)
def test_not_yours_is_indistinguishable_from_missing(
    db: None, matrix: Matrix, role: str, foreign: str, missing: str
) -> None:
    """A B object and a non-existent id answer with the same status and the same template."""
    assert_foreign_looks_missing(matrix.clients[role], matrix.url(foreign), matrix.url(missing))


@pytest.mark.parametrize(
    "role", ["street_b_admin", "enterprise_a_admin", "worker_a", "nobody", "contact_a", "craftsman"]
)
def test_unpublished_challenge_is_missing_for_outsiders(db: None, matrix: Matrix, role: str) -> None:
    """CH_A0 (street_a's, not published) looks exactly like a non-existent challenge to outsiders."""
    client = matrix.clients[role]
    a, b = client.get(matrix.url("page:challenge_a0")), client.get(matrix.url("page:challenge_missing"))
    assert a.status_code == b.status_code == 404
    assert [t.name for t in a.templates] == [t.name for t in b.templates]


# --- writes outside the subtree change nothing ----------------------------------------------------

# A write cell: DONE, REFUSED, W404 or WLOGIN (gonghui.core.tests.authz.check_write).


def wrow(*cells: str) -> dict[str, str]:
    assert len(cells) == len(ROLES)
    return dict(zip(ROLES, cells, strict=True))


# fmt: off
# Columns: anonymous, superuser, district_admin, district_viewer, street_a_admin, street_a_reviewer,
#          street_b_admin, enterprise_a_admin, worker_a, nobody, contact_a, craftsman
DISPATCH_D_B = wrow(WLOGIN, DONE, DONE, REFUSED, W404, W404, DONE, W404, W404, W404, W404, W404)
CLOSE_D_B = wrow(WLOGIN, DONE, DONE, REFUSED, W404, W404, DONE, W404, W404, W404, W404, W404)
CLOSE_Q_B = wrow(WLOGIN, DONE, DONE, REFUSED, W404, W404, DONE, W404, W404, W404, W404, W404)
WITHDRAW_CH_B = wrow(WLOGIN, DONE, DONE, W404, W404, W404, DONE, W404, W404, W404, W404, W404)
PROBLEM_ACT_B = wrow(WLOGIN, DONE, DONE, REFUSED, W404, W404, DONE, W404, W404, W404, W404, W404)
CHECKIN_PAIR_B = wrow(WLOGIN, DONE, DONE, REFUSED, W404, W404, DONE, W404, W404, W404, W404, W404)
SIGN_TRIAL_B = wrow(WLOGIN, DONE, DONE, REFUSED, W404, W404, DONE, W404, W404, W404, W404, W404)
PHOTO_OF_Q_B = wrow(WLOGIN, "200", "200", "200", W404, W404, "200", W404, W404, W404, W404, W404)
# fmt: on


@pytest.mark.parametrize("role", ROLES)
def test_dispatch_craftsman_to_demand_b(db: None, matrix: Matrix, role: str) -> None:
    """派单 of CR_B to D_B: reviewers over union_b dispatch; a viewer is refused; everyone else gets
    404 and neither a dispatch, a change of the demand nor an audit row appears."""
    expected, pk = DISPATCH_D_B[role], matrix.ids["D_B"]
    before, audits = snapshot(Demand, pk), AuditEntry.objects.count()
    url = f"/assist/demands/{pk}/dispatch/"
    response = client_for(matrix.users, role).post(url, {"craftsman": matrix.ids["CR_B"], "shown_rank": "1"})
    dispatched = Dispatch.objects.filter(demand_id=pk).exists()
    check_write(
        response, expected, changed=dispatched, audits_before=audits, redirect_to=f"/assist/demands/{pk}/"
    )
    if expected != DONE:
        assert snapshot(Demand, pk) == before


@pytest.mark.parametrize("role", ROLES)
def test_close_demand_b(db: None, matrix: Matrix, role: str) -> None:
    """关闭需求 D_B (posted by street_b_admin): reviewers over union_b close it; a viewer is
    refused; everyone else gets 404 and the demand and the audit log are untouched."""
    expected, pk = CLOSE_D_B[role], matrix.ids["D_B"]
    after = attempt_write(
        matrix.users,
        role,
        model=Demand,
        pk=pk,
        url=f"/assist/demands/{pk}/close/",
        data={"reason": "越权关闭"},
        expected=expected,
        redirect_to=f"/assist/demands/{pk}/",
    )
    if expected == DONE:
        assert (after["status"], after["resolution_note"]) == (Demand.Status.CLOSED, "越权关闭")


@pytest.mark.parametrize("role", ROLES)
def test_close_confidential_question_b(db: None, matrix: Matrix, role: str) -> None:
    """Closing Q_B (confidential): B's dispatchers and asker close it; a viewer is refused; anyone
    else, experts included, gets 404 and the question is untouched."""
    expected, pk = CLOSE_Q_B[role], matrix.ids["Q_B"]
    after = attempt_write(
        matrix.users,
        role,
        model=ClinicQuestion,
        pk=pk,
        url=f"/assist/clinic/{pk}/close/",
        data={"comment": "越权关闭"},
        expected=expected,
        redirect_to=f"/assist/clinic/{pk}/",
    )
    if expected == DONE:
        assert after["status"] == ClinicQuestion.Status.CLOSED


@pytest.mark.parametrize("role", ROLES)
def test_withdraw_challenge_b(db: None, matrix: Matrix, role: str) -> None:
    """撤榜 of CH_B: reviewers over street_b withdraw it; anyone else, though CH_B is public, gets
    404 on the staff action and the challenge is untouched."""
    expected, pk = WITHDRAW_CH_B[role], matrix.ids["CH_B"]
    after = attempt_write(
        matrix.users,
        role,
        model=Challenge,
        pk=pk,
        url=f"/assist/challenges/{pk}/do/withdraw/",
        data={"reason": "企业需求已变更"},
        expected=expected,
        redirect_to=f"/assist/challenges/{pk}/",
    )
    if expected == DONE:
        assert after["status"] == Challenge.Status.WITHDRAWN


@pytest.mark.parametrize("role", ROLES)
def test_add_problem_to_activity_b(db: None, matrix: Matrix, role: str) -> None:
    """A problem on ACT_B: reviewers over street_b add it; a viewer is refused; others get 404."""
    expected, pk = PROBLEM_ACT_B[role], matrix.ids["ACT_B"]
    before, audits = ServiceProblem.objects.filter(activity_id=pk).count(), AuditEntry.objects.count()
    url = f"/assist/ledger/{pk}/"
    response = client_for(matrix.users, role).post(
        url, {"action": "problem", "problem-description": "越权登记的问题"}
    )
    added = ServiceProblem.objects.filter(activity_id=pk).count() != before
    check_write(response, expected, changed=added, audits_before=audits, redirect_to=url)


@pytest.mark.parametrize("role", ROLES)
def test_check_in_on_pair_b(db: None, matrix: Matrix, role: str) -> None:
    """A 带教 record on PAIR_B: street_b's reviewers (and above) record it; a viewer is refused;
    the mentor of another pair and everyone else get 404."""
    expected, pk = CHECKIN_PAIR_B[role], matrix.ids["PAIR_B"]
    before, audits = PairCheckIn.objects.filter(pair_id=pk).count(), AuditEntry.objects.count()
    url = f"/assist/pairs/{pk}/"
    form = {"action": "checkin", "checkin-on": TODAY.isoformat(), "checkin-note": "越权带教记录"}
    response = client_for(matrix.users, role).post(url, form)
    added = PairCheckIn.objects.filter(pair_id=pk).count() != before
    check_write(response, expected, changed=added, audits_before=audits, redirect_to=url)


@pytest.mark.parametrize("role", ROLES)
def test_sign_trial_b(db: None, matrix: Matrix, role: str) -> None:
    """Signing TRIAL_B's agreement: reviewers over union_b sign; a viewer is refused; others 404."""
    expected, pk = SIGN_TRIAL_B[role], matrix.ids["TRIAL_B"]
    before, audits = snapshot(TrialApplication, pk), AuditEntry.objects.count()
    url = f"/assist/trials/{pk}/"
    response = client_for(matrix.users, role).post(
        url, {"action": "sign", "sign-signed_on": TODAY.isoformat()}
    )
    after = snapshot(TrialApplication, pk)
    check_write(response, expected, changed=after != before, audits_before=audits, redirect_to=url)


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.mark.parametrize("role", ROLES)
def test_photo_of_confidential_question_b(db: None, matrix: Matrix, role: str) -> None:
    """A photo of Q_B (confidential) is served, under both its addresses, only to those who see Q_B."""
    demand = Demand.objects.get(pk=matrix.ids["D_QB"])
    photo = demand_photo_add(
        actor=matrix.users["street_b_admin"],
        demand=demand,
        upload=SimpleUploadedFile("现场.png", PNG, content_type="image/png"),
    )
    expected = PHOTO_OF_Q_B[role]
    client = client_for(matrix.users, role)
    for url in (f"/assist/demands/{demand.pk}/photos/{photo.pk}/", f"/assist/clinic/photos/{photo.pk}/"):
        response = client.get(url)
        if expected == WLOGIN:
            assert_login_redirect(response)
        elif expected == W404:
            assert response.status_code == 404, url
        else:
            assert response.status_code == 200, url
            assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]


# --- imports naming B's records write nothing -------------------------------------------------------


def _upload(text: str, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")


def test_ledger_import_naming_b_imports_nothing(db: None, matrix: Matrix) -> None:
    """street_a_admin imports one row organised by street_b and one serving enterprise B: both rows
    are refused (named by row and column), no activity and no audit row is written."""
    world = matrix.world
    assert world.street_b.division_code and world.enterprise_b.uscc
    header = ",".join(
        ["类别", "活动名称", "日期", "组织工会行政区划代码", "企业统一社会信用代码", "参与工匠"]
    )
    rows = [
        f"上门服务,越权活动一,{TODAY.isoformat()},{world.street_b.division_code},,李春华",
        f"上门服务,越权活动二,{TODAY.isoformat()},,{world.enterprise_b.uscc},李春华",
    ]
    activities, audits = ServiceActivity.objects.count(), AuditEntry.objects.count()
    response = client_for(matrix.users, "street_a_admin").post(
        "/assist/ledger/import/",
        {"org_unit": matrix.ids["street_a"], "file": _upload("\n".join([header, *rows]), "ledger.csv")},
    )
    assert response.status_code == 400
    assert sorted(e.row for e in response.context["errors"]) == [2, 3]
    assert ServiceActivity.objects.count() == activities
    assert not ServiceActivity.objects.filter(title__startswith="越权活动").exists()
    assert AuditEntry.objects.count() == audits


def test_library_import_cannot_overwrite_b_craftsman(db: None, matrix: Matrix) -> None:
    """street_a_admin imports a craftsman under CR_B's external id (street_b's library), skipping
    invalid rows: the row is refused and CR_B keeps its name and library; a new row is imported."""
    header = "外部编号,姓名,荣誉,地区代码,行业门类,工种,专长,简介"
    rows = [
        "GJ-B-001,越权改名,,,C,钳工,装配,改写乙街道的工匠",
        "GJ-A-900,甲新工匠,,,C,钳工,装配,甲街道新入库",
    ]
    before = snapshot(Craftsman, matrix.ids["CR_B"])
    response = client_for(matrix.users, "street_a_admin").post(
        "/assist/library/import/",
        {
            "kind": "craftsmen",
            "org_unit": matrix.ids["street_a"],
            "skip_invalid": "on",
            "file": _upload("\n".join([header, *rows]), "craftsmen.csv"),
        },
    )
    assert response.status_code == 200
    assert len(response.context["problems"]) == 1 and "外部编号" in response.context["problems"][0]
    assert snapshot(Craftsman, matrix.ids["CR_B"]) == before
    assert Craftsman.objects.get(external_id="GJ-A-900").org_unit_id == matrix.ids["street_a"]
