from django.apps import AppConfig


class AssistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gonghui.assist"
    verbose_name = "劳模工匠助企行"

    def seed_demo(self, *, stdout: object) -> None:
        """Called by ``manage.py seed_demo`` after the innovation demo (its outcomes are synced
        into the outcome library)."""
        from gonghui.assist.demo import seed_demo

        seed_demo(stdout=stdout)
