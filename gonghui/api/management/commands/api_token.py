"""Issue, revoke and list API tokens from the server shell.

    manage.py api_token issue --user U --name N --scope orgs:read --scope members:read
    manage.py api_token revoke --prefix P
    manage.py api_token list --user U

``issue`` prints only the clear token on stdout (so ``TOKEN=$(...)`` works); it cannot be
shown again. The operator acts as the system (audit actor empty).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.api.models import API_SCOPES, ApiToken
from gonghui.api.services import api_token_issue, api_token_revoke
from gonghui.core.errors import DomainError


class Command(BaseCommand):
    help = "管理API令牌：issue 签发 / revoke 吊销 / list 列出"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{issue,revoke,list}")
        issue = actions.add_parser("issue", help="签发令牌（明文只显示一次）")
        issue.add_argument("--user", required=True, help="用户名")
        issue.add_argument("--name", required=True, help="令牌名称（用途）")
        issue.add_argument(
            "--scope",
            action="append",
            required=True,
            dest="scopes",
            help=f"权限范围，可重复：{', '.join(API_SCOPES)}",
        )
        revoke = actions.add_parser("revoke", help="吊销令牌")
        revoke.add_argument("--prefix", required=True, help="令牌前8位")
        listing = actions.add_parser("list", help="列出某用户的令牌")
        listing.add_argument("--user", required=True, help="用户名")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户不存在：{username}")
        return user

    def _issue(self, options: dict[str, Any]) -> None:
        user = self._user(options["user"])
        token, raw = api_token_issue(actor=None, user=user, name=options["name"], scopes=options["scopes"])
        self.stdout.write(raw)
        self.stderr.write(
            f"已为 {user.username} 签发令牌 {token.prefix}…（{', '.join(token.scopes)}）；明文只显示这一次。"
        )

    def _revoke(self, options: dict[str, Any]) -> None:
        prefix = options["prefix"].strip()
        matches = list(ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True)[:2])
        if not matches:
            raise CommandError(f"没有前缀为 {prefix} 的有效令牌")
        if len(matches) > 1:
            raise CommandError(f"前缀 {prefix} 对应多个有效令牌，请在管理后台按名称吊销")
        token = api_token_revoke(actor=None, token=matches[0])
        self.stdout.write(f"已吊销令牌 {token.prefix}…（{token.name}）")

    def _list(self, options: dict[str, Any]) -> None:
        user = self._user(options["user"])
        tokens = ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
        for token in tokens:
            state = "已吊销" if token.revoked_at else "有效"
            last_used = (
                timezone.localtime(token.last_used_at).strftime("%Y-%m-%d %H:%M")
                if token.last_used_at
                else "-"
            )
            self.stdout.write(
                "\t".join(
                    [
                        token.prefix,
                        token.name,
                        ",".join(token.scopes),
                        timezone.localtime(token.created_at).strftime("%Y-%m-%d %H:%M"),
                        last_used,
                        state,
                    ]
                )
            )
        if not tokens:
            self.stdout.write(f"{user.username} 没有令牌")
