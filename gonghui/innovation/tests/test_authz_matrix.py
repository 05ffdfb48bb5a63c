"""Authorisation matrix of the innovation module: every role × every page, export and API endpoint.

Proves "staff of one node see only that subtree everywhere" for outcomes, evaluations, studios and
alliances. The expected outcomes are explicit tables written by hand (symbols such as ``OUT_A`` name
the objects built below), never computed by calling the code under test. Lists and exports are
compared as exact sets, "missing" and "not yours" must look the same (404), and write attempts by
roles outside the subtree are proven to change nothing (the row and the audit log are compared).

World (gonghui/conftest.py) plus:
    OUT_A    outcome filed by worker_a in union_a (enterprise A), accepted (in EVAL_A's running order)
    OUT_B    outcome filed by street_b_admin in union_b, submitted (waiting to be accepted)
    EVAL_A   roadshow hosted by street_a, preparing; entry ENTRY_A (OUT_A); judge_a's sheet ASSIGN_A
    STUDIO_A studio of union_a (rated for last year); STUDIO_B studio of union_b
    ALLI_D   alliance convened by the district (members STUDIO_A and STUDIO_B)
    ALLI_A   alliance convened by street_a (member STUDIO_A)
One role is added to the shared ten: ``judge_a``, a user holding the personal judge role on street_a
and sitting on EVAL_A's panel (judges reach an evaluation only through their own score sheet).

Deliberate rule encoded below (gonghui/innovation/selectors.py): the similar-outcome warning shown to
a worker filing an outcome searches every outcome of the district, so worker_a sees OUT_B's title
there (title and status only) though OUT_B is nowhere else visible to them.
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
from gonghui.innovation.engine import DEFAULT_RUBRIC
from gonghui.innovation.evaluations import evaluation_create, evaluation_start, rubric_create
from gonghui.innovation.factories import make_judge
from gonghui.innovation.models import (
    Alliance,
    AllianceActivity,
    Assignment,
    Evaluation,
    Outcome,
    OutcomeTransition,
    Rubric,
    Studio,
    StudioRating,
)
from gonghui.innovation.outcomes import TeamMemberInput, outcome_accept, outcome_attach, outcome_create
from gonghui.innovation.studios import alliance_create, studio_add_evidence, studio_create, studio_rate
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
    "judge_a",
]
MISSING_ID = 987654
LAST_YEAR = timezone.localdate().year - 1

# --- symbols for the rows each role may see ----------------------------------------------------
OUT_AB = frozenset({"OUT_A", "OUT_B"})
OUT_A = frozenset({"OUT_A"})
OUT_B = frozenset({"OUT_B"})
EVAL_A = frozenset({"EVAL_A"})
STUDIO_AB = frozenset({"STUDIO_A", "STUDIO_B"})
STUDIO_A = frozenset({"STUDIO_A"})
STUDIO_B = frozenset({"STUDIO_B"})
ALLI_DA = frozenset({"ALLI_D", "ALLI_A"})
ALLI_A = frozenset({"ALLI_A"})
# Units (as form choices): the whole tree, the district's subtree, each street's subtree.
U_ALL = frozenset(
    {"national", "province", "city", "district"}
    | {"street_a", "community_a", "union_a", "street_b", "community_b", "union_b"}
)
U_DIST = frozenset({"district", "street_a", "community_a", "union_a", "street_b", "community_b", "union_b"})
U_A = frozenset({"street_a", "community_a", "union_a"})
U_B = frozenset({"street_b", "community_b", "union_b"})
E_AB = frozenset({"ent_a", "ent_b"})
E_A = frozenset({"ent_a"})
E_B = frozenset({"ent_b"})
# What the evaluation form offers: host units, rubrics, eligible outcomes and judges (a judge of a
# node above counts: "a city's 大国工匠 judge district roadshows").
PICK_A = frozenset({"RUBRIC_A", "OUT_A", "judge:judge_a"})
NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Expect:
    """One cell: status code and, where it matters, the exact rows, redirect or figures."""

    status: int
    rows: frozenset[str] | None = None
    location: str | None = None
    figures: tuple[int, int] | None = None  # statistics: outcomes submitted this year, members


LOGIN = Expect(302, location="/accounts/login/?next=")
E401 = Expect(401)
E404 = Expect(404)
OK = Expect(200)
TO_OUTCOMES = Expect(302, location="/innovation/outcomes/")
TO_JUDGE = Expect(302, location="/innovation/judge/")


def ok(rows: AbstractSet[str]) -> Expect:
    """200 listing exactly ``rows``."""
    return Expect(200, rows=frozenset(rows))


def stats(submitted: int, members: int) -> Expect:
    """200 with these statistics figures."""
    return Expect(200, figures=(submitted, members))


def row(*cells: Expect) -> dict[str, Expect]:
    """One table row: the cells in ROLES order."""
    assert len(cells) == len(ROLES)
    return dict(zip(ROLES, cells, strict=True))


# fmt: off
# Columns: anonymous, superuser, district_admin, district_viewer, street_a_admin, street_a_reviewer,
#          street_b_admin, enterprise_a_admin, worker_a, nobody, judge_a
TABLE: dict[str, dict[str, Expect]] = {
    # ---- outcome pages ----
    "page:home": row(LOGIN, TO_OUTCOMES, TO_OUTCOMES, TO_OUTCOMES, TO_OUTCOMES, TO_OUTCOMES, TO_OUTCOMES,
                     TO_OUTCOMES, ok(OUT_A), ok(NONE), ok(EVAL_A)),
    "page:outcomes": row(LOGIN, ok(OUT_AB), ok(OUT_AB), ok(OUT_AB), ok(OUT_A), ok(OUT_A), ok(OUT_B), ok(OUT_A),
                         E404, E404, E404),
    "page:outcomes_xlsx": row(LOGIN, ok(OUT_AB), ok(OUT_AB), ok(OUT_AB), ok(OUT_A), ok(OUT_A), ok(OUT_B),
                              ok(OUT_A), E404, E404, E404),
    # The queue needs the review right: a viewer's is empty.
    "page:queue": row(LOGIN, ok(OUT_AB), ok(OUT_AB), ok(NONE), ok(OUT_A), ok(OUT_A), ok(OUT_B), ok(OUT_A),
                      E404, E404, E404),
    "page:queue_xlsx": row(LOGIN, ok(OUT_AB), ok(OUT_AB), ok(NONE), ok(OUT_A), ok(OUT_A), ok(OUT_B), ok(OUT_A),
                           E404, E404, E404),
    # Filing (and its similar-outcome warning) is for members: only worker_a is one.
    "page:outcome_new": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, OK, E404, E404),
    "page:similar": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, ok(OUT_AB), E404, E404),
    "page:outcome_a": row(LOGIN, OK, OK, OK, OK, OK, E404, OK, OK, E404, E404),
    "page:outcome_b": row(LOGIN, OK, OK, OK, E404, E404, OK, E404, E404, E404, E404),
    "page:outcome_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    # ---- evaluation pages (EVAL_A is hosted by street_a) ----
    "page:evaluations": row(LOGIN, ok(EVAL_A), ok(EVAL_A), ok(EVAL_A), ok(EVAL_A), ok(EVAL_A), ok(NONE),
                            ok(NONE), TO_JUDGE, TO_JUDGE, TO_JUDGE),
    "page:evaluations_xlsx": row(LOGIN, ok(EVAL_A), ok(EVAL_A), ok(EVAL_A), ok(EVAL_A), ok(EVAL_A), ok(NONE),
                                 ok(NONE), TO_JUDGE, TO_JUDGE, TO_JUDGE),
    "page:evaluation_new": row(LOGIN, ok({"national", "province", "city", "district", "street_a", "street_b"} | PICK_A),
                               ok({"district"} | PICK_A), E404, ok({"street_a"} | PICK_A), E404, ok({"street_b"}),
                               ok({"union_a", "OUT_A", "judge:judge_a"}), E404, E404, E404),
    "page:evaluation_a": row(LOGIN, OK, OK, OK, OK, OK, E404, E404, E404, E404, E404),
    "page:evaluation_screen": row(LOGIN, OK, OK, OK, OK, OK, E404, E404, E404, E404, E404),
    "page:evaluation_board": row(LOGIN, OK, OK, OK, OK, OK, E404, E404, E404, E404, E404),
    "page:evaluation_results": row(LOGIN, OK, OK, OK, OK, OK, E404, E404, E404, E404, E404),
    "page:evaluation_results_xlsx": row(LOGIN, ok(OUT_A), ok(OUT_A), ok(OUT_A), ok(OUT_A), ok(OUT_A), E404, E404,
                                        E404, E404, E404),
    "page:evaluation_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    # No certificate before the session is closed, for anyone.
    "page:certificate": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    "page:judge_home": row(LOGIN, ok(NONE), ok(NONE), ok(NONE), ok(NONE), ok(NONE), ok(NONE), ok(NONE),
                           ok(NONE), ok(NONE), ok(EVAL_A)),
    # A judge's sheet is theirs alone: not even the host's staff open it.
    "page:judge_sheet": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, OK),
    "page:judge_score": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, OK),
    # ---- studio pages ----
    "page:studios": row(LOGIN, ok(STUDIO_AB), ok(STUDIO_AB), ok(STUDIO_AB), ok(STUDIO_A), ok(STUDIO_A),
                        ok(STUDIO_B), ok(STUDIO_A), E404, E404, E404),
    "page:studios_xlsx": row(LOGIN, ok(STUDIO_AB), ok(STUDIO_AB), ok(STUDIO_AB), ok(STUDIO_A), ok(STUDIO_A),
                             ok(STUDIO_B), ok(STUDIO_A), E404, E404, E404),
    # The form's choices: units the user administers and enterprises they see.
    "page:studio_new": row(LOGIN, ok(U_ALL | E_AB), ok(U_DIST | E_AB), E404, ok(U_A | E_A), E404, ok(U_B | E_B),
                           ok({"union_a"} | E_A), E404, E404, E404),
    "page:studio_a": row(LOGIN, OK, OK, OK, OK, OK, E404, OK, E404, E404, E404),
    "page:studio_b": row(LOGIN, OK, OK, OK, E404, E404, OK, E404, E404, E404, E404),
    "page:studio_a_rating": row(LOGIN, OK, OK, OK, OK, OK, E404, OK, E404, E404, E404),
    "page:studio_b_rating": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    "page:studio_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    # ---- alliance pages ----
    "page:alliances": row(LOGIN, ok(ALLI_DA), ok(ALLI_DA), ok(ALLI_DA), ok(ALLI_A), ok(ALLI_A), ok(NONE),
                          ok(NONE), E404, E404, E404),
    "page:alliances_xlsx": row(LOGIN, ok(ALLI_DA), ok(ALLI_DA), ok(ALLI_DA), ok(ALLI_A), ok(ALLI_A), ok(NONE),
                               ok(NONE), E404, E404, E404),
    # The form's choices: units the user administers and the (active) studios they see.
    "page:alliance_new": row(LOGIN, ok(U_ALL | STUDIO_AB), ok(U_DIST | STUDIO_AB), E404, ok(U_A | STUDIO_A), E404,
                             ok(U_B | STUDIO_B), ok({"union_a"} | STUDIO_A), E404, E404, E404),
    "page:alliance_d": row(LOGIN, OK, OK, OK, E404, E404, E404, E404, E404, E404, E404),
    "page:alliance_a": row(LOGIN, OK, OK, OK, OK, OK, E404, E404, E404, E404, E404),
    "page:alliance_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    # ---- statistics: the user's top node; (outcomes submitted this year, members in the subtree) ----
    "page:statistics": row(LOGIN, stats(2, 7), stats(2, 7), stats(2, 7), stats(1, 4), stats(1, 4), stats(1, 3),
                           stats(1, 3), E404, E404, E404),
    "page:statistics_xlsx": row(LOGIN, stats(2, 7), stats(2, 7), stats(2, 7), stats(1, 4), stats(1, 4),
                                stats(1, 3), stats(1, 3), E404, E404, E404),
    # ---- API ----
    "api:outcomes": row(E401, ok(OUT_AB), ok(OUT_AB), ok(OUT_AB), ok(OUT_A), ok(OUT_A), ok(OUT_B), ok(OUT_A),
                        ok(OUT_A), ok(NONE), ok(NONE)),
    "api:outcome_a": row(E401, OK, OK, OK, OK, OK, E404, OK, OK, E404, E404),
    "api:outcome_b": row(E401, OK, OK, OK, E404, E404, OK, E404, E404, E404, E404),
    "api:outcome_missing": row(E401, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    "api:evaluations": row(E401, ok(EVAL_A), ok(EVAL_A), ok(EVAL_A), ok(EVAL_A), ok(EVAL_A), ok(NONE), ok(NONE),
                           ok(NONE), ok(NONE), ok(NONE)),
    "api:evaluation_a": row(E401, OK, OK, OK, OK, OK, E404, E404, E404, E404, E404),
    "api:evaluation_missing": row(E401, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    "api:studios": row(E401, ok(STUDIO_AB), ok(STUDIO_AB), ok(STUDIO_AB), ok(STUDIO_A), ok(STUDIO_A),
                       ok(STUDIO_B), ok(STUDIO_A), ok(NONE), ok(NONE), ok(NONE)),
    "api:studio_a": row(E401, OK, OK, OK, OK, OK, E404, OK, E404, E404, E404),
    "api:studio_b": row(E401, OK, OK, OK, E404, E404, OK, E404, E404, E404, E404),
    "api:studio_missing": row(E401, E404, E404, E404, E404, E404, E404, E404, E404, E404, E404),
}
# fmt: on

# Endpoint → URL template; ``{name}`` is replaced by the id of that symbol.
URLS: dict[str, str] = {
    "page:home": "/innovation/",
    "page:outcomes": "/innovation/outcomes/",
    "page:outcomes_xlsx": "/innovation/outcomes/?export=xlsx",
    "page:queue": "/innovation/outcomes/queue/",
    "page:queue_xlsx": "/innovation/outcomes/queue/?export=xlsx",
    "page:outcome_new": "/innovation/outcomes/new/",
    "page:similar": "/innovation/outcomes/similar/?title=数控车床刀具快速更换装置&measures=快换刀座",
    "page:outcome_a": "/innovation/outcomes/{OUT_A}/",
    "page:outcome_b": "/innovation/outcomes/{OUT_B}/",
    "page:outcome_missing": "/innovation/outcomes/{missing}/",
    "page:evaluations": "/innovation/evaluations/",
    "page:evaluations_xlsx": "/innovation/evaluations/?export=xlsx",
    "page:evaluation_new": "/innovation/evaluations/new/",
    "page:evaluation_a": "/innovation/evaluations/{EVAL_A}/",
    "page:evaluation_screen": "/innovation/evaluations/{EVAL_A}/screen/",
    "page:evaluation_board": "/innovation/evaluations/{EVAL_A}/board/",
    "page:evaluation_results": "/innovation/evaluations/{EVAL_A}/results/",
    "page:evaluation_results_xlsx": "/innovation/evaluations/{EVAL_A}/results/?export=xlsx",
    "page:evaluation_missing": "/innovation/evaluations/{missing}/",
    "page:certificate": "/innovation/evaluations/{EVAL_A}/entries/{ENTRY_A}/certificate.pdf",
    "page:judge_home": "/innovation/judge/",
    "page:judge_sheet": "/innovation/judge/evaluations/{EVAL_A}/",
    "page:judge_score": "/innovation/judge/assignments/{ASSIGN_A}/",
    "page:studios": "/innovation/studios/",
    "page:studios_xlsx": "/innovation/studios/?export=xlsx",
    "page:studio_new": "/innovation/studios/new/",
    "page:studio_a": "/innovation/studios/{STUDIO_A}/",
    "page:studio_b": "/innovation/studios/{STUDIO_B}/",
    "page:studio_a_rating": "/innovation/studios/{STUDIO_A}/ratings/{last_year}/",
    "page:studio_b_rating": "/innovation/studios/{STUDIO_B}/ratings/{last_year}/",  # B was never rated
    "page:studio_missing": "/innovation/studios/{missing}/",
    "page:alliances": "/innovation/alliances/",
    "page:alliances_xlsx": "/innovation/alliances/?export=xlsx",
    "page:alliance_new": "/innovation/alliances/new/",
    "page:alliance_d": "/innovation/alliances/{ALLI_D}/",
    "page:alliance_a": "/innovation/alliances/{ALLI_A}/",
    "page:alliance_missing": "/innovation/alliances/{missing}/",
    "page:statistics": "/innovation/statistics/",
    "page:statistics_xlsx": "/innovation/statistics/?export=xlsx",
    "api:outcomes": "/api/v1/innovation/outcomes",
    "api:outcome_a": "/api/v1/innovation/outcomes/{OUT_A}",
    "api:outcome_b": "/api/v1/innovation/outcomes/{OUT_B}",
    "api:outcome_missing": "/api/v1/innovation/outcomes/{missing}",
    "api:evaluations": "/api/v1/innovation/evaluations",
    "api:evaluation_a": "/api/v1/innovation/evaluations/{EVAL_A}",
    "api:evaluation_missing": "/api/v1/innovation/evaluations/{missing}",
    "api:studios": "/api/v1/innovation/studios",
    "api:studio_a": "/api/v1/innovation/studios/{STUDIO_A}",
    "api:studio_b": "/api/v1/innovation/studios/{STUDIO_B}",
    "api:studio_missing": "/api/v1/innovation/studios/{missing}",
}
# Which kind of row a list endpoint returns (to turn ids or titles back into symbols).
LIST_KIND = {
    "page:outcomes": "outcome",
    "page:outcomes_xlsx": "outcome",
    "page:queue": "outcome",
    "page:queue_xlsx": "outcome",
    "page:similar": "outcome",
    "page:evaluations": "evaluation",
    "page:evaluations_xlsx": "evaluation",
    "page:evaluation_results_xlsx": "outcome",
    "page:studios": "studio",
    "page:studios_xlsx": "studio",
    "page:alliances": "alliance",
    "page:alliances_xlsx": "alliance",
    "api:outcomes": "outcome",
    "api:evaluations": "evaluation",
    "api:studios": "studio",
}
# Form pages: the fields whose choices are compared (the evaluation form adds its pick tables).
FORM_CHOICES = {
    "page:evaluation_new": ["org_unit", "rubric"],
    "page:studio_new": ["org_unit", "enterprise"],
    "page:alliance_new": ["org_unit", "studios", "lead"],
}
MODEL_KIND: dict[type, str] = {
    OrgUnit: "unit",
    Enterprise: "ent",
    Rubric: "rubric",
    Outcome: "outcome",
    User: "user",
    Studio: "studio",
}
# The xlsx column holding each export's row title.
XLSX_TITLE = {
    "page:queue_xlsx": "名称",
    "page:outcomes_xlsx": "名称",
    "page:evaluations_xlsx": "名称",
    "page:evaluation_results_xlsx": "成果名称",
    "page:studios_xlsx": "名称",
    "page:alliances_xlsx": "名称",
}


@dataclass
class Matrix:
    """The world plus symbol ↔ id maps."""

    world: World
    users: dict[str, User] = field(default_factory=dict)  # role → user (world users plus judge_a)
    clients: dict[str, Client] = field(default_factory=dict)  # role → logged-in client (reads only)
    ids: dict[str, int] = field(default_factory=dict)  # symbol → pk
    symbols: dict[tuple[str, int], str] = field(default_factory=dict)  # (kind, pk) → symbol
    titles: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, title) → symbol

    def add(self, kind: str, symbol: str, pk: int, title: str = "") -> None:
        self.ids[symbol] = pk
        self.symbols[(kind, pk)] = symbol
        if title:
            self.titles[(kind, title)] = symbol

    def url(self, endpoint: str) -> str:
        return URLS[endpoint].format(missing=MISSING_ID, last_year=LAST_YEAR, **self.ids)

    def symbol(self, kind: str, pk: int) -> str:
        return self.symbols.get((kind, pk), f"?{kind}#{pk}")


def _build_matrix() -> Matrix:
    world = build_world()
    users = {**world.users, "judge_a": make_judge("judge_a", unit=world.street_a, display_name="评委甲")}
    m = Matrix(world, users=users)
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
    for role, user in users.items():
        m.add("user", f"judge:{role}" if role == "judge_a" else f"user:{role}", user.pk)
    worker = world.users["worker_a"]
    member = world.members_a[0]
    out_a = outcome_create(
        actor=worker,
        org_unit=world.unit_a(),
        type=Outcome.Type.FIVE_SMALL,
        subtype="小革新",
        title="数控车床刀具快速更换装置",
        situation="换刀需要停机 20 分钟",
        measures="设计快换刀座，定位销一次对准",
        team=[TeamMemberInput(name=member.name, share=Decimal(100), member_id=member.pk)],
        submit=True,
    )
    out_a = outcome_accept(outcome=out_a, actor=world.users["street_a_admin"])
    out_b = outcome_create(
        actor=world.users["street_b_admin"],
        org_unit=world.unit_b(),
        type=Outcome.Type.FIVE_SMALL,
        subtype="小革新",
        title="数控车床刀具快速更换夹具",
        situation="换刀耗时长",
        measures="快换刀座与定位销",
        team=[TeamMemberInput(name="王五", share=Decimal(100))],
        submit=True,
    )
    m.add("outcome", "OUT_A", out_a.pk, out_a.title)
    m.add("outcome", "OUT_B", out_b.pk, out_b.title)
    rubric = rubric_create(
        actor=world.users["street_a_admin"], org_unit=world.street_a, name=DEFAULT_RUBRIC.name
    )
    evaluation = evaluation_create(
        actor=world.users["street_a_admin"],
        org_unit=world.street_a,
        title="甲街道职工创新路演",
        rubric=rubric,
        held_on=dt.date(LAST_YEAR, 5, 20),
        outcomes=[out_a],
        judges=[(users["judge_a"], "大国工匠")],
    )
    m.add("evaluation", "EVAL_A", evaluation.pk, evaluation.title)
    m.add("rubric", "RUBRIC_A", rubric.pk)
    entry = evaluation.entries.get()
    m.add("entry", "ENTRY_A", entry.pk)
    m.add("assignment", "ASSIGN_A", Assignment.objects.get(entry=entry).pk)
    studios = {}
    for symbol, unit, enterprise, name in [
        ("STUDIO_A", world.unit_a(), world.enterprise_a, "甲创新工作室"),
        ("STUDIO_B", world.unit_b(), world.enterprise_b, "乙创新工作室"),
    ]:
        studios[symbol] = studio_create(
            actor=world.users["district_admin"],
            org_unit=unit,
            enterprise=enterprise,
            name=name,
            leader_name="张工",
            level=Studio.Level.DISTRICT,
            field="数控加工",
            founded_on=dt.date(2022, 3, 1),
        )
        m.add("studio", symbol, studios[symbol].pk, name)
    studio_rate(studio=studios["STUDIO_A"], actor=world.users["district_admin"], year=LAST_YEAR)
    alliance_d = alliance_create(
        actor=world.users["district_admin"],
        org_unit=world.district,
        name="示范区创新工作室联盟",
        field="智能制造",
        founded_on=dt.date(2023, 1, 1),
        studios=[studios["STUDIO_A"], studios["STUDIO_B"]],
        lead=studios["STUDIO_A"],
    )
    alliance_a = alliance_create(
        actor=world.users["street_a_admin"],
        org_unit=world.street_a,
        name="甲街道数控联盟",
        field="数控加工",
        founded_on=dt.date(2023, 1, 1),
        studios=[studios["STUDIO_A"]],
        lead=studios["STUDIO_A"],
    )
    m.add("alliance", "ALLI_D", alliance_d.pk, alliance_d.name)
    m.add("alliance", "ALLI_A", alliance_a.pk, alliance_a.name)
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


def _observed_rows(matrix: Matrix, endpoint: str, response: Any) -> frozenset[str]:
    """Turn whatever the endpoint listed back into symbols (unknown rows stay visible as '?…')."""
    if endpoint in XLSX_TITLE:
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        kind, column = LIST_KIND[endpoint], XLSX_TITLE[endpoint]
        return frozenset(
            matrix.titles.get((kind, r[column]), f"?{r[column]}") for r in xlsx_rows(response.content)
        )
    if endpoint in FORM_CHOICES:
        form = response.context["form"]
        offered = [obj for name in FORM_CHOICES[endpoint] for obj in form.fields[name].queryset]
        if endpoint == "page:evaluation_new":
            offered += [*form.outcome_rows, *form.judge_rows]
        return frozenset(matrix.symbol(MODEL_KIND[type(obj)], obj.pk) for obj in offered)
    if endpoint == "page:home":
        outcomes = {matrix.symbol("outcome", o.pk) for o in response.context["outcomes"]}
        panels = {matrix.symbol("evaluation", p.evaluation_id) for p in response.context["panels"]}
        return frozenset(outcomes | panels)
    if endpoint == "page:judge_home":
        return frozenset(matrix.symbol("evaluation", p.evaluation_id) for p in response.context["panels"])
    if endpoint == "page:similar":
        return frozenset(matrix.symbol("outcome", r["id"]) for r in response.context["similar"])
    kind = LIST_KIND[endpoint]
    if endpoint.startswith("page:"):
        assert response.context["page"].paginator.num_pages == 1
        return frozenset(matrix.symbol(kind, r["obj"].pk) for r in response.context["rows"])
    body = response.json()
    assert body["next"] is None, "all rows must fit on one page for the comparison"
    return frozenset(matrix.symbol(kind, r["id"]) for r in body["results"])


def _observed_figures(response: Any, xlsx: bool) -> tuple[int, int]:
    if xlsx:
        totals = {r["指标"]: r for r in xlsx_rows(response.content, "汇总")}
        year = f"{timezone.localdate().year} 年"
        return (totals["提交成果（项）"][year], totals["在会会员（人）"][year])
    figures = response.context["stats"]
    return (figures["this_year"]["submitted"], figures["members"])


CELLS = [(endpoint, role) for endpoint in TABLE for role in ROLES]


@pytest.mark.parametrize(("endpoint", "role"), CELLS, ids=[f"{e}-{r}" for e, r in CELLS])
def test_matrix_cell(db: None, matrix: Matrix, endpoint: str, role: str) -> None:
    """One role × one endpoint gives exactly the tabled status, rows, redirect or figures."""
    expected = TABLE[endpoint][role]
    url = matrix.url(endpoint)
    response = matrix.clients[role].get(url)
    assert response.status_code == expected.status, response.content[:300]
    if expected == LOGIN:
        assert_login_redirect(response)
    elif expected.location is not None:
        assert response["Location"] == expected.location
    if expected.rows is not None:
        assert _observed_rows(matrix, endpoint, response) == expected.rows
    if expected.figures is not None:
        assert _observed_figures(response, xlsx=endpoint.endswith("_xlsx")) == expected.figures
    if endpoint.startswith("api:") and expected.status >= 400:
        assert_api_error(response, expected.status)
    if endpoint.startswith("api:") and expected.status == 200 and endpoint not in LIST_KIND:
        requested = URLS[endpoint].rsplit("{", 1)[1].rstrip("}")
        assert response.json()["id"] == matrix.ids[requested]


def test_table_covers_every_role_and_endpoint() -> None:
    """The table itself is complete: no endpoint or role silently skipped."""
    assert set(TABLE) == set(URLS)
    for endpoint, cells in TABLE.items():
        assert list(cells) == ROLES, endpoint


# --- "missing" and "not yours" look the same ---------------------------------------------------

BLIND_TO_B = ["street_a_admin", "street_a_reviewer", "enterprise_a_admin", "worker_a", "nobody", "judge_a"]
FOREIGN_VS_MISSING = [
    ("api:outcome_b", "api:outcome_missing"),
    ("api:studio_b", "api:studio_missing"),
    ("page:outcome_b", "page:outcome_missing"),
    ("page:studio_b", "page:studio_missing"),
]


@pytest.mark.parametrize("role", BLIND_TO_B)
@pytest.mark.parametrize(("foreign", "missing"), FOREIGN_VS_MISSING)
def test_not_yours_is_indistinguishable_from_missing(
    db: None, matrix: Matrix, role: str, foreign: str, missing: str
) -> None:
    """A B object and a non-existent id answer with the same status and the same body/template."""
    assert_foreign_looks_missing(matrix.clients[role], matrix.url(foreign), matrix.url(missing))


@pytest.mark.parametrize("role", ["street_b_admin", "enterprise_a_admin", "worker_a", "nobody", "judge_a"])
def test_evaluation_of_street_a_is_missing_for_outsiders(db: None, matrix: Matrix, role: str) -> None:
    """EVAL_A (street_a's) and a non-existent evaluation look the same to those outside street_a."""
    client = matrix.clients[role]
    a, b = client.get(matrix.url("api:evaluation_a")), client.get(matrix.url("api:evaluation_missing"))
    assert a.status_code == b.status_code == 404 and a.content == b.content
    a, b = client.get(matrix.url("page:evaluation_a")), client.get(matrix.url("page:evaluation_missing"))
    assert a.status_code == b.status_code == 404
    assert [t.name for t in a.templates] == [t.name for t in b.templates]


# --- writes outside the subtree change nothing ----------------------------------------------------

# A write cell: DONE, REFUSED, W404 or WLOGIN (gonghui.core.tests.authz.check_write), or W401
# for the API.
W401 = "401"


def wrow(*cells: str) -> dict[str, str]:
    assert len(cells) == len(ROLES)
    return dict(zip(ROLES, cells, strict=True))


# fmt: off
# Columns: anonymous, superuser, district_admin, district_viewer, street_a_admin, street_a_reviewer,
#          street_b_admin, enterprise_a_admin, worker_a, nobody, judge_a
ACCEPT_OUT_B = wrow(WLOGIN, DONE, DONE, REFUSED, W404, W404, DONE, W404, W404, W404, W404)
START_EVAL_A = wrow(WLOGIN, DONE, DONE, W404, DONE, W404, W404, W404, W404, W404, W404)
RATE_STUDIO_B = wrow(WLOGIN, DONE, DONE, REFUSED, W404, W404, DONE, W404, W404, W404, W404)
ALLIANCE_D_ACTIVITY = wrow(WLOGIN, DONE, DONE, REFUSED, W404, W404, W404, W404, W404, W404, W404)
JUDGE_CONFLICT_A = wrow(WLOGIN, W404, W404, W404, W404, W404, W404, W404, W404, W404, DONE)
API_CREATE_IN_B = wrow(W401, "201", "201", W404, W404, W404, "201", W404, W404, W404, W404)
API_SCORE_A = wrow(W401, W404, W404, W404, W404, W404, W404, W404, W404, W404, "200")
DOWNLOAD_B_ATTACHMENT = wrow(WLOGIN, "200", "200", "200", W404, W404, "200", W404, W404, W404, W404)
# fmt: on


@pytest.mark.parametrize("role", ROLES)
def test_accept_outcome_b(db: None, matrix: Matrix, role: str) -> None:
    """受理 of OUT_B: reviewers over union_b accept it; a viewer is refused; everyone else gets 404
    and neither the outcome, its history nor the audit log changes."""
    expected, pk = ACCEPT_OUT_B[role], matrix.ids["OUT_B"]
    before, history, audits = (
        snapshot(Outcome, pk),
        OutcomeTransition.objects.count(),
        AuditEntry.objects.count(),
    )
    url = f"/innovation/outcomes/{pk}/accept/"
    response = client_for(matrix.users, role).post(url, {"comment": "越权受理"})
    after = snapshot(Outcome, pk)
    check_write(
        response,
        expected,
        changed=after != before,
        audits_before=audits,
        redirect_to=f"/innovation/outcomes/{pk}/",
    )
    if expected == DONE:
        assert after["status"] == Outcome.Status.ACCEPTED
        assert OutcomeTransition.objects.count() == history + 1
    else:
        assert OutcomeTransition.objects.count() == history


@pytest.mark.parametrize("role", ROLES)
def test_start_evaluation_a(db: None, matrix: Matrix, role: str) -> None:
    """Starting EVAL_A is for administrators over street_a; viewers, reviewers and outsiders get 404."""
    expected, pk = START_EVAL_A[role], matrix.ids["EVAL_A"]
    after = attempt_write(
        matrix.users,
        role,
        model=Evaluation,
        pk=pk,
        url=f"/innovation/evaluations/{pk}/start/",
        expected=expected,
        redirect_to=f"/innovation/evaluations/{pk}/",
    )
    if expected == DONE:
        assert after["status"] == Evaluation.Status.LIVE


@pytest.mark.parametrize("role", ROLES)
def test_rate_studio_b(db: None, matrix: Matrix, role: str) -> None:
    """Rating STUDIO_B: reviewers over union_b rate it; a viewer is refused; others get 404 and no
    rating row, no change of the studio and no audit row appears."""
    expected, pk = RATE_STUDIO_B[role], matrix.ids["STUDIO_B"]
    before, audits = snapshot(Studio, pk), AuditEntry.objects.count()
    url = f"/innovation/studios/{pk}/"
    response = client_for(matrix.users, role).post(url, {"action": "rate", "rate-year": str(LAST_YEAR)})
    rated = StudioRating.objects.filter(studio_id=pk).exists()
    unchanged_studio = snapshot(Studio, pk) == before
    check_write(response, expected, changed=rated, audits_before=audits, redirect_to=url)
    if expected != DONE:
        assert unchanged_studio


@pytest.mark.parametrize("role", ROLES)
def test_add_activity_to_district_alliance(db: None, matrix: Matrix, role: str) -> None:
    """ALLI_D is the district's: only its administrators record an activity; a viewer is refused,
    street staff (whose studios are members) get 404, and nothing is recorded."""
    expected, pk = ALLIANCE_D_ACTIVITY[role], matrix.ids["ALLI_D"]
    before, audits = snapshot(Alliance, pk), AuditEntry.objects.count()
    url = f"/innovation/alliances/{pk}/"
    form = {
        "action": "activity",
        "activity-title": "越权交流会",
        "activity-held_on": timezone.localdate().isoformat(),
        "activity-participants": "12",
    }
    response = client_for(matrix.users, role).post(url, form)
    added = AllianceActivity.objects.filter(alliance_id=pk, title="越权交流会").exists()
    check_write(response, expected, changed=added, audits_before=audits, redirect_to=url)
    assert snapshot(Alliance, pk) == before


@pytest.mark.parametrize("role", ROLES)
def test_declare_conflict_on_judge_sheet(db: None, matrix: Matrix, role: str) -> None:
    """回避 on ASSIGN_A is judge_a's alone: even the host's administrators get 404 and the sheet
    stays as it was."""
    expected, pk = JUDGE_CONFLICT_A[role], matrix.ids["ASSIGN_A"]
    after = attempt_write(
        matrix.users,
        role,
        model=Assignment,
        pk=pk,
        url=f"/innovation/judge/assignments/{pk}/conflict/",
        data={"reason": "与参评单位有利害关系"},
        expected=expected,
        redirect_to=f"/innovation/judge/evaluations/{matrix.ids['EVAL_A']}/",
    )
    if expected == DONE:
        assert after["excused"] is True


NEW_OUTCOME = {
    "type": "five_small",
    "subtype": "小革新",
    "title": "越权提交的成果",
    "team": [{"name": "赵六", "share": "100"}],
}


@pytest.mark.parametrize("role", ROLES)
def test_api_create_outcome_in_b(db: None, matrix: Matrix, role: str) -> None:
    """POST /api/v1/innovation/outcomes into union_b: reviewers over union_b file it; everyone else
    gets the same 404 as for a non-existent unit, and no outcome and no audit row appears."""
    expected = API_CREATE_IN_B[role]
    client = client_for(matrix.users, role)
    outcomes, audits = Outcome.objects.count(), AuditEntry.objects.count()
    payload = {**NEW_OUTCOME, "org_unit_id": matrix.ids["union_b"]}
    response = client.post("/api/v1/innovation/outcomes", payload, content_type="application/json")
    if expected == "201":
        assert response.status_code == 201, response.content
        assert Outcome.objects.get(pk=response.json()["id"]).org_unit_id == matrix.ids["union_b"]
        return
    status = 401 if expected == W401 else 404
    assert response.status_code == status, response.content
    assert_api_error(response, status)
    assert Outcome.objects.count() == outcomes
    assert AuditEntry.objects.count() == audits
    if status == 404:
        missing = client.post(
            "/api/v1/innovation/outcomes",
            {**payload, "org_unit_id": MISSING_ID},
            content_type="application/json",
        )
        assert missing.content == response.content


@pytest.mark.parametrize("role", ROLES)
def test_api_score_assignment_a(db: None, matrix: Matrix, role: str) -> None:
    """POST …/assignments/{ASSIGN_A}/score once EVAL_A is live: only judge_a scores their own sheet;
    everyone else, host administrators included, gets 404 and the sheet is untouched."""
    evaluation_start(
        evaluation=Evaluation.objects.get(pk=matrix.ids["EVAL_A"]), actor=matrix.users["street_a_admin"]
    )
    expected, pk = API_SCORE_A[role], matrix.ids["ASSIGN_A"]
    before, audits = snapshot(Assignment, pk), AuditEntry.objects.count()
    scores = dict.fromkeys(DEFAULT_RUBRIC.codes, 4)
    response = client_for(matrix.users, role).post(
        f"/api/v1/innovation/assignments/{pk}/score", {"scores": scores}, content_type="application/json"
    )
    after = snapshot(Assignment, pk)
    if expected == "200":
        assert response.status_code == 200, response.content
        assert after["scores"] == scores
        return
    status = 401 if expected == W401 else 404
    assert response.status_code == status, response.content
    assert_api_error(response, status)
    assert after == before
    assert AuditEntry.objects.count() == audits


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.mark.parametrize("role", ROLES)
def test_download_attachment_of_outcome_b(db: None, matrix: Matrix, role: str) -> None:
    """An attachment of OUT_B is served only to those who see OUT_B (never to its neighbours)."""
    outcome = Outcome.objects.get(pk=matrix.ids["OUT_B"])
    attachment = outcome_attach(
        outcome=outcome,
        actor=matrix.users["street_b_admin"],
        upload=SimpleUploadedFile("现场照片.png", PNG, content_type="image/png"),
    )
    expected = DOWNLOAD_B_ATTACHMENT[role]
    url = f"/innovation/attachments/{attachment.pk}/"
    response = client_for(matrix.users, role).get(url)
    if expected == WLOGIN:
        assert_login_redirect(response)
    elif expected == W404:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]


