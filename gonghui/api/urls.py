from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from gonghui.api import views
from gonghui.assist import api as assist
from gonghui.innovation import api as innovation
from gonghui.mutual_aid.api import AssessmentView, SettlementPushView

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("me", views.MeView.as_view(), name="me"),
    path("orgs/units", views.OrgUnitList.as_view(), name="unit_list"),
    path("orgs/units/<int:pk>", views.OrgUnitDetail.as_view(), name="unit_detail"),
    path("orgs/enterprises", views.EnterpriseList.as_view(), name="enterprise_list"),
    path("members", views.MemberListCreate.as_view(), name="member_list"),
    path("members/<int:pk>", views.MemberDetail.as_view(), name="member_detail"),
    path("audit", views.AuditList.as_view(), name="audit_list"),
    path("jobs/<int:pk>", views.JobDetail.as_view(), name="job_detail"),
    path("mutual-aid/assessments", AssessmentView.as_view(), name="ma_assessments"),
    path("mutual-aid/settlements", SettlementPushView.as_view(), name="ma_settlements"),
    path("innovation/outcomes", innovation.OutcomeListCreate.as_view(), name="in_outcome_list"),
    path("innovation/outcomes/<int:pk>", innovation.OutcomeDetail.as_view(), name="in_outcome_detail"),
    path("innovation/evaluations", innovation.EvaluationList.as_view(), name="in_evaluation_list"),
    path(
        "innovation/evaluations/<int:pk>", innovation.EvaluationDetail.as_view(), name="in_evaluation_detail"
    ),
    path("innovation/assignments/<int:pk>/score", innovation.AssignmentScore.as_view(), name="in_score"),
    path("innovation/studios", innovation.StudioList.as_view(), name="in_studio_list"),
    path("innovation/studios/<int:pk>", innovation.StudioDetail.as_view(), name="in_studio_detail"),
    path("assist/match", assist.MatchView.as_view(), name="assist_match"),
    path("assist/craftsmen", assist.CraftsmanList.as_view(), name="assist_craftsman_list"),
    path("assist/demands", assist.DemandList.as_view(), name="assist_demand_list"),
    path("assist/outcomes", assist.LibraryOutcomeList.as_view(), name="assist_outcome_list"),
    # Last: every other URL under /api/v1/ answers the JSON error format, not the HTML page.
    re_path(r"^", views.api_not_found, name="not_found"),
]
