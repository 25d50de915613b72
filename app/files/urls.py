from django.urls import path

from app.files import views

app_name = "files"

urlpatterns = [
    path("upload/<str:token>", views.local_upload, name="local-upload"),
    path("download/<str:token>", views.local_download, name="local-download"),
]
