from django.urls import path, register_converter

from postmortems import views
from postmortems.views import action_items, exchange, insights, review
from postmortems.views import attachments as attachment_views
from postmortems.views import history as history_views
from postmortems.views import meeting as meeting_views
from postmortems.views import paste as paste_views
from postmortems.views import pdf as pdf_views
from postmortems.views import search as search_views
from postmortems.views import verdicts as verdict_views
from postmortems.views import wording as wording_views


class KeyConverter:
    regex = "[A-Za-z0-9][A-Za-z0-9-]*"

    def to_python(self, value):
        return value.upper()

    def to_url(self, value):
        return value


register_converter(KeyConverter, "key")

app_name = "postmortems"
urlpatterns = [
    path("", views.postmortem_list, name="list"),
    path("postmortems/new/", views.postmortem_new, name="new"),
    path("postmortems/import/", exchange.import_view, name="import"),
    path("postmortems/export.zip", exchange.export_zip, name="export-zip"),
    path("postmortems/<key:key>/", views.postmortem_detail, name="detail"),
    path("postmortems/<key:key>/export.md", exchange.export_markdown, name="export-md"),
    path("postmortems/<key:key>/export.json", exchange.export_json, name="export-json"),
    path("postmortems/<key:key>/export.pdf", pdf_views.export_pdf, name="export-pdf"),
    path("postmortems/<key:key>/history/", history_views.history_view, name="history"),
    # One section of a Draft restored as it was in an earlier version (a new version).
    path(
        "postmortems/<key:key>/history/<int:version>/restore/",
        history_views.restore_section,
        name="history-restore",
    ),
    path("postmortems/<key:key>/edit/<slug:section>/", views.edit_section, name="edit"),
    path("postmortems/<key:key>/submit/", review.submit, name="submit"),
    path("postmortems/<key:key>/withdraw/", review.withdraw, name="withdraw"),
    path("postmortems/<key:key>/request-changes/", review.request_changes, name="request-changes"),
    path("postmortems/<key:key>/reopen/", review.reopen, name="reopen"),
    path("postmortems/<key:key>/approvals/", review.approvals, name="approvals"),
    path("postmortems/<key:key>/approvals/<int:approval_id>/sign/", review.sign, name="sign"),
    path("postmortems/<key:key>/comments/", review.comment_add, name="comment-add"),
    path(
        "postmortems/<key:key>/comments/<int:comment_id>/resolve/",
        review.comment_resolve,
        name="comment-resolve",
    ),
    path(
        "postmortems/<key:key>/comments/<int:comment_id>/hide/",
        review.comment_hide,
        name="comment-hide",
    ),
    path("postmortems/<key:key>/versions/<int:version>/", review.snapshot, name="snapshot"),
    path("review/", review.review_queue, name="review"),
    # A reviewer's verdict on one section: looks good / needs work.
    path(
        "postmortems/<key:key>/verdicts/<slug:section>/",
        verdict_views.section_verdict,
        name="section-verdict",
    ),
    # The review meeting: its page (schedule, move, notes), cancelling it, its invite.
    path("postmortems/<key:key>/meeting/", meeting_views.meeting, name="meeting"),
    path(
        "postmortems/<key:key>/meeting/notes/",
        meeting_views.meeting_notes,
        name="meeting-notes",
    ),
    path(
        "postmortems/<key:key>/meeting/cancel/",
        meeting_views.meeting_cancel,
        name="meeting-cancel",
    ),
    path("postmortems/<key:key>/meeting.ics", meeting_views.meeting_ics, name="meeting-ics"),
    path("search/", search_views.search_view, name="search"),
    path("postmortems/<key:key>/related/", search_views.link_related, name="link-related"),
    path("insights/", insights.insights, name="insights"),
    path("action-items/", action_items.action_item_list, name="action-items"),
    path("action-items/export.csv", action_items.action_item_csv, name="action-items-csv"),
    path(
        "action-items/<int:item_id>/status/",
        action_items.action_item_status,
        name="action-item-status",
    ),
    path("postmortems/<key:key>/edit/<slug:section>/rows/", views.row_add, name="row-add"),
    path(
        "postmortems/<key:key>/edit/<slug:section>/paste/",
        paste_views.paste_rows,
        name="paste-rows",
    ),
    path(
        "postmortems/<key:key>/edit/<slug:section>/rows/<int:row_id>/",
        views.row_edit,
        name="row-edit",
    ),
    path(
        "postmortems/<key:key>/edit/<slug:section>/rows/<int:row_id>/delete/",
        views.row_delete,
        name="row-delete",
    ),
    # The blameless-language check: as one types (htmx), and marking a finding intended.
    path("postmortems/<key:key>/blameless/", wording_views.check_text, name="wording-check"),
    path("postmortems/<key:key>/blameless/intended/", wording_views.mark, name="wording-mark"),
    path("postmortems/<key:key>/attachments/", attachment_views.upload, name="attachments"),
    path(
        "postmortems/<key:key>/attachments/<int:attachment_id>/remove/",
        attachment_views.remove,
        name="attachment-remove",
    ),
    # The file itself: its name is part of the address (and of the Markdown that shows it).
    path(
        "postmortems/<key:key>/attachments/<int:attachment_id>/<str:name>",
        attachment_views.download,
        name="attachment",
    ),
]
