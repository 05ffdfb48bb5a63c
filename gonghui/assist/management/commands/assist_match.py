"""``manage.py assist_match --text ... --kind craftsman --limit 10 [--industry C --region 330199]``

Prints exactly the JSON of ``POST /api/v1/assist/match`` (same service, same renderer):
``{"results": [{"id", "external_id", "name", "score", "reasons"}]}``. Bad input exits non-zero
with the same message the API gives.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.renderers import JSONRenderer

from gonghui.assist.matching import match, results_payload
from gonghui.core.errors import DomainError


class Command(BaseCommand):
    help = "精准匹配：按问题描述返回劳模工匠或创新成果（与 API 相同的 JSON）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--text", required=True)
        parser.add_argument("--kind", default="craftsman", help="craftsman | outcome")
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--industry", default=None, help="GB/T 4754 门类字母 A–T")
        parser.add_argument("--region", default=None, help="6 位行政区划代码")
        parser.add_argument(
            "--enterprise-id",
            dest="enterprise_id",
            type=int,
            default=None,
            help="提需求的企业（排除利益冲突）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = match(
                text=options["text"],
                kind=options["kind"],
                industry=options["industry"],
                region=options["region"],
                limit=options["limit"],
                enterprise_id=options["enterprise_id"],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'input'}: {exc.message}") from exc
        self.stdout.write(JSONRenderer().render(results_payload(rows)).decode())
