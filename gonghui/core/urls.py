from django.urls import path

from gonghui.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<int:job_id>/", views.job_progress, name="job_progress"),
    path("healthz", views.healthz, name="healthz"),
]
