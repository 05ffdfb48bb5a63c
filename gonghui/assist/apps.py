from django.apps import AppConfig


class AssistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gonghui.assist"
    verbose_name = "劳模工匠助企行"
