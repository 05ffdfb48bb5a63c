"""Assist pages. Each area keeps its routes next to its views (one namespace)."""

from django.urls import URLPattern, URLResolver

from gonghui.assist import views_challenges, views_clinic, views_ledger, views_library

app_name = "assist"

urlpatterns: list[URLPattern | URLResolver] = [
    *views_library.urlpatterns,
    *views_clinic.urlpatterns,
    *views_challenges.urlpatterns,
    *views_ledger.urlpatterns,
]
