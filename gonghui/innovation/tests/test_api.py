"""Innovation API: scoped lists, filing by a member, validation errors, scores by judges."""

from __future__ import annotations

import pytest

from gonghui.conftest import World
from gonghui.innovation.models import Outcome

S = Outcome.Status
pytestmark = pytest.mark.django_db


def test_outcome_list_is_scoped(world: World, file_outcome, token_client) -> None:
    outcome = file_outcome(S.SUBMITTED)

    def ids(user: str) -> list[int]:
        response = token_client(world.users[user]).get("/api/v1/innovation/outcomes")
        return [o["id"] for o in response.json()["results"]]

    assert ids("district_admin") == [outcome.pk]
    assert ids("street_b_admin") == []
    assert ids("worker_a") == [outcome.pk]
    assert (
        token_client(world.users["street_b_admin"])
        .get(f"/api/v1/innovation/outcomes/{outcome.pk}")
        .status_code
        == 404
    )
    detail = (
        token_client(world.users["district_admin"]).get(f"/api/v1/innovation/outcomes/{outcome.pk}").json()
    )
    assert [h["to_status"] for h in detail["history"]] == ["draft", "submitted"]


def test_member_files_outcome_by_api(world: World, token_client) -> None:
    client = token_client(world.users["worker_a"], scopes=["innovation:read", "innovation:write"])
    body = {
        "type": "rationalisation",
        "title": "班前会安全提示卡",
        "measures": "把危险源做成卡片",
        "team": [{"name": "王五", "share": "60"}, {"name": "赵六", "share": "40"}],
    }
    response = client.post("/api/v1/innovation/outcomes", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "submitted" and [m["name"] for m in data["team"]] == ["王五", "赵六"]
    bad = client.post(
        "/api/v1/innovation/outcomes", {**body, "team": [{"name": "王五", "share": "60"}]}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["field"] == "team"
    assert Outcome.objects.count() == 1


def test_read_scope_cannot_file(world: World, token_client) -> None:
    client = token_client(world.users["worker_a"], scopes=["innovation:read"])
    response = client.post(
        "/api/v1/innovation/outcomes",
        {"type": "rationalisation", "title": "x", "team": [{"name": "a", "share": "100"}]},
        format="json",
    )
    assert response.status_code == 403
    assert not Outcome.objects.exists()


def test_judge_scores_by_api(world: World, file_outcome, judges, rubric, token_client) -> None:
    from gonghui.innovation.evaluations import evaluation_create, evaluation_start

    admin = world.users["district_admin"]
    evaluation = evaluation_create(
        actor=admin,
        org_unit=world.district,
        title="季度路演",
        rubric=rubric,
        held_on=world.district.created_at.date(),
        outcomes=[file_outcome(S.ACCEPTED), file_outcome(S.ACCEPTED)],
        judges=[(j, "大国工匠") for j in judges[:3]],
    )
    evaluation_start(evaluation=evaluation, actor=admin)
    assignment = evaluation.entries.first().assignments.get(judge__user=judges[0])
    scores = {"novelty": 5, "technology": 4, "practicality": 4, "economic": 3, "social": 3, "presentation": 5}
    client = token_client(judges[0], scopes=["innovation:write"])
    response = client.post(
        f"/api/v1/innovation/assignments/{assignment.pk}/score", {"scores": scores}, format="json"
    )
    assert response.status_code == 200, response.json()
    # score/5 × weight: 25 + 12 + 16 + 15 + 6 + 5 = 79
    assert response.json()["total"] == "79.00"
    other = token_client(judges[1], scopes=["innovation:write"])
    assert (
        other.post(
            f"/api/v1/innovation/assignments/{assignment.pk}/score", {"scores": scores}, format="json"
        ).status_code
        == 404
    )
    bad = client.post(
        f"/api/v1/innovation/assignments/{assignment.pk}/score",
        {"scores": {**scores, "novelty": 9}},
        format="json",
    )
    assert bad.status_code == 400


def test_studio_api_lists_ratings(world: World, studio, token_client) -> None:
    data = token_client(world.users["district_admin"]).get(f"/api/v1/innovation/studios/{studio.pk}").json()
    assert data["name"] == studio.name and data["ratings"] == []
    assert (
        token_client(world.users["street_b_admin"]).get(f"/api/v1/innovation/studios/{studio.pk}").status_code
        == 404
    )
