from django.apps import AppConfig


class MembersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gonghui.members"
    verbose_name = "会员"

    def ready(self) -> None:
        from gonghui.members import jobs  # noqa: F401 - registers the job handlers
