"""The review meeting: its page (schedule, move, cancel, notes), and its invite as a file.

Whoever may read the document sees the meeting and downloads its .ics; its authors (and
administrators) schedule, move and cancel it and write its notes. Without JavaScript too.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from postmortems import invites, notifications, permissions
from postmortems.forms.meeting import MeetingForm, NotesForm
from postmortems.models import Postmortem
from postmortems.views.documents import get_postmortem_for_user
from postmortems.workflow import TransitionError
from postmortems.workflow import meetings as workflow

REFUSED = "Only the authors of the document schedule its review meeting and write its notes."


def _document(request, key) -> Postmortem:
    return get_postmortem_for_user(
        request.user, key, Postmortem.objects.prefetch_related("authors", "approvals")
    )


def _on_document(postmortem) -> str:
    return f"{postmortem.get_absolute_url()}#review-meeting"


def _told(request, done: str) -> None:
    """What was done, and whether the invites went out."""
    undelivered = notifications.pop_undelivered()
    if undelivered:
        messages.warning(
            request,
            f"{done} The invites could not be sent ({undelivered} refused by the mail server): "
            "send the .ics yourself.",
        )
    else:
        messages.success(request, done)


DONE = {
    "scheduled": "Review meeting scheduled: everyone invited was emailed the invite.",
    "moved": "Review meeting changed: everyone invited was emailed the update.",
    "attendees": "Attendees changed: who was added got the invite, who was taken off a "
    "cancellation.",
    "unchanged": "Nothing changed.",
}


@require_http_methods(["GET", "POST"])
def meeting(request, key):
    """The meeting as it stands; for its authors, the form to schedule or change it."""
    postmortem = _document(request, key)
    current = workflow.meeting_of(postmortem)
    can_schedule = permissions.can_schedule_review(request.user, postmortem)
    if request.method == "POST" and not can_schedule:
        raise PermissionDenied(REFUSED)
    form = (
        _meeting_form(request, postmortem, current, request.POST or None) if can_schedule else None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        notifications.pop_undelivered()
        try:
            done = workflow.schedule_meeting(
                postmortem,
                by=request.user,
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                facilitator=data["facilitator"],
                attendees=data["invited"],
                location=data["location"],
                video_url=data["video_url"],
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            _told(request, DONE[done.change])
            return redirect(_on_document(postmortem))
    return _page(request, postmortem, current, form=form)


def _meeting_form(request, postmortem, current, data=None) -> MeetingForm:
    return MeetingForm(
        data,
        postmortem=postmortem,
        user=request.user,
        meeting=current,
        offered=workflow.offered_attendees(postmortem),
    )


def _page(request, postmortem, current, *, form=None, notes_form=None):
    can_schedule = permissions.can_schedule_review(request.user, postmortem)
    if can_schedule:
        form = form or _meeting_form(request, postmortem, current)
        if notes_form is None and current is not None:
            notes_form = NotesForm(meeting=current)
    return render(
        request,
        "postmortems/meeting/page.html",
        {
            "postmortem": postmortem,
            "meeting": current,
            "form": form,
            "notes_form": notes_form,
            "can_schedule_review": can_schedule,
        },
    )


@require_POST
def meeting_notes(request, key):
    """The authors write the meeting's notes (Markdown); two saves merge line by line."""
    postmortem = _document(request, key)
    if not permissions.can_schedule_review(request.user, postmortem):
        raise PermissionDenied(REFUSED)
    current = workflow.meeting_of(postmortem)
    if current is None:
        messages.error(request, f"{postmortem.key} has no review meeting: schedule it first.")
        return redirect("postmortems:meeting", postmortem.key)
    form = NotesForm(request.POST, meeting=current)
    if form.is_valid():
        try:
            merged_with = workflow.save_notes(
                postmortem,
                by=request.user,
                notes=form.cleaned_data["notes"],
                base=form.opened_notes(),
            )
        except workflow.NotesConflict as conflict:
            # The box holds both versions, its base is the notes as they are now: saved as
            # it is, it keeps every word of both.
            current = workflow.meeting_of(postmortem)
            base = NotesForm(meeting=current).initial["base"]
            form = NotesForm({"notes": conflict.both, "base": base}, meeting=current)
            form.is_valid()
            form.add_error("notes", str(conflict))
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Notes saved, merged with {merged_with}'s change."
                if merged_with
                else "Notes saved.",
            )
            return redirect(_on_document(postmortem))
    messages.error(request, "The notes were not saved; what you typed is kept below.")
    return _page(request, postmortem, current, notes_form=form)


@require_POST
def meeting_cancel(request, key):
    postmortem = _document(request, key)
    if not permissions.can_schedule_review(request.user, postmortem):
        raise PermissionDenied(REFUSED)
    notifications.pop_undelivered()
    try:
        workflow.cancel_meeting(postmortem, by=request.user)
    except TransitionError as error:
        messages.error(request, str(error))
        return redirect("postmortems:meeting", postmortem.key)
    _told(request, "Review meeting cancelled: everyone invited was emailed the cancellation.")
    return redirect(_on_document(postmortem))


@require_safe
def meeting_ics(request, key):
    """The invite as a file, for whoever may read the document: METHOD:REQUEST, or
    METHOD:CANCEL once cancelled (so importing it takes it out of a calendar)."""
    postmortem = _document(request, key)
    current = workflow.meeting_of(postmortem)
    if current is None:
        raise Http404("No review meeting is scheduled.")
    body = invites.calendar(
        current, method=invites.CANCEL if current.cancelled else invites.REQUEST
    )
    response = HttpResponse(body, content_type=invites.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=invites.filename(current)
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
