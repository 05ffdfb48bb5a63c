"""API of the assist libraries: the matching contract (POST /api/v1/assist/match) and the
craftsman, demand and outcome lists. Reads go through the selectors."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gonghui.api.auth import api_user
from gonghui.api.serializers import ErrorSerializer
from gonghui.api.views import ERRORS
from gonghui.assist import errors
from gonghui.assist import selectors_library as selectors
from gonghui.assist.matching import MAX_LIMIT, MAX_TEXT, match, results_payload
from gonghui.assist.models import Craftsman, Demand, DemandKind, LibraryOutcome
from gonghui.core.errors import DomainError
from gonghui.orgs.industries import Industry


class MatchRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Schema only: the body is checked strictly by ``parse_match_request`` (types included)."""

    text = serializers.CharField(min_length=1, max_length=MAX_TEXT, help_text="问题描述（企业需求原文）")
    industry = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=1, help_text="GB/T 4754 门类字母 A–T"
    )
    region = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=6, help_text="6 位行政区划代码"
    )
    kind = serializers.ChoiceField(choices=["craftsman", "outcome"])
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT)


class MatchResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


class MatchResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    results = MatchResultSerializer(many=True)


def _optional_str(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise DomainError(errors.MATCH_INVALID, f"{name} 须为字符串", field=name)
    return value


def parse_match_request(data: Any) -> dict[str, Any]:
    """The contract's body, strictly typed (a number is not a text, "5" is not a limit); the
    value rules (empty text, 2,000 characters, kind, 1–50, codes) are the service's."""
    if not isinstance(data, dict):
        raise DomainError(errors.MATCH_INVALID, "请求体须为 JSON 对象")
    text = data.get("text")
    if not isinstance(text, str):
        raise DomainError(errors.MATCH_INVALID, "text 为必填的字符串", field="text")
    kind = data.get("kind")
    if not isinstance(kind, str):
        raise DomainError(errors.MATCH_INVALID, "kind 须为 craftsman 或 outcome", field="kind")
    limit = data.get("limit")
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise DomainError(errors.MATCH_INVALID, f"limit 须为 1–{MAX_LIMIT} 的整数", field="limit")
    return {
        "text": text,
        "kind": kind,
        "limit": limit,
        "industry": _optional_str(data, "industry"),
        "region": _optional_str(data, "region"),
    }


class MatchView(APIView):
    """精准匹配: ranked craftsmen or library outcomes for a problem text, each with its score
    and reasons. A computation: nothing is stored. An enterprise contact's own enterprise is
    the asking enterprise (conflicts of interest excluded)."""

    required_scope = "assist:read"
    required_write_scope = "assist:read"
    parser_classes = [JSONParser]

    @extend_schema(
        request=MatchRequestSerializer,
        responses={
            200: MatchResponseSerializer,
            **ERRORS,
            415: OpenApiResponse(ErrorSerializer, description="请求体须为 JSON"),
        },
    )
    def post(self, request: Request) -> Response:
        params = parse_match_request(request.data)
        rows = match(**params, user=api_user(request))
        return Response(results_payload(rows))


class CraftsmanSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    org_unit_id = serializers.IntegerField()
    capacity_left = serializers.IntegerField()

    class Meta:
        model = Craftsman
        fields = [
            "id",
            "external_id",
            "name",
            "honours",
            "org_unit_id",
            "employer_name",
            "region",
            "industry",
            "trades",
            "skill_level",
            "skills",
            "equipment",
            "bio",
            "available",
            "monthly_capacity",
            "capacity_left",
            "accepted_answers",
            "confirmed_solutions",
            "rating_avg",
            "rating_count",
            "median_response_hours",
        ]


class CraftsmanFilter(django_filters.FilterSet):
    industry = django_filters.ChoiceFilter(choices=Industry.choices)
    available = django_filters.BooleanFilter()

    class Meta:
        model = Craftsman
        fields = ["industry", "available"]


class CraftsmanList(generics.ListAPIView):  # type: ignore[type-arg]
    """劳模工匠资源库: the craftsmen the caller may see (staff: their subtree's library)."""

    required_scope = "assist:read"
    serializer_class = CraftsmanSerializer
    filterset_class = CraftsmanFilter

    def get_queryset(self) -> QuerySet[Craftsman]:
        return selectors.craftsman_list(user=self.request.user).filter(active=True).order_by("pk")

    @extend_schema(responses={200: CraftsmanSerializer(many=True), **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class DemandSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    enterprise_id = serializers.IntegerField()
    enterprise_name = serializers.CharField(source="enterprise.name")
    org_unit_id = serializers.IntegerField()

    class Meta:
        model = Demand
        fields = [
            "id",
            "enterprise_id",
            "enterprise_name",
            "org_unit_id",
            "title",
            "description",
            "equipment_model",
            "industry",
            "region",
            "kind",
            "urgency",
            "confidential",
            "status",
            "created_at",
        ]


class DemandFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Demand.Status.choices)
    kind = django_filters.ChoiceFilter(choices=DemandKind.choices)

    class Meta:
        model = Demand
        fields = ["status", "kind"]


class DemandList(generics.ListAPIView):  # type: ignore[type-arg]
    """企业需求库: staff their subtree's demands, an enterprise contact the ones they posted."""

    required_scope = "assist:read"
    serializer_class = DemandSerializer
    filterset_class = DemandFilter

    def get_queryset(self) -> QuerySet[Demand]:
        return selectors.demand_list(user=self.request.user).order_by("-pk")

    @extend_schema(responses={200: DemandSerializer(many=True), **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class LibraryOutcomeSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    org_unit_id = serializers.IntegerField()

    class Meta:
        model = LibraryOutcome
        fields = [
            "id",
            "external_id",
            "title",
            "type",
            "industry",
            "region",
            "description",
            "tags",
            "verified_benefit",
            "org_unit_id",
            "source",
            "trial_offered",
            "licence_form",
            "licence_fee",
            "trial_months",
        ]


class LibraryOutcomeFilter(django_filters.FilterSet):
    industry = django_filters.ChoiceFilter(choices=Industry.choices)
    source = django_filters.ChoiceFilter(choices=LibraryOutcome.Source.choices)
    trial_offered = django_filters.BooleanFilter()

    class Meta:
        model = LibraryOutcome
        fields = ["industry", "source", "trial_offered"]


class LibraryOutcomeList(generics.ListAPIView):  # type: ignore[type-arg]
    """创新成果库: the library outcomes the caller may see (with 先用后转 terms)."""

    required_scope = "assist:read"
    serializer_class = LibraryOutcomeSerializer
    filterset_class = LibraryOutcomeFilter

    def get_queryset(self) -> QuerySet[LibraryOutcome]:
        return selectors.outcome_list(user=self.request.user).filter(active=True).order_by("pk")

    @extend_schema(responses={200: LibraryOutcomeSerializer(many=True), **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
