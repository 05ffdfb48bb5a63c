"""API tokens: scoped, revocable, stored hashed (the clear token is shown once)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gonghui.core.scoping import scoped_manager

# Scope names a token may carry; each API view declares the one it needs.
API_SCOPES: dict[str, str] = {
    "orgs:read": "读取组织与企业",
    "members:read": "读取会员",
    "members:write": "新增和修改会员",
    "audit:read": "读取审计记录",
    "jobs:read": "读取任务进度",
    "mutual_aid:read": "读取医疗互助数据",
    "mutual_aid:write": "提交医疗互助数据",
    "innovation:read": "读取职工创新数据",
    "innovation:write": "提交创新成果和评分",
    "assist:read": "读取助企行资源库与匹配",
    "assist:write": "提交助企行数据",
}


class ApiToken(models.Model):
    """A bearer token acting as ``user`` but limited to ``scopes``; revocable at any time."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=80)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("权限范围"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = scoped_manager(org_path=None, owner="user")

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The stored answer to an API write sent with an ``Idempotency-Key`` (retries are safe)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_key")]

    def __str__(self) -> str:
        return self.key
