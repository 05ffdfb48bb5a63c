from django.apps import AppConfig


class MutualAidConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gonghui.mutual_aid"
    verbose_name = "医疗互助"

    def ready(self) -> None:
        from gonghui.mutual_aid import jobs  # noqa: F401 - registers the intake job handler
