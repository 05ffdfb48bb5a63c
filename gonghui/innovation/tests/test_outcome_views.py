"""Outcome pages: the worker files on a phone page and sees similar outcomes; staff move the
outcome through its lifecycle from the detail page; scoping and query-count guards."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gonghui.conftest import World
from gonghui.innovation.models import Nomination, Outcome

S = Outcome.Status
pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_worker_files_and_is_warned_about_similar_outcomes(world: World, file_outcome) -> None:
    existing = file_outcome(S.ACCEPTED, title="数控车床刀具快速更换装置")
    client = _client(world.users["worker_a"])
    page = client.get(reverse("innovation:outcome_similar"), {"title": "车床刀具快速更换工装"})
    assert existing.title in page.content.decode()
    data = {
        "type": "five_small",
        "subtype": "小革新",
        "title": "车床刀具快速更换工装",
        "measures": "快换刀座",
        "team": f"{world.members_a[0].name} 100",
    }
    response = client.post(reverse("innovation:outcome_create"), {**data, "action": "submit"})
    assert response.status_code == 200 and "similar-warning" in response.content.decode()
    assert Outcome.objects.count() == 1  # not filed until the worker confirms
    response = client.post(
        reverse("innovation:outcome_create"), {**data, "action": "submit", "confirm_similar": "1"}
    )
    new = Outcome.objects.exclude(pk=existing.pk).get()
    assert response.status_code == 302 and response["Location"] == new.get_absolute_url()
    assert new.status == S.SUBMITTED and new.proposer == world.users["worker_a"]


def test_team_errors_name_the_line(world: World) -> None:
    client = _client(world.users["worker_a"])
    response = client.post(
        reverse("innovation:outcome_create"),
        {"type": "rationalisation", "title": "建议", "team": "张三 70\n李四 三十", "action": "submit"},
    )
    assert "第 2 行" in response.content.decode()
    assert not Outcome.objects.exists()


def test_staff_move_outcome_from_detail_page(world: World, file_outcome) -> None:
    outcome = file_outcome(S.SUBMITTED)
    client = _client(world.users["street_a_reviewer"])
    url = lambda action: reverse("innovation:outcome_action", args=[outcome.pk, action])  # noqa: E731
    assert client.post(url("accept"), {"comment": "受理"}).status_code == 302
    client.post(url("start_review"))
    client.post(url("decide"), {"decision": "adopted"})
    client.post(url("implement"), {"implemented_on": "2025-06-01"})
    client.post(
        url("benefit"),
        {
            "first_benefit_on": "2025-06-01",
            "quantity": "2000",
            "unit_price": "300",
            "unit": "件",
            "cost": "100000",
        },
    )
    outcome.refresh_from_db()
    assert outcome.calculated_benefit == 500000
    client.post(
        url("verify"), {"verified_by": "third_party", "verifier_name": "某会计师事务所", "amount": "520000"}
    )
    outcome.refresh_from_db()
    assert (outcome.status, outcome.grade_label) == (S.GRADED, "二等")
    page = client.get(outcome.get_absolute_url()).content.decode()
    assert "二等" in page and "年节约 2000件" in page
    # The reviewer may not pay rewards (admin only): the page says so and nothing changes.
    response = client.post(url("reward"), {"paid_on": "2026-01-10"}, follow=True)
    assert "无权" in response.content.decode()
    outcome.refresh_from_db()
    assert outcome.status == S.GRADED


def test_nomination_check_is_shown_with_reasons(world: World, file_outcome) -> None:
    outcome = file_outcome(S.GRADED, type="operation_method", subtype="")
    client = _client(world.users["district_admin"])
    client.post(
        reverse("innovation:outcome_action", args=[outcome.pk, "nominate"]),
        {"award": "operation_method", "target_level": "district"},
    )
    nomination = Nomination.objects.get()
    assert nomination.eligible and nomination.status == Nomination.Status.PROPOSED
    page = client.get(outcome.get_absolute_url()).content.decode()
    assert "第一完成人不是企业负责人" in page
    client.post(
        reverse("innovation:outcome_action", args=[outcome.pk, "nominate"]),
        {"award": "operation_method", "target_level": "province"},
    )
    skipped = Nomination.objects.latest("pk")
    assert not skipped.eligible and skipped.status == Nomination.Status.INELIGIBLE


@pytest.mark.parametrize("username", ["street_b_admin", "nobody"])
def test_outcome_of_another_unit_is_404(world: World, file_outcome, username: str) -> None:
    outcome = file_outcome(S.SUBMITTED)
    client = _client(world.users[username])
    assert client.get(outcome.get_absolute_url()).status_code == 404
    assert client.post(reverse("innovation:outcome_action", args=[outcome.pk, "accept"])).status_code == 404
    outcome.refresh_from_db()
    assert outcome.status == S.SUBMITTED


def test_worker_sees_own_outcomes_only(world: World, file_outcome) -> None:
    mine = file_outcome(S.SUBMITTED)
    client = _client(world.users["worker_a"])
    page = client.get(reverse("innovation:home")).content.decode()
    assert mine.title in page
    assert client.get(reverse("innovation:outcome_list")).status_code == 404


def test_outcome_list_query_count_does_not_grow(
    world: World, file_outcome, django_assert_max_num_queries
) -> None:
    client = _client(world.users["district_admin"])
    file_outcome(S.SUBMITTED)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("innovation:outcome_list"))
    for _ in range(10):
        file_outcome(S.ACCEPTED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("innovation:outcome_list"))
    assert response.content.decode().count("数控车床刀具快速更换装置") == 11


def test_outcome_detail_query_count_is_bounded(
    world: World, file_outcome, django_assert_max_num_queries
) -> None:
    outcome = file_outcome(S.REWARDED)
    client = _client(world.users["district_admin"])
    with django_assert_max_num_queries(30):
        assert client.get(outcome.get_absolute_url()).status_code == 200
