"""API of the mutual-aid module: the assessment contract (POST /api/v1/mutual-aid/assessments)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gonghui.api.serializers import ErrorSerializer
from gonghui.core.errors import DomainError
from gonghui.mutual_aid.assessment.service import CaseFormatError, assess, assessment_to_json, case_from_json


@extend_schema_field({"oneOf": [{"type": "string", "minLength": 1, "maxLength": 128}, {"type": "integer"}]})
class CaseIdField(serializers.Field):  # type: ignore[type-arg]
    """The contract's case id: a string or an integer."""


class CodeNameSerializer(serializers.Serializer):  # type: ignore[type-arg]
    # Any part may be missing, null or empty (the contract); lengths as the parser enforces.
    code = serializers.CharField(allow_null=True, allow_blank=True, required=False, max_length=64)
    name = serializers.CharField(allow_null=True, allow_blank=True, required=False, max_length=200)


class AssessmentCaseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Schema only: the body is validated by ``case_from_json`` (the contract's own parser)."""

    id = CaseIdField()
    diagnoses = CodeNameSerializer(many=True, required=False, allow_null=True, max_length=100)  # type: ignore[call-arg]
    procedures = CodeNameSerializer(many=True, required=False, allow_null=True, max_length=100)  # type: ignore[call-arg]


class AssessedCategorySerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField()
    severity = serializers.CharField()
    decision = serializers.CharField()
    probability = serializers.FloatField(allow_null=True)
    evidence = serializers.CharField()


class AssessmentResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.CharField()
    categories = AssessedCategorySerializer(many=True)
    decision = serializers.ChoiceField(choices=["auto_accept", "needs_review", "none"])


CASE = AssessmentCaseSerializer
RESULT = AssessmentResultSerializer


class AssessmentView(APIView):
    """重疾判断: one case in, the matched categories and the decision out (no data stored)."""

    required_scope = "mutual_aid:read"
    required_write_scope = "mutual_aid:read"  # a computation: it changes nothing
    parser_classes = [JSONParser]

    @extend_schema(
        request=CASE,
        responses={
            200: RESULT,
            400: OpenApiResponse(ErrorSerializer),
            401: OpenApiResponse(ErrorSerializer),
            403: OpenApiResponse(ErrorSerializer),
            415: OpenApiResponse(ErrorSerializer),
        },
    )
    def post(self, request: Request) -> Response:
        try:
            case = case_from_json(request.data)
        except CaseFormatError as exc:
            raise DomainError(exc.code, exc.message, field=exc.field) from exc
        return Response(assessment_to_json(assess(case)))


MAX_PUSH_ROWS = 10_000


class SettlementPushSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Schema: the same fields as the file (national platform names), as JSON objects."""

    org_unit_id = serializers.IntegerField(required=False, min_value=1)
    settlements = serializers.ListField(
        child=serializers.DictField(child=serializers.JSONField()), min_length=1, max_length=MAX_PUSH_ROWS
    )


class SettlementPushResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    batch_id = serializers.IntegerField()
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    no_consent = serializers.IntegerField()
    candidates = serializers.IntegerField()


class SettlementPushView(APIView):
    """医保 data pushed as JSON: validated, stored and screened exactly like an uploaded file
    (all-or-nothing; idempotent by ``setl_id``, so a retried push adds nothing)."""

    required_scope = "mutual_aid:write"
    parser_classes = [JSONParser]

    @extend_schema(
        request=SettlementPushSerializer,
        responses={
            201: SettlementPushResultSerializer,
            400: OpenApiResponse(ErrorSerializer),
            401: OpenApiResponse(ErrorSerializer),
            403: OpenApiResponse(ErrorSerializer),
            404: OpenApiResponse(ErrorSerializer),
            415: OpenApiResponse(ErrorSerializer),
        },
    )
    def post(self, request: Request) -> Response:
        import csv
        import tempfile
        from pathlib import Path

        from django.db import transaction

        from gonghui.api.auth import api_user
        from gonghui.core.errors import NotFound
        from gonghui.mutual_aid.engine.io import SETTLEMENT_HEADER
        from gonghui.mutual_aid.intake import IntakeRejected, screen_after_intake, settlements_import
        from gonghui.mutual_aid.tasks import notify_claims
        from gonghui.orgs.models import OrgUnit

        payload = SettlementPushSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = api_user(request)
        units = OrgUnit.objects.visible_to(user, "manage").order_by("depth")
        unit = units.filter(pk=data["org_unit_id"]).first() if data.get("org_unit_id") else units.first()
        if unit is None:
            raise NotFound("数据所属工会不存在或无权管理")
        rows = data["settlements"]
        for index, row in enumerate(rows):
            unknown = sorted(set(row) - set(SETTLEMENT_HEADER))
            if unknown:
                raise DomainError(
                    "invalid", f"未知字段：{', '.join(unknown)}", field=f"settlements[{index}].{unknown[0]}"
                )
        with tempfile.NamedTemporaryFile(
            "w", suffix=".csv", delete=False, encoding="utf-8", newline=""
        ) as handle:
            writer = csv.writer(handle)
            writer.writerow(SETTLEMENT_HEADER)
            for row in rows:
                writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in SETTLEMENT_HEADER])
        try:
            result = settlements_import(
                actor=user, org_unit=unit, path=handle.name, filename="api-push", source="api"
            )
        except IntakeRejected as exc:
            first = exc.errors[0]
            index = first.row - 2  # file row (header = 1) → list index
            field = f"settlements[{index}].{first.column}" if index >= 0 else "settlements"
            more = f"（共 {exc.total} 处错误，未导入任何数据）" if exc.total > 1 else "（未导入任何数据）"
            raise DomainError(
                "mutual_aid.invalid_settlement", f"{first.message}{more}", field=field
            ) from None
        finally:
            Path(handle.name).unlink(missing_ok=True)
        claims = screen_after_intake(result=result)
        base_url = request.build_absolute_uri("/").rstrip("/")
        transaction.on_commit(lambda: notify_claims.delay(claims, base_url))
        batch = result.batch
        return Response(
            {
                "batch_id": batch.pk,
                "received": len(rows),
                "created": batch.rows_created,
                "duplicate": batch.rows_duplicate,
                "no_consent": batch.rows_no_consent,
                "candidates": len(claims),
            },
            status=201,
        )
