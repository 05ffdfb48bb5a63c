"""Celery tasks of the assist module (thin: the work is in the services).

Scheduled by ``CELERY_BEAT_SCHEDULE`` in settings: clinic reminders every morning, expired
challenges closed as 流榜 and the library change log pruned every night. All are idempotent,
so a rerun is harmless.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from gonghui.assist import resident
from gonghui.assist.challenges import challenges_close_expired
from gonghui.assist.tasks_clinic import send_clinic_reminders

__all__ = ["close_expired_challenges", "prune_library_changes", "send_clinic_reminders"]


@shared_task(acks_late=True, name="assist.challenges.close_expired")
def close_expired_challenges() -> int:
    """Published challenges nobody took by their deadline become 流榜."""
    return len(challenges_close_expired())


@shared_task(acks_late=True, name="assist.resident.prune_library_changes")
def prune_library_changes() -> int:
    """Library change-log rows older than a day (no snapshot or transaction is that old)."""
    return resident.prune_change_log(before=timezone.now() - timedelta(days=1))
