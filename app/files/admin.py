from django.contrib import admin

from app.files.models import File


@admin.register(File)
class FileAdmin(admin.ModelAdmin):  # pyright: ignore[reportMissingTypeArgument]
    list_display = ("filename", "owner", "content_type", "size", "status", "created_at")
    list_filter = ("status", "content_type")
    search_fields = ("filename", "owner__email", "id")
    readonly_fields = ("storage_key", "checksum_md5", "size", "content_type", "created_at", "completed_at")
