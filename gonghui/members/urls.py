from django.urls import path

from gonghui.members import views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("new/", views.member_create, name="create"),
    path("import/", views.member_import, name="import"),
    path("import/template.xlsx", views.member_import_template, name="import_template"),
    path("me/", views.me, name="me"),
    path("<int:member_id>/", views.member_detail, name="detail"),
    path("<int:member_id>/reveal/<str:field>/", views.member_reveal, name="reveal"),
    path("<int:member_id>/<str:action>/", views.member_change, name="change"),
]
