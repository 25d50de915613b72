from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from app.accounts.models import ApiToken, User

admin.site.register(User, UserAdmin)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # pyright: ignore[reportMissingTypeArgument]
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__email", "prefix")
    # The digest is useless to a reader and the secret is never stored.
    exclude = ("digest",)
    readonly_fields = ("prefix", "created_at")
