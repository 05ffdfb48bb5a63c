from django.urls import path

from gonghui.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.unit_list, name="unit_list"),
    path("<int:unit_id>/", views.unit_detail, name="unit_detail"),
    path("<int:unit_id>/roles/", views.unit_roles, name="unit_roles"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("import/", views.org_import, name="import"),
    path("import/template.xlsx", views.org_import_template, name="import_template"),
]
