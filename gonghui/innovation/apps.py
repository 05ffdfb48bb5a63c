from django.apps import AppConfig


class InnovationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gonghui.innovation"
    verbose_name = "职工创新"

    def seed_demo(self, *, stdout: object) -> None:
        """Called by ``manage.py seed_demo`` after the foundation's demo district exists."""
        from gonghui.innovation.demo import seed_demo

        seed_demo(stdout=stdout)
