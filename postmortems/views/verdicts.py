"""A reviewer's verdict on one section: "looks good" or "needs work", with a comment.

The form beside each section of the document posts here; with htmx the section's verdicts
(and, out of band, the review panel's grid) come back in place; without, the document again.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from postmortems import permissions, section_review, workflow
from postmortems.forms.review import SectionVerdictForm
from postmortems.models import Postmortem
from postmortems.sections import BY_SLUG
from postmortems.views.documents import detail_context, get_postmortem_for_user


@require_POST
def section_verdict(request, key, section):
    postmortem = get_postmortem_for_user(
        request.user, key, Postmortem.objects.prefetch_related("authors", "approvals")
    )
    if section not in BY_SLUG:
        raise Http404("No such section.")
    if not permissions.can_give_verdict(request.user, postmortem):
        raise PermissionDenied(
            "Only a reviewer or approver of this document gives verdicts, while it is Under Review."
        )
    form = SectionVerdictForm(request.POST)
    errors = []
    if form.is_valid():
        try:
            workflow.give_verdict(postmortem, by=request.user, section=section, **form.cleaned_data)
        except workflow.TransitionError as error:
            errors.append(str(error))
    else:
        errors = [e for name in ("verdict", "comment") for e in form.errors.get(name, [])]
    draft = {"section": section, "comment": form.data.get("comment", ""), "errors": errors}
    if request.htmx:
        return _fragment(request, postmortem, section, draft if errors else None)
    if errors:
        # The document again, the comment kept in its box with what is wrong beside it.
        messages.error(request, "Your verdict was not saved; your comment is kept below.")
        loaded = Postmortem.objects.with_document().get(pk=postmortem.pk)
        context = detail_context(request, loaded, verdict_draft=draft)
        return render(request, "postmortems/detail.html", context)
    messages.success(request, f"Your verdict on {BY_SLUG[section].title} is saved.")
    return redirect(f"{postmortem.get_absolute_url()}#verdicts-{section}")


def _fragment(request, postmortem, slug, draft):
    """The section's verdicts, and the review panel's grid out of band."""
    loaded = Postmortem.objects.with_document().get(pk=postmortem.pk)
    context = {
        "postmortem": loaded,
        "slug": slug,
        "verdict_draft": draft,
        "verdict_saved": draft is None,
        "oob_grid": True,
        **section_review.page_context(loaded, request.user),
    }
    return render(request, "postmortems/_section_verdicts_response.html", context)
