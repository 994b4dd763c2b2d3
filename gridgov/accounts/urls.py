from django.urls import path

from gridgov.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("two-factor/", views.two_factor_verify_view, name="two_factor_verify"),
    path("two-factor/setup/", views.two_factor_setup_view, name="two_factor_setup"),
    path("password/", views.password_change_view, name="password_change"),
]
