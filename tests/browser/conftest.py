"""Browser fixtures: one chromium per session, a fresh context per page, committed demo data.

Playwright's sync API runs an event loop in the test thread, so Django's async-safety check
would refuse ORM calls made from the tests. The loop lives as long as the session-scoped
browser, so the switch below is set for the whole process when this suite is collected (any
test running after the first browser test needs it too); the live server has its own thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

# tests/conftest.py re-exports gonghui.conftest with ``import *``, which skips underscore
# names: the autouse fixtures (in-memory SMS, temporary MEDIA_ROOT, cache clearing) must be
# imported by name to apply here.
from gonghui.conftest import (  # noqa: F401
    World,
    _clear_cache,
    _media_root,
    _sms_outbox,
    build_world,
    sms_outbox,
)
from tests.browser.pages import SCREENSHOT_DIR, Kind, PageFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESK = {"viewport": {"width": 1366, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
TIMEOUT_MS = 10_000

CALL_FAILED = pytest.StashKey[bool]()

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless; missing chromium is a failure, never a skip."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: browser tests need Debian's chromium "
            "(`make test` installs it; or `apt-get install chromium`).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep the call-phase outcome on the item so page fixtures can screenshot failures."""
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture
def open_page(
    browser: Browser, screenshot_dir: Path, request: pytest.FixtureRequest
) -> Iterator[PageFactory]:
    """Open a page in a new context: ``"desk"`` (1366×900) or ``"phone"`` (390×844, touch).

    When the test fails, every page it opened is saved as ``FAILED-<test>-<n>.png``.
    """
    contexts: list[BrowserContext] = []

    def factory(kind: Kind = "desk") -> Page:
        options = PHONE if kind == "phone" else DESK
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield factory
    if request.node.stash.get(CALL_FAILED, False):
        pages = [page for context in contexts for page in context.pages]
        for number, page in enumerate(pages, start=1):
            page.screenshot(
                path=str(screenshot_dir / f"FAILED-{request.node.name}-{number}.png"), full_page=True
            )
    for context in contexts:
        context.close()


@pytest.fixture
def desk_page(open_page: PageFactory) -> Page:
    return open_page("desk")


@pytest.fixture
def phone_page(open_page: PageFactory) -> Page:
    return open_page("phone")


@pytest.fixture
def live_world(transactional_db: None, live_server: LiveServer) -> World:
    """The shared union tree, committed so the live server thread sees it."""
    return build_world()


@pytest.fixture
def base_url(live_server: LiveServer) -> str:
    """The live server's origin, e.g. ``http://localhost:41234`` (no trailing slash)."""
    return live_server.url.rstrip("/")
