from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Profile", {"fields": ("display_name", "team", "job_title")}),
    )
    list_display = ("username", "display_name", "email", "team", "job_title", "is_staff")
    search_fields = ("username", "display_name", "first_name", "last_name", "email", "team")
