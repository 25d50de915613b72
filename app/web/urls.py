from django.urls import path

from app.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("tokens/", views.tokens, name="tokens"),
    path("favicon.ico", views.favicon, name="favicon"),
]
