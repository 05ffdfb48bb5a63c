"""Model field shapes shared by the modules."""

from __future__ import annotations

from typing import Any

from django.db import models


def money(verbose_name: Any = None, *, max_digits: int = 14, **kwargs: Any) -> models.DecimalField:  # type: ignore[type-arg]
    """Yuan with 2 decimals. 14 digits: yearly benefits of big innovation outcomes and service
    figures reach hundreds of millions; mutual aid keeps 12 (single claims and payouts)."""
    return models.DecimalField(verbose_name, max_digits=max_digits, decimal_places=2, **kwargs)  # type: ignore[arg-type]
