"""API v1 views: thin; every queryset comes from a scoped selector."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gonghui.api import serializers as s
from gonghui.api.auth import api_user
from gonghui.api.idempotency import idempotent
from gonghui.audit.selectors import audit_list
from gonghui.core.errors import NotFound
from gonghui.core.selectors import job_list
from gonghui.members import selectors as member_selectors
from gonghui.members.models import Member
from gonghui.members.services import member_create
from gonghui.orgs import selectors as org_selectors
from gonghui.orgs.models import OrgUnit

ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="输入错误"),
    401: OpenApiResponse(s.ErrorSerializer, description="未认证"),
    403: OpenApiResponse(s.ErrorSerializer, description="无权限"),
    404: OpenApiResponse(s.ErrorSerializer, description="不存在或无权访问"),
}


class MeView(APIView):
    required_scope = None

    @extend_schema(responses={200: s.MeSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        user = api_user(request)
        roles = [
            {"role": g.role, "org_unit_id": g.org_unit_id}
            for g in user.grants.filter(revoked_at__isnull=True)
        ]
        member = getattr(user, "member", None)
        return Response(
            {
                "username": user.username,
                "display_name": user.display_name,
                "roles": roles,
                "member_id": member.pk if member else None,
            }
        )


class OrgUnitList(generics.ListAPIView):  # type: ignore[type-arg]
    required_scope = "orgs:read"
    serializer_class = s.OrgUnitSerializer
    filterset_fields = ["level", "division_code"]

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return org_selectors.org_unit_list(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["parent_ids"] = dict(self.get_queryset().values_list("path", "id"))
        return context


class OrgUnitDetail(generics.RetrieveAPIView):  # type: ignore[type-arg]
    required_scope = "orgs:read"
    serializer_class = s.OrgUnitSerializer

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return org_selectors.org_unit_list(user=self.request.user)


class EnterpriseList(generics.ListAPIView):  # type: ignore[type-arg]
    required_scope = "orgs:read"
    serializer_class = s.EnterpriseSerializer
    filterset_fields = ["industry", "size", "uscc"]

    def get_queryset(self) -> QuerySet[Any]:
        return org_selectors.enterprise_list(user=self.request.user).order_by("pk")


class MemberListCreate(generics.ListAPIView):  # type: ignore[type-arg]
    required_scope = "members:read"
    required_write_scope = "members:write"
    serializer_class = s.MemberSerializer
    filterset_fields = ["kind", "status", "sex", "org_unit_id"]

    def get_queryset(self) -> QuerySet[Member]:
        return member_selectors.member_list(user=self.request.user).order_by("pk")

    @extend_schema(request=s.MemberCreateSerializer, responses={201: s.MemberSerializer, **ERRORS})
    @idempotent
    def post(self, request: Request) -> Response:
        payload = s.MemberCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        unit = OrgUnit.objects.visible_to(request.user, "manage").filter(pk=data["org_unit_id"]).first()
        if unit is None:
            raise NotFound("所在工会不存在或无权管理")
        member = member_create(
            actor=api_user(request),
            org_unit=unit,
            name=data["name"],
            id_number=data["id_number"],
            phone=data["phone"],
            kind=data["kind"],
            joined_on=data["joined_on"],
            employer=getattr(unit, "enterprise", None) if unit.level == "enterprise" else None,
        )
        return Response(s.MemberSerializer(member).data, status=status.HTTP_201_CREATED)


class MemberDetail(generics.RetrieveAPIView):  # type: ignore[type-arg]
    required_scope = "members:read"
    serializer_class = s.MemberSerializer

    def get_queryset(self) -> QuerySet[Member]:
        return member_selectors.member_list(user=self.request.user)


class AuditList(generics.ListAPIView):  # type: ignore[type-arg]
    required_scope = "audit:read"
    serializer_class = s.AuditEntrySerializer
    filterset_fields = ["action", "target_type"]

    def get_queryset(self) -> QuerySet[Any]:
        return audit_list(user=self.request.user)


class JobDetail(generics.RetrieveAPIView):  # type: ignore[type-arg]
    required_scope = "jobs:read"
    serializer_class = s.JobSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return job_list(user=self.request.user)
