"""Thin Celery adapters for mutual aid."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from gonghui.mutual_aid.claims import claim_notify, next_send_time


@shared_task(acks_late=True)
def notify_claim(claim_id: int, base_url: str) -> str | None:
    return claim_notify(claim_id=claim_id, base_url=base_url)


@shared_task(acks_late=True)
def notify_claims(claim_ids: list[int], base_url: str) -> None:
    """Queue one reminder per new candidate claim, outside quiet hours (idempotent per claim)."""
    eta = next_send_time(timezone.now())
    for claim_id in claim_ids:
        notify_claim.apply_async((claim_id, base_url), eta=eta if eta > timezone.now() else None)
