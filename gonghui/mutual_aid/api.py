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
