"""The Django admin: for superusers only, and never a way around the document's rules.

Restricted documents are visible to superusers anyway; staff with model permissions get
nothing here (they would otherwise read every restricted document). Content is read-only
once a document is Under Review or Final; a change to a Draft is logged and versioned like any
save, and a signature on the earlier content goes stale (signatures follow the content hash).
"""

from django import forms
from django.contrib import admin
from django.db.models import F, URLField
from django.utils import timezone

from postmortems.activity import log_action
from postmortems.fields import HttpsURLField
from postmortems.models import Activity, ApprovalPolicy, PolicyRole, Postmortem, ReviewCriterion
from postmortems.models.blameless import BlamelessRule
from postmortems.models.document import new_secret
from postmortems.models.meeting import ReviewMeeting


class SuperusersOnly:
    """Every permission of the admin page is the superuser flag, not model permissions."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(Postmortem)
class PostmortemAdmin(SuperusersOnly, admin.ModelAdmin):
    list_display = ("key", "title", "incident_date", "severity", "status", "version", "updated_at")
    list_filter = ("status", "severity")
    search_fields = ("key", "title", "executive_summary")
    filter_horizontal = ("authors",)
    date_hierarchy = "incident_date"
    readonly_fields = ("created_at", "updated_at", "created_by")

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request, obj=None):
        # A document starts through the app (its approval slots, its first version).
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != Postmortem.Status.DRAFT:
            editable = [f.name for f in obj._meta.get_fields() if f.concrete and f.editable]
            return [*dict.fromkeys([*self.readonly_fields, *editable])]
        return self.readonly_fields

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and form.changed_data:
            # As the editor does: a new revision, an activity entry and a version.
            Postmortem.objects.filter(pk=form.instance.pk).update(
                revision=F("revision") + 1, updated_at=timezone.now(), related_secret=new_secret()
            )
            log_action(
                form.instance,
                request.user,
                Activity.Verb.EDITED,
                section="admin",
                detail=("changed in the administration: " + ", ".join(form.changed_data))[:300],
            )


class PolicyRoleFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        roles = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        names = [r["role"].strip().casefold() for r in roles]
        if len(names) != len(set(names)):
            raise forms.ValidationError("Each role appears once.")
        if not any(not r.get("is_author_slot") for r in roles):
            raise forms.ValidationError(
                "Keep at least one role that is not signed by an author: without an "
                "independent reviewer, an author alone could make a document Final."
            )


class PolicyRoleInline(admin.TabularInline):
    model = PolicyRole
    formset = PolicyRoleFormSet
    extra = 1
    ordering = ("position", "id")


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(SuperusersOnly, admin.ModelAdmin):
    list_display = ("__str__", "roles_list")
    inlines = [PolicyRoleInline]

    @admin.display(description="Roles")
    def roles_list(self, policy):
        return ", ".join(role.role for role in policy.roles.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")


@admin.register(ReviewCriterion)
class ReviewCriterionAdmin(SuperusersOnly, admin.ModelAdmin):
    """What every reviewer and approver confirms before signing. A signature keeps the
    wording its signer confirmed: rewording or deactivating one changes no recorded one."""

    list_display = ("text", "position", "active")
    list_editable = ("position", "active")
    list_filter = ("active",)
    search_fields = ("text",)


@admin.register(BlamelessRule)
class BlamelessRuleAdmin(SuperusersOnly, admin.ModelAdmin):
    """The blameless-language check's rules (postmortems.blameless): add one, change its
    wording or its pattern, or switch it off. A pattern is refused on save, with the reason,
    when it is not in the check's language (never a regular expression)."""

    list_display = ("name", "kind", "pattern", "enabled", "position")
    list_editable = ("enabled", "position")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "pattern", "message")
    fields = ("name", "kind", "pattern", "message", "prompt", "enabled", "position")


@admin.register(ReviewMeeting)
class ReviewMeetingAdmin(SuperusersOnly, admin.ModelAdmin):
    """The review meetings, to look at. They are scheduled, moved and cancelled on their page
    (``/postmortems/<key>/meeting/``), which sends the invites: a change made here would reach
    nobody's calendar, so there is none."""

    list_display = ("postmortem", "starts_at", "duration_minutes", "facilitator", "cancelled")
    list_filter = ("cancelled",)
    list_select_related = ("postmortem", "facilitator")
    search_fields = ("postmortem__key", "postmortem__title")
    formfield_overrides = {URLField: {"form_class": HttpsURLField}}

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
