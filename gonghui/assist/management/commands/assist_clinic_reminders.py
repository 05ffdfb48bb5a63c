"""Text the experts of unanswered clinic questions due the next working day or overdue.

    manage.py assist_clinic_reminders                 # today
    manage.py assist_clinic_reminders --date 2026-03-02

Run it daily (cron or Celery beat, see ``gonghui.assist.tasks_clinic``); reruns the same day
send nothing new.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gonghui.assist.clinic import clinic_send_reminders


class Command(BaseCommand):
    help = "技术门诊：向临近首次答复期限或已超期问题的专家发送短信提醒（同一天重复运行不会重复发送）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="按哪一天计算（YYYY-MM-DD，默认今天）")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = options.get("date")
        try:
            today = dt.date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{raw}") from exc
        run = clinic_send_reminders(today=today)
        self.stdout.write(f"{today.isoformat()}：需提醒的问题 {run.questions} 个，发送短信 {run.messages} 条")
