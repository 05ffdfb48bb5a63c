from __future__ import annotations

from rest_framework import serializers

from gonghui.audit.models import AuditEntry
from gonghui.core.models import Job
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, OrgUnit


class ErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)


class OrgUnitSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    parent_id = serializers.SerializerMethodField()

    class Meta:
        model = OrgUnit
        fields = ["id", "name", "level", "division_code", "depth", "path", "parent_id", "address"]

    def get_parent_id(self, obj: OrgUnit) -> int | None:
        # Path arithmetic, not a query per row: the parent's path is ours minus one step.
        parents: dict[str, int] = self.context.get("parent_ids", {})
        return parents.get(obj.path[: -OrgUnit.steplen])


class EnterpriseSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Enterprise
        fields = ["id", "name", "uscc", "industry", "size", "employee_count", "address", "union_id"]


class MemberSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    employer_name = serializers.CharField(
        source="employer.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "id_number_masked",
            "sex",
            "birth_date",
            "phone_masked",
            "kind",
            "status",
            "org_unit_id",
            "org_unit_name",
            "employer_id",
            "employer_name",
            "joined_on",
            "left_on",
        ]


class MemberCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=18, min_length=18)
    phone = serializers.CharField(max_length=11, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Member.Kind.choices, default=Member.Kind.EMPLOYEE)
    org_unit_id = serializers.IntegerField(min_value=1)
    joined_on = serializers.DateField()


class AuditEntrySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    actor = serializers.CharField(source="actor.username", default=None, read_only=True, allow_null=True)

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "org_unit_id",
            "before",
            "after",
            "request_id",
        ]


class JobSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "progress_done",
            "progress_total",
            "percent",
            "message",
            "created_at",
            "finished_at",
        ]


class MeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    username = serializers.CharField()
    display_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.DictField())
    member_id = serializers.IntegerField(allow_null=True)
