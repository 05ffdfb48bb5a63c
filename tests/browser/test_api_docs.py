"""The API docs (Swagger UI) work on a closed network: every request stays on the app's host."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from gonghui.conftest import World
from tests.browser.pages import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_swagger_ui_served_locally(live_world: World, base_url: str, desk_page: Page) -> None:
    """/api/v1/docs/ renders the schema's operations with no request to any other host."""
    page = desk_page
    sign_in(page, base_url, live_world.users["district_admin"])
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{base_url}/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("数智工会 Gonghui API")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.wait_for_load_state("networkidle")

    own = urlsplit(base_url).netloc
    foreign = [url for url in requested if urlsplit(url).scheme not in {"data", "blob"}]
    foreign = [url for url in foreign if urlsplit(url).netloc != own]
    assert foreign == []
    assert any("/static/drf_spectacular_sidecar/" in url for url in requested)
    screenshot(page, "api-docs")
