from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gonghui.api"
    verbose_name = "接口"

    def ready(self) -> None:
        from gonghui.api import schema  # noqa: F401 - registers the OpenAPI auth extension
