from django.apps import AppConfig


class MutualAidConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gonghui.mutual_aid"
    verbose_name = "医疗互助"
