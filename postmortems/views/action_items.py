"""Every action item a person may see, across postmortems: filter, sort, move, export."""

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from postmortems import editing, permissions
from postmortems.filters import ActionItemFilter
from postmortems.forms.action_items import ActionItemStatusForm
from postmortems.models import ActionItem
from postmortems.presentation import mark_row
from postmortems.views.documents import query_without_page
from postmortems.views.exchange import private_download

PAGE_SIZE = 50
CSV_COLUMNS = [
    "Postmortem",
    "Incident title",
    "Category",
    "Action",
    "Owner",
    "Due date",
    "Priority",
    "Status",
    "Overdue",
    "Tracker link",
]


def filtered_items(request) -> ActionItemFilter:
    """The action items matching the request's filters (``.qs``), and the filters."""
    items = (
        ActionItem.objects.visible_to(request.user)
        .select_related("postmortem", "owner")
        .prefetch_related("postmortem__authors")
    )
    return ActionItemFilter(request.GET, queryset=items, user=request.user)


def action_item_list(request):
    found = filtered_items(request)
    page = Paginator(found.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page.object_list:
        mark_row(
            item,
            found.today,
            can_change=permissions.can_set_item_status(request.user, item, item.postmortem),
        )
    return render(
        request,
        "postmortems/action_items.html",
        {
            "form": found.form,
            "owner": found.chosen_owner,
            "owner_choices": found.owner_choices(),
            "page": page,
            "query": query_without_page(request),
            "status_choices": ActionItem.Status.choices,
            "today": found.today,
        },
    )


def action_item_csv(request):
    found = filtered_items(request)
    items, today = found.qs, found.today
    response = private_download(
        HttpResponse(content_type="text/csv; charset=utf-8"), f"action-items-{today:%Y-%m-%d}.csv"
    )
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow(
            [
                item.postmortem.key,
                _csv_safe(item.postmortem.title),
                item.get_category_display(),
                _csv_safe(item.action),
                _csv_safe(item.owner_display),
                item.due_date.isoformat() if item.due_date else "",
                item.get_priority_display(),
                item.get_status_display(),
                "yes" if item.is_overdue(today) else "",
                item.tracker_url,
            ]
        )
    return response


def _csv_safe(text: str) -> str:
    """Typed text that a spreadsheet would run as a formula is kept as plain text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_POST
def action_item_status(request, item_id):
    item = get_object_or_404(
        ActionItem.objects.visible_to(request.user)
        .select_related("postmortem", "owner")
        .prefetch_related("postmortem__authors"),
        pk=item_id,
    )
    if not permissions.can_set_item_status(request.user, item, item.postmortem):
        raise PermissionDenied(
            "Only the owner or an author of the postmortem can change this item."
        )
    form = ActionItemStatusForm(request.POST)
    if form.is_valid():
        editing.set_item_status(item, by=request.user, status=form.cleaned_data["status"])
    today = timezone.now().date()
    if request.htmx:
        mark_row(item, today, can_change=True)  # checked above
        return render(
            request,
            "postmortems/_action_item_status.html",
            {"item": item, "status_choices": ActionItem.Status.choices, "just_saved": True},
        )
    messages.success(request, f"“{item.action}” is {item.get_status_display()}.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/action-items/"
    return redirect(next_url)
