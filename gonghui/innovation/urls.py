"""Innovation pages. Each area keeps its routes next to its views (one namespace)."""

from django.urls import URLPattern, URLResolver

from gonghui.innovation import views_evaluations, views_outcomes, views_studios

app_name = "innovation"

urlpatterns: list[URLPattern | URLResolver] = [
    *views_outcomes.urlpatterns,
    *views_evaluations.urlpatterns,
    *views_studios.urlpatterns,
]
