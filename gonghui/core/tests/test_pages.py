"""The shared page patterns: lists without N+1, xlsx export, jobs with progress, error pages."""

from __future__ import annotations

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from gonghui.conftest import PASSWORD, World
from gonghui.core.models import Job
from gonghui.members.factories import build_member, save_members, zh_faker
from gonghui.members.services import MEMBER_IMPORT_COLUMNS


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _add_members(world: World, n: int) -> None:
    rng = random.Random(n)
    fake = zh_faker(n)
    save_members(
        [build_member(rng, fake, org_unit=world.unit_a(), employer=world.enterprise_a) for _ in range(n)]
    )


@pytest.mark.parametrize("url", ["/members/", "/orgs/", "/orgs/enterprises/", "/audit/", "/jobs/", "/"])
def test_list_pages_query_count_does_not_grow(world: World, url: str, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = login("district_admin")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _add_members(world, 40)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) <= len(small), [q["sql"] for q in large.captured_queries]


def test_member_list_filters_sort_and_htmx_fragment(world: World) -> None:
    client = login("district_admin")
    target = world.members_b[0]
    response = client.get("/members/", {"q": target.name})
    assert target.name in response.content.decode()
    assert "共 " in response.content.decode()
    fragment = client.get("/members/", {"unit": world.street_b.pk, "sort": "-name"}, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "<html" not in body and 'data-testid="list-table"' in body
    assert all(m.name in body for m in world.members_b)
    assert not any(m.name in body for m in world.members_a)


def test_member_export_xlsx_follows_filters(world: World) -> None:
    client = login("district_admin")
    response = client.get("/members/", {"unit": world.street_a.pk, "export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "姓名"
    names = sorted(r[0] for r in rows[1:])
    assert names == sorted([m.name for m in world.members_a] + [world.flexible_a.name])
    assert all("*" in r[1] for r in rows[1:])  # ID numbers exported masked


def test_import_page_runs_job_and_reports_progress(world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    client = login("street_a_admin")
    header = ",".join(MEMBER_IMPORT_COLUMNS)
    bad = f"{header}\n张三,110105194912310021,,正式职工,{world.enterprise_a.uscc},,2024-01-01\n"
    upload = SimpleUploadedFile("m.csv", bad.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/members/import/", {"file": upload})
    assert response.status_code == 200
    job = Job.objects.get()
    # No broker configured: the job ran in-process right after the request's commit.
    assert job.status == "failed"
    assert "第 2 行「身份证号」" in job.message
    progress = client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="failed"' in progress and "every 1s" not in progress
    assert login("street_b_admin").get(f"/jobs/{job.pk}/").status_code == 404


def test_import_page_rejects_wrong_file_type(world: World) -> None:
    client = login("street_a_admin")
    upload = SimpleUploadedFile("m.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = client.post("/members/import/", {"file": upload})
    assert "仅支持 .xlsx 或 .csv 文件" in response.content.decode()
    assert not Job.objects.exists()


def test_friendly_error_pages(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    client = login("street_a_admin")
    response = client.get(f"/members/{world.members_b[0].pk}/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()
    assert response["X-Request-ID"]


def test_anonymous_redirected_to_login(db: None) -> None:
    response = Client().get("/members/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_healthz(db: None) -> None:
    assert Client().get("/healthz").content == b"ok"
