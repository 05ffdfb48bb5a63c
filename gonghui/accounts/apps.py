from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gonghui.accounts"
    verbose_name = "账号与角色"
