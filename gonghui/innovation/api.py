"""API of the innovation module: outcomes (list, detail, filing), evaluations with their results,
judges' scores, studios with their latest score sheet. Reads go through the selectors."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gonghui.api.auth import api_user
from gonghui.api.idempotency import idempotent
from gonghui.api.views import ERRORS, WRITE_ERRORS
from gonghui.core.errors import NotFound
from gonghui.innovation import selectors
from gonghui.innovation.evaluations import score_submit
from gonghui.innovation.models import (
    Entry,
    Evaluation,
    Outcome,
    OutcomeMember,
    OutcomeTransition,
    Studio,
    StudioRating,
)
from gonghui.innovation.outcomes import TeamMemberInput, outcome_create
from gonghui.members.models import Member
from gonghui.orgs.models import OrgUnit


class TeamSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = OutcomeMember
        fields = ["name", "order", "share"]


class TransitionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    actor = serializers.CharField(source="actor.username")

    class Meta:
        model = OutcomeTransition
        fields = ["from_status", "to_status", "actor", "at", "comment"]


class OutcomeSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    org_unit_id = serializers.IntegerField()
    enterprise_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = Outcome
        fields = [
            "id",
            "type",
            "subtype",
            "title",
            "status",
            "org_unit_id",
            "enterprise_id",
            "industry",
            "due_on",
            "estimated_benefit",
            "calculated_benefit",
            "verified_benefit",
            "grade",
            "grade_label",
            "reward_amount",
            "submitted_at",
            "created_at",
        ]


class OutcomeDetailSerializer(OutcomeSerializer):
    team = TeamSerializer(many=True)
    history = TransitionSerializer(many=True)

    class Meta(OutcomeSerializer.Meta):
        fields = [
            *OutcomeSerializer.Meta.fields,
            "situation",
            "measures",
            "effect",
            "tags",
            "decision_reason",
            "team",
            "history",
        ]


class TeamInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(max_length=50)
    share = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)


class OutcomeCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    org_unit_id = serializers.IntegerField(required=False, help_text="省略时为提交人所在工会")
    type = serializers.ChoiceField(choices=Outcome.Type.choices)
    subtype = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    title = serializers.CharField(max_length=120)
    situation = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    measures = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    effect = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    estimated_benefit = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    team = TeamInputSerializer(many=True, min_length=1, max_length=30)  # type: ignore[call-arg]
    submit = serializers.BooleanField(default=True)


class OutcomeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Outcome.Status.choices)
    type = django_filters.ChoiceFilter(choices=Outcome.Type.choices)

    class Meta:
        model = Outcome
        fields = ["status", "type"]


class OutcomeListCreate(generics.ListAPIView):  # type: ignore[type-arg]
    """创新成果: the outcomes the caller may see; POST files one (a member for their own union,
    staff for a unit they review)."""

    required_scope = "innovation:read"
    required_write_scope = "innovation:write"
    serializer_class = OutcomeSerializer
    filterset_class = OutcomeFilter
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[Outcome]:
        return selectors.outcome_list(user=self.request.user).order_by("-pk")

    @extend_schema(responses={200: OutcomeSerializer(many=True), **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=OutcomeCreateSerializer, responses={201: OutcomeDetailSerializer, **WRITE_ERRORS})
    @idempotent
    def post(self, request: Request) -> Response:
        payload = OutcomeCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = api_user(request)
        if "org_unit_id" in data:
            unit = OrgUnit.objects.visible_to(user, "review").filter(pk=data["org_unit_id"]).first()
            member = Member.objects.filter(user=user, org_unit_id=data["org_unit_id"]).first()
            unit = unit or (member.org_unit if member else None)
        else:
            member = Member.objects.filter(user=user).select_related("org_unit").first()
            unit = member.org_unit if member else None
        if unit is None:
            raise NotFound("所属工会不存在或无权提交")
        outcome = outcome_create(
            actor=user,
            org_unit=unit,
            type=data["type"],
            subtype=data["subtype"],
            title=data["title"],
            situation=data["situation"],
            measures=data["measures"],
            effect=data["effect"],
            estimated_benefit=data["estimated_benefit"],
            team=[TeamMemberInput(name=m["name"], share=m["share"]) for m in data["team"]],
            submit=data["submit"],
        )
        return Response(OutcomeDetailSerializer(outcome).data, status=status.HTTP_201_CREATED)


class OutcomeDetail(generics.RetrieveAPIView):  # type: ignore[type-arg]
    required_scope = "innovation:read"
    serializer_class = OutcomeDetailSerializer

    def get_queryset(self) -> QuerySet[Outcome]:
        return selectors.outcome_list(user=self.request.user).prefetch_related("team", "history__actor")

    @extend_schema(responses={200: OutcomeDetailSerializer, **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class EntrySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    outcome_id = serializers.IntegerField()
    title = serializers.SerializerMethodField()

    class Meta:
        model = Entry
        fields = ["id", "order", "code", "outcome_id", "title", "final_score", "rank", "explanation"]

    def get_title(self, entry: Entry) -> str:
        # Blind mode hides names until the session is closed.
        evaluation = entry.evaluation
        if evaluation.blind and evaluation.status != Evaluation.Status.CLOSED:
            return entry.code
        return entry.outcome.title


class EvaluationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    org_unit_id = serializers.IntegerField()

    class Meta:
        model = Evaluation
        fields = ["id", "title", "kind", "org_unit_id", "held_on", "blind", "status", "method", "closed_at"]


class EvaluationDetailSerializer(EvaluationSerializer):
    entries = EntrySerializer(many=True)

    class Meta(EvaluationSerializer.Meta):
        fields = [*EvaluationSerializer.Meta.fields, "entries"]


class EvaluationList(generics.ListAPIView):  # type: ignore[type-arg]
    """评审 / 路演 the caller may see."""

    required_scope = "innovation:read"
    serializer_class = EvaluationSerializer

    def get_queryset(self) -> QuerySet[Evaluation]:
        return selectors.evaluation_list(user=self.request.user).order_by("-pk")

    @extend_schema(responses={200: EvaluationSerializer(many=True), **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class EvaluationDetail(generics.RetrieveAPIView):  # type: ignore[type-arg]
    """One evaluation with its running order and, once closed, ranks and explanations."""

    required_scope = "innovation:read"
    serializer_class = EvaluationDetailSerializer

    def get_queryset(self) -> QuerySet[Evaluation]:
        return selectors.evaluation_list(user=self.request.user).prefetch_related("entries__outcome")

    @extend_schema(responses={200: EvaluationDetailSerializer, **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ScoreSerializer(serializers.Serializer):  # type: ignore[type-arg]
    scores = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=5), allow_empty=False
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class ScoreResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    assignment_id = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=7, decimal_places=2)


class AssignmentScore(APIView):
    """A judge's scores for one entry (1–5 per rubric criterion); after close a reason is required."""

    required_scope = "innovation:write"
    required_write_scope = "innovation:write"
    parser_classes = [JSONParser]

    @extend_schema(request=ScoreSerializer, responses={200: ScoreResultSerializer, **WRITE_ERRORS})
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        payload = ScoreSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = api_user(request)
        assignment = selectors.assignment_get_for_judge(user=user, assignment_id=pk)
        scored = score_submit(
            assignment=assignment,
            actor=user,
            scores=payload.validated_data["scores"],
            reason=payload.validated_data["reason"],
        )
        return Response(ScoreResultSerializer({"assignment_id": scored.pk, "total": scored.total}).data)


class RatingSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = StudioRating
        fields = [
            "year",
            "gate_passed",
            "gate",
            "score",
            "stars",
            "previous_stars",
            "change",
            "figures",
            "lines",
        ]


class StudioSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    org_unit_id = serializers.IntegerField()
    enterprise_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = Studio
        fields = [
            "id",
            "name",
            "leader_name",
            "leader_title",
            "org_unit_id",
            "enterprise_id",
            "level",
            "field",
            "status",
            "stars",
            "founded_on",
        ]


class StudioDetailSerializer(StudioSerializer):
    ratings = RatingSerializer(many=True)

    class Meta(StudioSerializer.Meta):
        fields = [*StudioSerializer.Meta.fields, "ratings"]


class StudioList(generics.ListAPIView):  # type: ignore[type-arg]
    """创新工作室 the caller may see, with their current stars."""

    required_scope = "innovation:read"
    serializer_class = StudioSerializer
    filterset_fields = ["level", "stars", "status"]

    def get_queryset(self) -> QuerySet[Studio]:
        return selectors.studio_list(user=self.request.user).order_by("pk")

    @extend_schema(responses={200: StudioSerializer(many=True), **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class StudioDetail(generics.RetrieveAPIView):  # type: ignore[type-arg]
    """A studio with every yearly rating and its score sheet (where each point came from)."""

    required_scope = "innovation:read"
    serializer_class = StudioDetailSerializer

    def get_queryset(self) -> QuerySet[Studio]:
        return selectors.studio_list(user=self.request.user).prefetch_related("ratings")

    @extend_schema(responses={200: StudioDetailSerializer, **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
