import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from postmortems import activity_feed, permissions, search, section_review, workflow
from postmortems.filters import PostmortemFilter
from postmortems.forms.documents import NewPostmortemForm
from postmortems.models import Postmortem
from postmortems.presentation import document_context
from postmortems.workflow import meetings

logger = logging.getLogger(__name__)

PAGE_SIZE = 25


def query_without_page(request) -> str:
    """The page's query string less its page number: what the pager's links build on."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def get_postmortem_for_user(user, key, queryset=None) -> Postmortem:
    """The one lookup: a document the user may see, or 404."""
    queryset = queryset if queryset is not None else Postmortem.objects.all()
    return get_object_or_404(queryset.visible_to(user), key=key)


def postmortem_list(request):
    postmortems = (
        Postmortem.objects.visible_to(request.user)
        .with_is_mine(request.user)
        .prefetch_related("authors")
    )
    found = PostmortemFilter(request.GET, queryset=postmortems)
    postmortems = found.qs.order_by("-is_mine", "-incident_date", "-created_at")
    page = Paginator(postmortems, PAGE_SIZE).get_page(request.GET.get("page"))
    parsed = found.parsed
    return render(
        request,
        "postmortems/list.html",
        {
            "form": found.form,
            "page": page,
            "query": query_without_page(request),
            "notices": [*parsed.notices, *([parsed.problem] if parsed.problem else [])],
            "capped": found.capped,
            "candidates": search.results.CANDIDATES,
        },
    )


ACTIVITY_SHOWN = 50


def workflow_context(postmortem, user, digest) -> dict:
    """Who may do what in the review panel (the workflow checks again when they do it)."""
    required = [a for a in postmortem.approvals.all() if a.required]
    mine = [a for a in postmortem.approvals.all() if permissions.can_sign(user, a)]
    return {
        "can_submit": permissions.can_submit(user, postmortem),
        "can_withdraw": permissions.can_withdraw(user, postmortem),
        "can_request_changes": permissions.can_request_changes(user, postmortem),
        "can_reopen": permissions.can_reopen(user, postmortem),
        "can_comment": permissions.can_comment(user, postmortem),
        "can_hide_comments": permissions.can_hide_comments(user, postmortem),
        "my_unsigned": [a for a in mine if not a.signed_on(digest)],
        "signed_count": sum(1 for a in required if a.signed_on(digest)),
        "required_count": len(required),
        "missing_for_review": workflow.missing_for_review(postmortem)
        if postmortem.status == Postmortem.Status.DRAFT
        else [],
    }


@require_safe
def postmortem_detail(request, key):
    postmortem = get_postmortem_for_user(request.user, key, Postmortem.objects.with_document())
    if request.GET.get("print"):
        # The document alone, as it prints: the read view's sections, none of the page
        # around them (navigation, comments, verdicts, warnings, buttons, sidebar).
        context = document_context(postmortem, request.user)
        context.update(frozen=True, can_edit=False)
        return render(request, "postmortems/print.html", context)
    return render(request, "postmortems/detail.html", detail_context(request, postmortem))


def detail_context(request, postmortem, **extra) -> dict:
    """Everything the document page shows (``postmortem`` loaded with ``with_document()``)."""
    context = document_context(postmortem, request.user)
    context.update(workflow_context(postmortem, request.user, context["content_digest"]))
    activity = list(
        postmortem.activity.select_related("actor").order_by("-created_at", "-id")[
            : ACTIVITY_SHOWN + 1
        ]
    )
    # In words, a burst of row edits as one line (activity_feed); the entries stay listed.
    context["activity"] = activity_feed.shown(activity[:ACTIVITY_SHOWN])
    context["activity_count"] = len(activity[:ACTIVITY_SHOWN])
    context["activity_more"] = len(activity) > ACTIVITY_SHOWN
    context["snapshots"] = list(
        postmortem.snapshots.only("version", "finalized_at", "postmortem_id")
    )
    context.update(search.similar_context(postmortem, request.user))
    # The review's checks: each reviewer's verdict per section, the criteria (review metadata).
    context.update(section_review.page_context(postmortem, request.user))
    # The review meeting: review metadata beside the document, not part of its content.
    context["meeting"] = meetings.meeting_of(postmortem)
    context["can_schedule_review"] = permissions.can_schedule_review(request.user, postmortem)
    context.update(extra)
    return context


def postmortem_new(request):
    form = NewPostmortemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            postmortem = workflow.create_draft(by=request.user, **data)
        except workflow.TransitionError as exc:
            form.add_error("key", str(exc))
        else:
            messages.success(request, f"{postmortem.key} was created as a Draft.")
            return redirect(postmortem)
    return render(request, "postmortems/new.html", {"form": form})


@login_not_required
@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # The reason is for the operators' log, not for whoever asks (no sign-in needed here).
        logger.exception("Health check: the database is unreachable")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
