"""Thin Celery adapter for the clinic's daily reminders (the work is ``clinic_send_reminders``).

Schedule it once a day in working hours (e.g. Celery beat at 09:00); reruns are harmless: each
question's experts are texted at most once a day.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from gonghui.assist.clinic import clinic_send_reminders


@shared_task(acks_late=True, name="assist.clinic.send_reminders")
def send_clinic_reminders(today: str | None = None) -> dict[str, int]:
    """Remind the experts of unanswered questions due the next working day or overdue."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    run = clinic_send_reminders(today=day)
    return {"questions": run.questions, "messages": run.messages}
