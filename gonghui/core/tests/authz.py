"""Shared checks of the authorisation-matrix tests (accounts, innovation, assist): each module
tables its own roles × endpoints; how a cell's response is read is the same everywhere."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.forms.models import model_to_dict
from django.test import Client
from openpyxl import load_workbook

from gonghui.audit.models import AuditEntry

# A write cell: "done" (302 and the change happened, one more audit row), "refused" (302 back to
# the page with an error message, nothing changed: a viewer who may see but not act), 404 / login.
DONE, REFUSED, W404, WLOGIN = "done", "refused", "404", "login"


def client_for(users: dict[str, Any], role: str) -> Client:
    """A test client signed in as the role's user ("anonymous": not signed in)."""
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    return client


def xlsx_rows(content: bytes, sheet: str | None = None) -> list[dict[str, Any]]:
    """The rows of a workbook's sheet (the active one by default) keyed by the header."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    ws = book[sheet] if sheet else book.active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    # Read-only sheets drop trailing empty cells: pad every row to the header's width.
    return [dict(zip(header, [*r, *[None] * (len(header) - len(r))], strict=True)) for r in rows[1:]]


def assert_api_error(response: Any, status: int) -> None:
    """The API's JSON error body with the code for the status."""
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "field"}
    assert body["code"] == {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}[status]


def assert_login_redirect(response: Any) -> None:
    """A redirect to the login page that comes back to the very page asked for."""
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/accounts/login/"
    assert parse_qs(location.query)["next"] == [response.wsgi_request.get_full_path()]


def snapshot(model: Any, pk: int) -> dict[str, Any]:
    """A row's fields, to tell whether a refused write changed it."""
    return model_to_dict(model.objects.get(pk=pk))


def check_write(response: Any, expected: str, *, changed: bool, audits_before: int, redirect_to: str) -> None:
    """Status per the cell; the change and one audit row only for "done", nothing otherwise."""
    if expected == WLOGIN:
        assert_login_redirect(response)
    elif expected == W404:
        assert response.status_code == 404
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(redirect_to)
    assert changed is (expected == DONE)
    assert AuditEntry.objects.count() == audits_before + (1 if expected == DONE else 0)


def attempt_write(
    users: dict[str, Any],
    role: str,
    *,
    model: Any,
    pk: int,
    url: str,
    data: dict[str, Any] | None = None,
    expected: str,
    redirect_to: str,
) -> dict[str, Any]:
    """POST a write as the role and check its cell (``check_write``: the row changed and one
    audit row written only for DONE); returns the row as it is afterwards."""
    before, audits = snapshot(model, pk), AuditEntry.objects.count()
    response = client_for(users, role).post(url, data or {})
    after = snapshot(model, pk)
    check_write(response, expected, changed=after != before, audits_before=audits, redirect_to=redirect_to)
    return after


def assert_foreign_looks_missing(client: Client, foreign_url: str, missing_url: str) -> None:
    """Another subtree's object answers exactly as a non-existent id: 404 both, the same JSON
    body from the API, the same templates (the 404 page) from a page."""
    a, b = client.get(foreign_url), client.get(missing_url)
    assert a.status_code == b.status_code == 404
    if foreign_url.startswith("/api/"):
        assert a.content == b.content
    else:
        assert [t.name for t in a.templates] == [t.name for t in b.templates]
        assert "errors/404.html" in [t.name for t in a.templates]
