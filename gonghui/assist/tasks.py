"""Celery tasks of the assist module (thin: the work is in the services).

Scheduled by ``CELERY_BEAT_SCHEDULE`` in settings: clinic reminders every morning, expired
challenges closed as 流榜 every night. Both are idempotent, so a rerun is harmless.
"""

from __future__ import annotations

from celery import shared_task

from gonghui.assist.challenges import challenges_close_expired
from gonghui.assist.tasks_clinic import send_clinic_reminders

__all__ = ["close_expired_challenges", "send_clinic_reminders"]


@shared_task(acks_late=True, name="assist.challenges.close_expired")
def close_expired_challenges() -> int:
    """Published challenges nobody took by their deadline become 流榜."""
    return len(challenges_close_expired())
