"""API test fixtures: DRF clients authenticated by session or by a freshly issued token."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
from rest_framework.test import APIClient

from gonghui.accounts.models import User
from gonghui.api.models import API_SCOPES
from gonghui.api.services import api_token_issue

ALL_SCOPES = tuple(API_SCOPES)
TokenClient = Callable[..., APIClient]


@pytest.fixture
def api_client() -> APIClient:
    """An anonymous DRF client."""
    return APIClient()


@pytest.fixture
def token_client(db: None) -> TokenClient:
    """``token_client(user, scopes=...)``: a client sending ``Authorization: Bearer <new token>``."""

    def make(user: User, scopes: Iterable[str] = ALL_SCOPES) -> APIClient:
        _token, raw = api_token_issue(actor=user, user=user, name="tests", scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def session_client(db: None) -> Callable[[User], APIClient]:
    """``session_client(user)``: a client logged in by session, as the browser is."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make
