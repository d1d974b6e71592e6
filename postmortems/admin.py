from django.contrib import admin

from postmortems.models import Postmortem


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ("key", "title", "incident_date", "severity", "status", "version", "updated_at")
    list_filter = ("status", "severity")
    search_fields = ("key", "title", "executive_summary")
    filter_horizontal = ("authors",)
    date_hierarchy = "incident_date"
    readonly_fields = ("created_at", "updated_at", "created_by")