DOWNLOAD_B_EVIDENCE = DOWNLOAD_B_ATTACHMENT  # the studio's readers: the same people as OUT_B's


@pytest.mark.parametrize("role", ROLES)
def test_download_evidence_file_of_studio_b(db: None, matrix: Matrix, role: str) -> None:
    """A 六有 evidence file of STUDIO_B is served only to those who see STUDIO_B; asking for it
    under STUDIO_A (which A's staff do see) does not reach it either."""
    evidence = studio_add_evidence(
        actor=matrix.users["street_b_admin"],
        studio=Studio.objects.get(pk=matrix.ids["STUDIO_B"]),
        have="rules",
        description="工作室管理办法",
        year=LAST_YEAR,
        file=SimpleUploadedFile("管理办法.png", PNG, content_type="image/png"),
    )
    expected = DOWNLOAD_B_EVIDENCE[role]
    client = client_for(matrix.users, role)
    url = f"/innovation/studios/{matrix.ids['STUDIO_B']}/evidence/{evidence.pk}/file/"
    response = client.get(url)
    if expected == WLOGIN:
        assert_login_redirect(response)
    elif expected == W404:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]
    wrong_studio = client.get(f"/innovation/studios/{matrix.ids['STUDIO_A']}/evidence/{evidence.pk}/file/")
    assert wrong_studio.status_code == (302 if role == "anonymous" else 404)
