"""Authorisation matrix: every role × every page, export and API endpoint.

Proves "staff of one node see only that subtree everywhere". The expected outcomes are an
explicit table written by hand (symbols such as ``street_a`` / ``a1`` name the objects of the
shared world), never computed by calling the code under test. Lists, exports and form choices
are compared as exact sets, so a leak of one B row into A's view fails. "Missing" and "not
yours" must be indistinguishable, and write attempts outside the subtree must change nothing.

World (gonghui/conftest.py) plus three jobs:
    district ─ street_a ─ community_a (flexible worker flex_a) ─ union_a (enterprise A: a0 a1 a2)
             └ street_b ─ community_b ─ union_b (enterprise B: b0 b1 b2)
    job_a at community_a, job_b at street_b, job_own started by enterprise_a_admin (no node).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client
from openpyxl import load_workbook

from gonghui.audit.models import AuditEntry
from gonghui.conftest import World, build_world
from gonghui.core.models import Job
from gonghui.core.tests.authz import (
    assert_api_error,
    assert_foreign_looks_missing,
)
from gonghui.members.models import Member

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
]
USERNAMES = {
    "superuser": "root",
    **{role: role for role in ROLES if role not in {"anonymous", "superuser"}},
}
MISSING_ID = 987654

# --- symbols for the rows each role may see ----------------------------------------------------
U_ALL = frozenset(
    {"national", "province", "city", "district"}
    | {"street_a", "community_a", "union_a", "street_b", "community_b", "union_b"}
)
U_DIST = frozenset({"district", "street_a", "community_a", "union_a", "street_b", "community_b", "union_b"})
U_A = frozenset({"street_a", "community_a", "union_a"})
U_B = frozenset({"street_b", "community_b", "union_b"})
U_ENT_A = frozenset({"union_a"})
E_ALL = frozenset({"ent_a", "ent_b"})
E_A = frozenset({"ent_a"})
E_B = frozenset({"ent_b"})
M_A = frozenset({"a0", "a1", "a2", "flex_a"})
M_B = frozenset({"b0", "b1", "b2"})
M_ALL = M_A | M_B
M_ENT_A = frozenset({"a0", "a1", "a2"})
M_OWN = frozenset({"a0"})
AUD_A = frozenset({"create:street_a", "create:community_a", "create:union_a", "create:ent_a"})
AUD_B = frozenset({"create:street_b", "create:community_b", "create:union_b", "create:ent_b"})
AUD_DIST = AUD_A | AUD_B | {"create:district"}
AUD_ALL = (
    AUD_DIST
    | {"create:national", "create:province", "create:city"}
    | {f"user:{name}" for name in USERNAMES.values()}
)
AUD_ENT_A = frozenset({"create:union_a", "create:ent_a"})
NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Expect:
    """One cell: status code, and where it matters the exact rows, redirect or dashboard figures."""

    status: int
    rows: frozenset[str] | None = None
    location: str | None = None
    figures: tuple[int, int, int] | None = None  # dashboard: members, units, enterprises


LOGIN = Expect(302, location="/accounts/login/?next=")
E401 = Expect(401)
E403 = Expect(403)
E404 = Expect(404)
OK = Expect(200)
TO_ME = Expect(302, location="/members/me/")
TO_HOME = Expect(302, location="/")


def ok(rows: AbstractSet[str]) -> Expect:
    """200 listing exactly ``rows``."""
    return Expect(200, rows=frozenset(rows))


def row(*cells: Expect) -> dict[str, Expect]:
    """One table row: the cells in ROLES order."""
    assert len(cells) == len(ROLES)
    return dict(zip(ROLES, cells, strict=True))


# fmt: off
# Columns: anonymous, superuser, district_admin, district_viewer, street_a_admin, street_a_reviewer,
#          street_b_admin, enterprise_a_admin, worker_a, nobody
TABLE: dict[str, dict[str, Expect]] = {
    # ---- pages ----
    "page:home": row(LOGIN, Expect(200, figures=(7, 10, 2)), Expect(200, figures=(7, 7, 2)),
                     Expect(200, figures=(7, 7, 2)), Expect(200, figures=(4, 3, 1)),
                     Expect(200, figures=(4, 3, 1)), Expect(200, figures=(3, 3, 1)),
                     Expect(200, figures=(3, 1, 1)), TO_ME, TO_ME),
    "page:units": row(LOGIN, ok(U_ALL), ok(U_DIST), ok(U_DIST), ok(U_A), ok(U_A), ok(U_B), ok(U_ENT_A), E404, E404),
    "page:unit_a": row(LOGIN, OK, OK, OK, OK, OK, E404, OK, E404, E404),
    "page:unit_b": row(LOGIN, OK, OK, OK, E404, E404, OK, E404, E404, E404),
    "page:street_a": row(LOGIN, OK, OK, OK, OK, OK, E404, E404, E404, E404),
    "page:unit_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    "page:enterprises": row(LOGIN, ok(E_ALL), ok(E_ALL), ok(E_ALL), ok(E_A), ok(E_A), ok(E_B), ok(E_A), E404, E404),
    "page:members": row(LOGIN, ok(M_ALL), ok(M_ALL), ok(M_ALL), ok(M_A), ok(M_A), ok(M_B), ok(M_ENT_A), E404, E404),
    "page:member_a": row(LOGIN, OK, OK, OK, OK, OK, E404, OK, E404, E404),
    "page:member_b": row(LOGIN, OK, OK, OK, E404, E404, OK, E404, E404, E404),
    "page:member_own": row(LOGIN, OK, OK, OK, OK, OK, E404, OK, OK, E404),
    "page:member_missing": row(LOGIN, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    "page:members_xlsx": row(LOGIN, ok(M_ALL), ok(M_ALL), ok(M_ALL), ok(M_A), ok(M_A), ok(M_B), ok(M_ENT_A),
                             E404, E404),
    "page:member_new": row(LOGIN, ok(U_ALL), ok(U_DIST), E404, ok(U_A), E404, ok(U_B), ok(U_ENT_A), E404, E404),
    "page:member_import": row(LOGIN, OK, OK, E404, OK, E404, OK, OK, E404, E404),
    "page:audit": row(LOGIN, ok(AUD_ALL), ok(AUD_DIST), E404, ok(AUD_A), E404, ok(AUD_B), ok(AUD_ENT_A), E404, E404),
    "page:audit_xlsx": row(LOGIN, ok(AUD_ALL), ok(AUD_DIST), E404, ok(AUD_A), E404, ok(AUD_B), ok(AUD_ENT_A),
                           E404, E404),
    "page:jobs": row(LOGIN, ok({"job_a", "job_b", "job_own"}), ok({"job_a", "job_b"}), ok({"job_a", "job_b"}),
                     ok({"job_a"}), ok({"job_a"}), ok({"job_b"}), ok({"job_own"}), ok(NONE), ok(NONE)),
    "page:job_a": row(LOGIN, OK, OK, OK, OK, OK, E404, E404, E404, E404),
    "page:me": row(LOGIN, TO_HOME, TO_HOME, TO_HOME, TO_HOME, TO_HOME, TO_HOME, TO_HOME, ok(M_OWN), ok(NONE)),
    # ---- API ----
    "api:me": row(E401, ok({"user:root"}), ok({"user:district_admin"}), ok({"user:district_viewer"}),
                  ok({"user:street_a_admin"}), ok({"user:street_a_reviewer"}), ok({"user:street_b_admin"}),
                  ok({"user:enterprise_a_admin"}), ok({"user:worker_a", "a0"}), ok({"user:nobody"})),
    "api:units": row(E401, ok(U_ALL), ok(U_DIST), ok(U_DIST), ok(U_A), ok(U_A), ok(U_B), ok(U_ENT_A), ok(NONE), ok(NONE)),
    "api:unit_a": row(E401, OK, OK, OK, OK, OK, E404, OK, E404, E404),
    "api:unit_b": row(E401, OK, OK, OK, E404, E404, OK, E404, E404, E404),
    "api:unit_missing": row(E401, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    "api:enterprises": row(E401, ok(E_ALL), ok(E_ALL), ok(E_ALL), ok(E_A), ok(E_A), ok(E_B), ok(E_A), ok(NONE),
                           ok(NONE)),
    "api:members": row(E401, ok(M_ALL), ok(M_ALL), ok(M_ALL), ok(M_A), ok(M_A), ok(M_B), ok(M_ENT_A), ok(M_OWN),
                       ok(NONE)),
    "api:member_a": row(E401, OK, OK, OK, OK, OK, E404, OK, E404, E404),
    "api:member_b": row(E401, OK, OK, OK, E404, E404, OK, E404, E404, E404),
    "api:member_own": row(E401, OK, OK, OK, OK, OK, E404, OK, OK, E404),
    "api:member_missing": row(E401, E404, E404, E404, E404, E404, E404, E404, E404, E404),
    "api:audit": row(E401, ok(AUD_ALL), ok(AUD_DIST), ok(NONE), ok(AUD_A), ok(NONE), ok(AUD_B), ok(AUD_ENT_A),
                     ok(NONE), ok(NONE)),
    "api:job_a": row(E401, OK, OK, OK, OK, OK, E404, E404, E404, E404),
    "api:job_b": row(E401, OK, OK, OK, E404, E404, OK, E404, E404, E404),
    "api:job_own": row(E401, OK, E404, E404, E404, E404, E404, OK, E404, E404),
    "api:job_missing": row(E401, E404, E404, E404, E404, E404, E404, E404, E404, E404),
}
# fmt: on

# Endpoint → URL template; ``{name}`` is replaced by the id of that symbol.
URLS: dict[str, str] = {
    "page:home": "/",
    "page:units": "/orgs/",
    "page:unit_a": "/orgs/{union_a}/",
    "page:unit_b": "/orgs/{union_b}/",
    "page:street_a": "/orgs/{street_a}/",
    "page:unit_missing": "/orgs/{missing}/",
    "page:enterprises": "/orgs/enterprises/",
    "page:members": "/members/",
    "page:member_a": "/members/{a1}/",
    "page:member_b": "/members/{b0}/",
    "page:member_own": "/members/{a0}/",
    "page:member_missing": "/members/{missing}/",
    "page:members_xlsx": "/members/?export=xlsx",
    "page:member_new": "/members/new/",
    "page:member_import": "/members/import/",
    "page:audit": "/audit/",
    "page:audit_xlsx": "/audit/?export=xlsx",
    "page:jobs": "/jobs/",
    "page:job_a": "/jobs/{job_a}/",
    "page:me": "/members/me/",
    "api:me": "/api/v1/me",
    "api:units": "/api/v1/orgs/units",
    "api:unit_a": "/api/v1/orgs/units/{union_a}",
    "api:unit_b": "/api/v1/orgs/units/{union_b}",
    "api:unit_missing": "/api/v1/orgs/units/{missing}",
    "api:enterprises": "/api/v1/orgs/enterprises",
    "api:members": "/api/v1/members",
    "api:member_a": "/api/v1/members/{a1}",
    "api:member_b": "/api/v1/members/{b0}",
    "api:member_own": "/api/v1/members/{a0}",
    "api:member_missing": "/api/v1/members/{missing}",
    "api:audit": "/api/v1/audit",
    "api:job_a": "/api/v1/jobs/{job_a}",
    "api:job_b": "/api/v1/jobs/{job_b}",
    "api:job_own": "/api/v1/jobs/{job_own}",
    "api:job_missing": "/api/v1/jobs/{missing}",
}
# Which kind of row a list endpoint returns (to turn ids back into symbols).
LIST_KIND = {
    "page:units": "unit",
    "page:enterprises": "ent",
    "page:members": "member",
    "page:audit": "audit",
    "page:jobs": "job",
    "api:units": "unit",
    "api:enterprises": "ent",
    "api:members": "member",
    "api:audit": "audit",
}


@dataclass
class Matrix:
    """The world plus symbol ↔ id maps."""

    world: World
    clients: dict[str, Client] = field(default_factory=dict)  # role → logged-in client (reads only)
    ids: dict[str, int] = field(default_factory=dict)  # symbol → pk
    symbols: dict[tuple[str, int], str] = field(default_factory=dict)  # (kind, pk) → symbol
    member_keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (name, masked id) → symbol
    audit_keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (action, target) → symbol

    def add(self, kind: str, symbol: str, pk: int) -> None:
        self.ids[symbol] = pk
        self.symbols[(kind, pk)] = symbol

    def url(self, endpoint: str) -> str:
        return URLS[endpoint].format(missing=MISSING_ID, **self.ids)

    def symbol(self, kind: str, pk: int) -> str:
        return self.symbols.get((kind, pk), f"?{kind}#{pk}")


def _build_matrix() -> Matrix:
    world = build_world()
    m = Matrix(world)
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
        m.audit_keys[("org_unit.create", unit.name)] = f"create:{symbol}"
    for symbol, enterprise in {"ent_a": world.enterprise_a, "ent_b": world.enterprise_b}.items():
        m.add("ent", symbol, enterprise.pk)
        m.audit_keys[("enterprise.create", enterprise.name)] = f"create:{symbol}"
    members = {f"a{i}": x for i, x in enumerate(world.members_a)}
    members |= {f"b{i}": x for i, x in enumerate(world.members_b)}
    members["flex_a"] = world.flexible_a
    for symbol, member in members.items():
        m.add("member", symbol, member.pk)
        m.member_keys[(member.name, member.id_number_masked)] = symbol
    for user in world.users.values():
        m.audit_keys[("user.create", user.username)] = f"user:{user.username}"
    for entry in AuditEntry.objects.all():
        m.add("audit", m.audit_keys.get((entry.action, entry.target_repr), f"?audit#{entry.pk}"), entry.pk)
    jobs = {
        "job_a": Job.objects.create(kind="members.import", title="甲导入", org_unit=world.community_a),
        "job_b": Job.objects.create(kind="members.import", title="乙导入", org_unit=world.street_b),
        "job_own": Job.objects.create(
            kind="members.import", title="本人导入", created_by=world.users["enterprise_a_admin"]
        ),
    }
    for symbol, job in jobs.items():
        m.add("job", symbol, job.pk)
    # One client per role for the read-only cells: a client's first request builds the whole
    # middleware stack, which would otherwise dominate the 400 cells.
    m.clients = {role: _client(m, role) for role in ROLES}
    return m


@pytest.fixture(scope="module")
def matrix(django_db_setup: None, django_db_blocker: Any) -> Iterator[Matrix]:
    """Built once for the module inside a transaction rolled back at the end (tests only read it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_matrix()
        transaction.set_rollback(True)


def _client(matrix: Matrix, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(matrix.world.users[role])
    return client


def xlsx_rows(response: Any) -> list[dict[str, Any]]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def _observed_rows(matrix: Matrix, endpoint: str, response: Any) -> frozenset[str]:
    """Turn whatever the endpoint listed back into symbols (unknown rows stay visible as '?…')."""
    if endpoint == "page:members_xlsx":
        return frozenset(
            matrix.member_keys.get((r["姓名"], r["身份证号"]), f"?{r['姓名']}") for r in xlsx_rows(response)
        )
    if endpoint == "page:audit_xlsx":
        return frozenset(
            matrix.audit_keys.get((r["动作"], r["对象"]), f"?{r['动作']}") for r in xlsx_rows(response)
        )
    if endpoint == "page:member_new":
        units = response.context["form"].fields["org_unit"].queryset
        return frozenset(matrix.symbol("unit", u.pk) for u in units)
    if endpoint == "page:me":
        member = response.context.get("member")
        return frozenset({matrix.symbol("member", member.pk)} if member else set())
    if endpoint == "api:me":
        body = response.json()
        own = {matrix.symbol("member", body["member_id"])} if body["member_id"] else set()
        return frozenset({f"user:{body['username']}", *own})
    kind = LIST_KIND[endpoint]
    if endpoint.startswith("page:"):
        assert response.context["page"].paginator.num_pages == 1
        return frozenset(matrix.symbol(kind, r["obj"].pk) for r in response.context["rows"])
    body = response.json()
    assert body["next"] is None, "all rows must fit on one page for the comparison"
    return frozenset(matrix.symbol(kind, r["id"]) for r in body["results"])


CELLS = [(endpoint, role) for endpoint in TABLE for role in ROLES]


@pytest.mark.parametrize(("endpoint", "role"), CELLS, ids=[f"{e}-{r}" for e, r in CELLS])
def test_matrix_cell(db: None, matrix: Matrix, endpoint: str, role: str) -> None:
    """One role × one endpoint gives exactly the tabled status, rows, redirect or figures."""
    expected = TABLE[endpoint][role]
    response = matrix.clients[role].get(matrix.url(endpoint))
    assert response.status_code == expected.status, response.content[:300]
    if expected == LOGIN:
        assert response["Location"] == f"/accounts/login/?next={quote(matrix.url(endpoint), safe='/')}"
    elif expected.location is not None:
        assert response["Location"] == expected.location
    if expected.rows is not None:
        assert _observed_rows(matrix, endpoint, response) == expected.rows
    if expected.figures is not None:
        totals = response.context["totals"]
        figures = (totals["total"], response.context["unit_count"], response.context["enterprise_count"])
        assert figures == expected.figures
    if endpoint.startswith("api:") and expected.status >= 400:
        assert_api_error(response, expected.status)
    if (
        endpoint.startswith("api:")
        and expected.status == 200
        and endpoint not in LIST_KIND
        and endpoint != "api:me"
    ):
        requested = URLS[endpoint].rsplit("{", 1)[1].rstrip("}")
        assert response.json()["id"] == matrix.ids[requested]


def test_table_covers_every_role_and_endpoint() -> None:
    """The table itself is complete: no endpoint or role silently skipped."""
    assert set(TABLE) == set(URLS)
    for endpoint, cells in TABLE.items():
        assert list(cells) == ROLES, endpoint


# --- "missing" and "not yours" look the same ---------------------------------------------------

BLIND_TO_B = ["street_a_admin", "street_a_reviewer", "enterprise_a_admin", "worker_a", "nobody"]
FOREIGN_VS_MISSING = [
    ("api:member_b", "api:member_missing"),
    ("api:unit_b", "api:unit_missing"),
    ("api:job_b", "api:job_missing"),
    ("page:member_b", "page:member_missing"),
    ("page:unit_b", "page:unit_missing"),
]


@pytest.mark.parametrize("role", BLIND_TO_B)
@pytest.mark.parametrize(("foreign", "missing"), FOREIGN_VS_MISSING)
def test_not_yours_is_indistinguishable_from_missing(
    db: None, matrix: Matrix, role: str, foreign: str, missing: str
) -> None:
    """A B object and a non-existent id answer with the same status and the same body/template."""
    assert_foreign_looks_missing(matrix.clients[role], matrix.url(foreign), matrix.url(missing))


# --- writes outside the subtree change nothing ----------------------------------------------------

NEW_MEMBER = {"name": "越权登记", "id_number": "11010519491231002X", "joined_on": "2024-01-15"}
# Who may register a member into union B through the API.
API_CREATE_IN_B = row(E401, Expect(201), Expect(201), E404, E404, E404, Expect(201), E404, E404, E404)


@pytest.mark.parametrize("role", ROLES)
def test_api_create_member_in_b(db: None, matrix: Matrix, role: str) -> None:
    """POST /api/v1/members into union B: only B's administrators (and above) create; others get the
    same 404 as for a non-existent unit and neither a member nor an audit row appears."""
    expected = API_CREATE_IN_B[role]
    client = _client(matrix, role)
    members, audits = Member.objects.count(), AuditEntry.objects.count()
    payload = {**NEW_MEMBER, "org_unit_id": matrix.ids["union_b"]}
    response = client.post("/api/v1/members", payload, content_type="application/json")
    assert response.status_code == expected.status, response.content
    if expected.status == 201:
        assert Member.objects.count() == members + 1
        assert Member.objects.get(pk=response.json()["id"]).org_unit_id == matrix.ids["union_b"]
        return
    assert_api_error(response, expected.status)
    assert Member.objects.count() == members
    assert AuditEntry.objects.count() == audits
    if expected.status == 404:
        missing = client.post(
            "/api/v1/members", {**payload, "org_unit_id": MISSING_ID}, content_type="application/json"
        )
        assert missing.content == response.content


# Who may see b0's full ID number (reveal is an admin power, audited).
REVEAL_B = row(LOGIN, OK, OK, E403, E404, E404, OK, E404, E404, E404)


@pytest.mark.parametrize("role", ROLES)
def test_reveal_b_member_id_number(db: None, matrix: Matrix, role: str) -> None:
    """Reveal of b0's ID number: admins over B get it with one audit row; everyone else gets no
    number and no audit row (404 when b0 is outside their subtree, 403 for a mere viewer)."""
    expected = REVEAL_B[role]
    b0 = Member.objects.get(pk=matrix.ids["b0"])
    audits = AuditEntry.objects.filter(action="member.reveal_id_number").count()
    response = _client(matrix, role).post(f"/members/{b0.pk}/reveal/id_number/")
    assert response.status_code == expected.status
    revealed = b0.id_number in response.content.decode()
    after = AuditEntry.objects.filter(action="member.reveal_id_number").count()
    if expected.status == 200:
        assert revealed and after == audits + 1
    else:
        assert not revealed and after == audits


# The members/new page: B's admins (and above) register into union B; A's admins get the form back
# with the unit refused as an invalid choice; everyone without a manage grant gets 404.
PAGE_CREATE_IN_B = row(LOGIN, Expect(302), Expect(302), E404, OK, E404, Expect(302), OK, E404, E404)


@pytest.mark.parametrize("role", ROLES)
def test_page_create_member_in_b(db: None, matrix: Matrix, role: str) -> None:
    """The registration form refuses union B for A's staff (form error, no member); B's admins succeed."""
    expected = PAGE_CREATE_IN_B[role]
    members = Member.objects.count()
    form = {**NEW_MEMBER, "kind": "employee", "phone": "", "org_unit": matrix.ids["union_b"]}
    response = _client(matrix, role).post("/members/new/", form)
    assert response.status_code == expected.status
    if expected == LOGIN:
        assert response["Location"].startswith(LOGIN.location or "")
    created = Member.objects.filter(name="越权登记")
    if expected.status == 302 and expected != LOGIN:
        assert created.get().org_unit_id == matrix.ids["union_b"]
        assert response["Location"] == f"/members/{created.get().pk}/"
        return
    assert Member.objects.count() == members and not created.exists()
    if expected.status == 200:
        assert "org_unit" in response.context["form"].errors


def test_import_naming_a_b_enterprise_imports_nothing(
    db: None, matrix: Matrix, django_capture_on_commit_callbacks: Any
) -> None:
    """street_a_admin uploads a row for enterprise B: the import job fails naming the row, no member is added."""
    world = matrix.world
    csv = (
        "姓名,身份证号,手机号,会员类型,工作单位统一社会信用代码,所在工会行政区划代码,入会日期\n"
        f"越权导入,11010519491231002X,,正式职工,{world.enterprise_b.uscc},,2024-01-15\n"
    ).encode()
    upload = io.BytesIO(csv)
    upload.name = "members.csv"
    members = Member.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(matrix, "street_a_admin").post("/members/import/", {"file": upload})
    assert response.status_code == 200
    job = Job.objects.filter(kind="members.import", created_by=world.users["street_a_admin"]).get()
    assert job.status == Job.Status.FAILED
    assert "不在您管理的范围内" in job.message
    assert Member.objects.count() == members
    assert not Member.objects.filter(name="越权导入").exists()
