from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from gonghui.api import views
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
    # Last: every other URL under /api/v1/ answers the JSON error format, not the HTML page.
    re_path(r"^", views.api_not_found, name="not_found"),
]
