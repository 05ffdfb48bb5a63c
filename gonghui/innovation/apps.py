from django.apps import AppConfig


class InnovationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gonghui.innovation"
    verbose_name = "职工创新"
