from django.apps import AppConfig


class MutualAidConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gonghui.mutual_aid"
    verbose_name = "医疗互助"

    def seed_demo(self, *, stdout: object) -> None:
        """Called by ``manage.py seed_demo`` after the foundation's demo district exists."""
        from gonghui.mutual_aid.demo import seed_demo

        seed_demo(stdout=stdout)

    def ready(self) -> None:
        from gonghui.mutual_aid import jobs  # noqa: F401 - registers the intake job handler
