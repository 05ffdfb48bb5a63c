from django.urls import path

from gonghui.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/sms-code/", views.sms_code_send, name="sms_code"),
    path("logout/", views.logout_view, name="logout"),
]
