"""API v1 views: thin; every queryset comes from a scoped selector."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gonghui.api import serializers as s
from gonghui.api.auth import api_user
from gonghui.api.filters import MemberFilter
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
    404: OpenApiResponse(s.ErrorSerializer, description="不存在或无权访问（含页码超出范围）"),
}
WRITE_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(s.ErrorSerializer, description="Idempotency-Key 已用于不同的请求"),
    415: OpenApiResponse(s.ErrorSerializer, description="请求体须为 JSON"),
}


def _documented_get(serializer: Any) -> Any:
    """Publish the error answers of a GET too, so clients (and the schema fuzzer) know them."""
    return extend_schema_view(get=extend_schema(responses={200: serializer, **ERRORS}))


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


class _UnitParentIds(generics.GenericAPIView):  # type: ignore[type-arg]
    """Give the serializer ``parent_ids`` for the units being serialised: one query, scoped.

    A parent outside the caller's subtrees stays null, like any other object they cannot see.
    """

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        instance = args[0] if args else kwargs.get("instance")
        units = [instance] if isinstance(instance, OrgUnit) else list(instance or [])
        parent_paths = {unit.path[: -OrgUnit.steplen] for unit in units if unit.depth > 1}
        context = kwargs.setdefault("context", self.get_serializer_context())
        context["parent_ids"] = (
            dict(self.get_queryset().filter(path__in=parent_paths).values_list("path", "id"))
            if parent_paths
            else {}
        )
        return super().get_serializer(*args, **kwargs)


@_documented_get(s.OrgUnitSerializer(many=True))
class OrgUnitList(_UnitParentIds, generics.ListAPIView):  # type: ignore[type-arg]
    required_scope = "orgs:read"
    serializer_class = s.OrgUnitSerializer
    filterset_fields = ["level", "division_code"]

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return org_selectors.org_unit_list(user=self.request.user)


@_documented_get(s.OrgUnitSerializer)
class OrgUnitDetail(_UnitParentIds, generics.RetrieveAPIView):  # type: ignore[type-arg]
    required_scope = "orgs:read"
    serializer_class = s.OrgUnitSerializer

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return org_selectors.org_unit_list(user=self.request.user)


@_documented_get(s.EnterpriseSerializer(many=True))
class EnterpriseList(generics.ListAPIView):  # type: ignore[type-arg]
    required_scope = "orgs:read"
    serializer_class = s.EnterpriseSerializer
    filterset_fields = ["industry", "size", "uscc"]

    def get_queryset(self) -> QuerySet[Any]:
        return org_selectors.enterprise_list(user=self.request.user).order_by("pk")


@_documented_get(s.MemberSerializer(many=True))
class MemberListCreate(generics.ListAPIView):  # type: ignore[type-arg]
    required_scope = "members:read"
    required_write_scope = "members:write"
    serializer_class = s.MemberSerializer
    filterset_class = MemberFilter
    parser_classes = [JSONParser]  # the API speaks JSON; form bodies get 415

    def get_queryset(self) -> QuerySet[Member]:
        return member_selectors.member_list(user=self.request.user).order_by("pk")

    @extend_schema(request=s.MemberCreateSerializer, responses={201: s.MemberSerializer, **WRITE_ERRORS})
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


@_documented_get(s.MemberSerializer)
class MemberDetail(generics.RetrieveAPIView):  # type: ignore[type-arg]
    required_scope = "members:read"
    serializer_class = s.MemberSerializer

    def get_queryset(self) -> QuerySet[Member]:
        return member_selectors.member_list(user=self.request.user)


@_documented_get(s.AuditEntrySerializer(many=True))
class AuditList(generics.ListAPIView):  # type: ignore[type-arg]
    required_scope = "audit:read"
    serializer_class = s.AuditEntrySerializer
    filterset_fields = ["action", "target_type"]

    def get_queryset(self) -> QuerySet[Any]:
        return audit_list(user=self.request.user)


@_documented_get(s.JobSerializer)
class JobDetail(generics.RetrieveAPIView):  # type: ignore[type-arg]
    required_scope = "jobs:read"
    serializer_class = s.JobSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return job_list(user=self.request.user)


@csrf_exempt  # changes nothing; a POST to an unknown API URL must get the JSON 404, not CSRF's 403 page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any unknown URL under /api/v1/: the API's JSON 404 instead of the HTML error page."""
    return JsonResponse(
        {"code": "not_found", "message": "接口不存在", "field": None},
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )
