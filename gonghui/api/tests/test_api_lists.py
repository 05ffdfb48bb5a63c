"""API lists: pagination, org-unit parent ids, and query counts that do not grow with the rows."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from gonghui.api.tests.conftest import TokenClient
from gonghui.audit.services import audit_record
from gonghui.conftest import World
from gonghui.core.factories import make_uscc
from gonghui.members.factories import build_member, save_members, zh_faker
from gonghui.orgs.services import enterprise_create, org_unit_create


def test_pagination_walks_every_row_once(world: World, token_client: TokenClient) -> None:
    """page_size=3 over 7 members: pages of 3/3/1 in id order, links chain, union is the whole list."""
    client = token_client(world.users["district_admin"])
    first = client.get("/api/v1/members?page_size=3").json()
    assert first["count"] == 7 and first["previous"] is None
    seen: list[int] = []
    page: dict[str, Any] = first
    sizes = []
    while True:
        sizes.append(len(page["results"]))
        seen += [row["id"] for row in page["results"]]
        if page["next"] is None:
            break
        page = client.get(page["next"]).json()
    assert sizes == [3, 3, 1]
    assert seen == sorted(seen)
    assert set(seen) == {m.pk for m in [*world.members_a, *world.members_b, world.flexible_a]}


def test_page_size_is_capped(world: World, token_client: TokenClient) -> None:
    """A huge or negative page_size falls back to the server's limits instead of failing."""
    client = token_client(world.users["district_admin"])
    assert len(client.get("/api/v1/members?page_size=100000").json()["results"]) == 7
    assert len(client.get("/api/v1/members?page_size=-5").json()["results"]) == 7


def test_count_is_scoped(world: World, token_client: TokenClient) -> None:
    """The total count reveals only the caller's subtree (4 for street A, not 7)."""
    assert token_client(world.users["street_a_admin"]).get("/api/v1/members").json()["count"] == 4


def test_unit_parent_ids_in_list_and_detail(world: World, token_client: TokenClient) -> None:
    """parent_id is the parent's id when the caller can see the parent, null at the top of the caller's scope."""
    client = token_client(world.users["street_a_admin"])
    listed = {row["id"]: row["parent_id"] for row in client.get("/api/v1/orgs/units").json()["results"]}
    assert listed == {
        world.street_a.pk: None,  # the district is outside street A's scope: not leaked
        world.community_a.pk: world.street_a.pk,
        world.unit_a().pk: world.community_a.pk,
    }
    for unit_id, parent_id in listed.items():
        assert client.get(f"/api/v1/orgs/units/{unit_id}").json()["parent_id"] == parent_id
    district = token_client(world.users["district_admin"])
    assert district.get(f"/api/v1/orgs/units/{world.street_a.pk}").json()["parent_id"] == world.district.pk


# --- query-count guards (no N+1): the same number of queries for N and 3N rows ------------------


def _grow_members(world: World, n: int, seed: int) -> None:
    rng, fake = random.Random(seed), zh_faker(seed)
    members = [
        build_member(rng, fake, org_unit=world.unit_a(), employer=world.enterprise_a) for _ in range(n // 2)
    ]
    members += [
        build_member(rng, fake, org_unit=world.community_a, kind="flexible") for _ in range(n - n // 2)
    ]
    save_members(members)


def _grow_enterprises(world: World, n: int, seed: int) -> None:
    rng = random.Random(seed)
    for i in range(n):
        enterprise_create(
            actor=None,
            parent=world.community_a,
            name=f"测试企业{seed}-{i}有限公司",
            uscc=make_uscc(rng),
            industry="C",
            size="small",
            employee_count=20,
        )


def _grow_units(world: World, n: int, seed: int) -> None:
    for i in range(n):
        org_unit_create(actor=None, parent=world.street_a, name=f"测试社区{seed}-{i}", level="community")


def _grow_audit(world: World, n: int, seed: int) -> None:
    actor = world.users["street_a_admin"]
    units = [world.street_a, world.community_a, world.unit_a()]
    for i in range(n):
        audit_record(actor=actor if i % 2 else None, action="test.touch", target=actor, org_unit=units[i % 3])


GROWERS: dict[str, Callable[[World, int, int], None]] = {
    "/api/v1/members": _grow_members,
    "/api/v1/orgs/enterprises": _grow_enterprises,
    "/api/v1/orgs/units": _grow_units,
    "/api/v1/audit": _grow_audit,
}
N = 6


@pytest.mark.parametrize("auth", ["token", "session"])
@pytest.mark.parametrize("path", list(GROWERS))
def test_list_query_count_does_not_grow_with_rows(
    world: World,
    token_client: TokenClient,
    session_client: Callable[..., APIClient],
    django_assert_max_num_queries: Any,
    path: str,
    auth: str,
) -> None:
    """Query count with 3N more rows is at most the count with N more rows (every row rendered)."""
    user = world.users["street_a_admin"]
    client = token_client(user) if auth == "token" else session_client(user)
    url = f"{path}?page_size=500"
    client.get(url)  # warm-up: token last_used_at stamp, session load
    GROWERS[path](world, N, 1)
    with CaptureQueriesContext(connection) as small:
        rows_small = client.get(url).json()["count"]
    GROWERS[path](world, 2 * N, 2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        rows_large = client.get(url).json()["count"]
    assert rows_large == rows_small + 2 * N
    assert len(small.captured_queries) <= 8
