from django.conf import settings
from django.conf.urls.static import static
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("gonghui.accounts.urls")),
    path("orgs/", include("gonghui.orgs.urls")),
    path("members/", include("gonghui.members.urls")),
    path("audit/", include("gonghui.audit.urls")),
    path("mutual-aid/", include("gonghui.mutual_aid.urls")),
    path("innovation/", include("gonghui.innovation.urls")),
    path("assist/", include("gonghui.assist.urls")),
    path("api/v1/", include("gonghui.api.urls")),
    path("", include("gonghui.core.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler403 = "gonghui.core.views.error_403"
handler404 = "gonghui.core.views.error_404"
handler500 = "gonghui.core.views.error_500"
