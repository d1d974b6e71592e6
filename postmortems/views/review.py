"""Review and sign-off: submit, withdraw, request changes, sign, reopen; approvals; comments."""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from postmortems import notifications, permissions, section_review, wording, workflow
from postmortems.content import document_hash
from postmortems.forms.review import (
    ApprovalForm,
    ApprovalRowForm,
    CommentForm,
    HandOverForm,
    HideCommentForm,
    ReopenForm,
    RequestChangesForm,
    SignForm,
)
from postmortems.models import Activity, Approval, Comment, Postmortem, Snapshot
from postmortems.sections import BY_SLUG
from postmortems.values import parse_id
from postmortems.views.documents import detail_context, get_postmortem_for_user
from postmortems.waiting import DEFAULT_SORT, SORTS, describe, with_queue_facts


def _refused(request, postmortem, error, anchor="workflow"):
    messages.error(request, str(error))
    return redirect(f"{postmortem.get_absolute_url()}#{anchor}")


def _emailed(request, done: str, who: str) -> None:
    """Say what was done, and that `who` were emailed, unless the mail server refused."""
    undelivered = notifications.pop_undelivered()
    if undelivered:
        messages.warning(
            request,
            f"{done} The notification emails could not be sent ({undelivered} refused by the "
            f"mail server): tell {who} yourself.",
        )
    else:
        messages.success(request, f"{done} {who[0].upper()}{who[1:]} were emailed.")


@require_POST
def submit(request, key):
    postmortem = get_postmortem_for_user(request.user, key)
    notifications.pop_undelivered()
    try:
        workflow.submit_for_review(postmortem, by=request.user)
    except workflow.TransitionError as error:
        return _refused(request, postmortem, error)
    _emailed(request, f"{postmortem.key} is Under Review.", "the reviewers")
    return redirect(postmortem)


@require_POST
def withdraw(request, key):
    postmortem = get_postmortem_for_user(request.user, key)
    try:
        workflow.withdraw(postmortem, by=request.user)
    except workflow.TransitionError as error:
        return _refused(request, postmortem, error)
    messages.success(request, f"{postmortem.key} is a Draft again.")
    return redirect(postmortem)


@require_POST
def request_changes(request, key):
    postmortem = get_postmortem_for_user(request.user, key)
    form = RequestChangesForm(request.POST)
    if not form.is_valid():
        if "comment" not in form.errors:
            return _refused(request, postmortem, "A criterion or section you pointed at is gone.")
        return _refused(request, postmortem, "Say what should change: the comment is required.")
    notifications.pop_undelivered()
    try:
        workflow.request_changes(
            postmortem,
            by=request.user,
            comment=form.cleaned_data["comment"],
            criteria=[c.pk for c in form.cleaned_data["criteria"]],
            sections=form.cleaned_data["sections"],
        )
    except workflow.TransitionError as error:
        return _refused(request, postmortem, error)
    _emailed(request, "Changes requested: the document is a Draft again.", "the authors")
    return redirect(postmortem)


@require_http_methods(["GET", "POST"])
def sign(request, key, approval_id):
    postmortem = get_postmortem_for_user(request.user, key, Postmortem.objects.with_document())
    approval = next((a for a in postmortem.approvals.all() if a.pk == approval_id), None)
    if approval is None:
        raise Http404("No such approval slot.")
    if not permissions.can_sign(request.user, approval):
        raise PermissionDenied(f"Only the person assigned as {approval.role} can sign that slot.")
    digest = document_hash(postmortem)
    # What the reader was shown: the document page's Sign link carries its hash.
    seen = request.GET.get("seen", "")
    seen = seen if re.fullmatch(r"[0-9a-f]{64}", seen) else digest
    # What a reviewer or approver confirms before signing (nothing for an author's slot).
    criteria = workflow.criteria_to_confirm(approval)
    form = SignForm(request.POST or None, initial={"seen_hash": seen}, criteria=criteria)
    changed = None
    if request.method == "GET" and seen != digest:
        changed = workflow.ContentChanged(
            f"{postmortem.key} changed after you opened it: read what changed, then sign the "
            "version you read.",
            seen_revision=workflow.revision_of(postmortem, seen),
        )
    if request.method == "POST" and form.is_valid():
        notifications.pop_undelivered()
        try:
            workflow.sign(
                approval,
                by=request.user,
                password=form.cleaned_data["password"],
                seen_hash=form.cleaned_data["seen_hash"],
                comment=form.cleaned_data["comment"],
                criteria=form.cleaned_data["criteria"],
                request=request,
            )
        except workflow.ContentChanged as error:
            changed = error
            # Still the version they read: they sign again from the document, having read it.
            form = SignForm(initial={**form.cleaned_data, "password": ""}, criteria=criteria)
        except workflow.CriteriaUnconfirmed as error:
            # Beside the checkboxes; what they ticked and typed stays, the password does not.
            form.add_error("criteria", str(error))
        except workflow.TransitionError as error:
            form.add_error("password" if "password" in str(error) else None, str(error))
        else:
            postmortem.refresh_from_db()
            if postmortem.status == Postmortem.Status.FINAL:
                messages.success(
                    request, f"Signed. That was the last signature: {postmortem.key} is Final."
                )
            else:
                messages.success(request, f"Signed as {approval.role}.")
            if notifications.pop_undelivered():
                messages.warning(
                    request, "The authors could not be emailed: the mail server refused it."
                )
            return redirect(f"{postmortem.get_absolute_url()}#approvals")
    elif request.method == "POST" and form.errors.get("seen_hash"):
        form.add_error(None, "The page did not say which version you read: open it again.")
    return render(
        request,
        "postmortems/sign.html",
        {
            "postmortem": postmortem,
            "approval": approval,
            "form": form,
            "digest": digest,
            "changed": changed,
        },
    )


@require_POST
def reopen(request, key):
    postmortem = get_postmortem_for_user(request.user, key)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _refused(request, postmortem, "Give a reason for reopening.")
    try:
        workflow.reopen(postmortem, by=request.user, reason=form.cleaned_data["reason"])
    except workflow.TransitionError as error:
        return _refused(request, postmortem, error)
    messages.success(
        request,
        f"{postmortem.key} is a Draft again (version {postmortem.version + 1}.0). "
        f"Version {postmortem.version}.0 stays readable.",
    )
    return redirect(postmortem)


def _posted_slot(request, postmortem, field):
    return _slot_with_id(postmortem, request.POST.get(field))


def _slot_with_id(postmortem, value):
    slot_id = parse_id(value)
    approval = next((a for a in postmortem.approvals.all() if a.pk == slot_id), None)
    if approval is None:
        raise workflow.TransitionError("That approval slot does not exist (any more).")
    return approval


def _save_all(request, postmortem):
    """Every row of the approvals table that the person changed, in one save; if one row is
    wrong nothing is saved. ({slot id: its bound form}, {slot id: [errors]}, the saved slots.)"""
    slots = [_slot_with_id(postmortem, value) for value in request.POST.getlist("slot")]
    forms = {a.pk: ApprovalRowForm(request.POST, approval=a) for a in slots}
    errors = {
        pk: [
            f"{form[name].label}: {e}" if name in form.fields else e
            for name, errs in form.errors.items()
            for e in errs
        ]
        for pk, form in forms.items()
        if not form.is_valid()
    }
    if errors:
        return forms, errors, []
    changes = {
        pk: {name: form.cleaned_data[name] for name in ("role", "assignee", "required")}
        for pk, form in forms.items()
        if form.has_changes()
    }
    try:
        return forms, {}, workflow.update_approvals(postmortem, by=request.user, changes=changes)
    except workflow.SlotsRefused as refused:
        return forms, refused.errors, []


@require_http_methods(["GET", "POST"])
def approvals(request, key):
    """Who signs this document: the approval policy's slots and the authors' own, filled by the
    authors while Draft ("Save all" saves every row changed); a slot's holder (or an
    administrator) can hand it over."""
    postmortem = get_postmortem_for_user(
        request.user, key, Postmortem.objects.prefetch_related("authors", "approvals__assignee")
    )
    add_form = ApprovalForm(prefix="new")
    posted, row_errors = {}, {}
    if request.method == "POST":
        try:
            if "remove" in request.POST:
                approval = _posted_slot(request, postmortem, "remove")
                workflow.remove_approval(approval, by=request.user)
                messages.success(request, f"Removed {approval.role}.")
                return redirect("postmortems:approvals", postmortem.key)
            if "hand_over" in request.POST:
                approval = _posted_slot(request, postmortem, "hand_over")
                form = HandOverForm(request.POST, prefix=f"h{approval.pk}")
                if not form.is_valid():
                    raise workflow.TransitionError("Pick the person to hand the slot over to.")
                to = form.cleaned_data["to"]
                workflow.hand_over(approval, by=request.user, to=to)
                messages.success(
                    request, f"{approval.role} is now {to.name if to else 'unassigned'}."
                )
                return redirect("postmortems:approvals", postmortem.key)
            if "save_all" in request.POST:
                posted, row_errors, saved = _save_all(request, postmortem)
                if not row_errors:
                    messages.success(
                        request,
                        f"Saved {', '.join(a.role for a in saved)}."
                        if saved
                        else "Nothing to save: no slot was changed.",
                    )
                    return redirect("postmortems:approvals", postmortem.key)
                messages.error(
                    request,
                    "Nothing was saved: "
                    + " ".join(e for errors in row_errors.values() for e in errors)
                    + " Your choices are kept below.",
                )
            else:
                add_form = ApprovalForm(request.POST, prefix="new")
                if add_form.is_valid():
                    workflow.add_approval(postmortem, by=request.user, **add_form.cleaned_data)
                    messages.success(request, f"Added {add_form.cleaned_data['role']}.")
                    return redirect("postmortems:approvals", postmortem.key)
        except workflow.TransitionError as error:
            messages.error(request, str(error))
    can_change = permissions.can_manage_approvals(request.user, postmortem)
    rows = []
    for approval in postmortem.approvals.all():
        approval.kept_by_reviewer = permissions.keeps_slot(approval, request.user)
        approval.can_hand_over = permissions.can_hand_over(request.user, postmortem, approval)
        form = posted.get(approval.pk) or ApprovalRowForm(approval=approval)
        hand_over_form = HandOverForm(prefix=f"h{approval.pk}")
        rows.append((approval, form, hand_over_form, row_errors.get(approval.pk, [])))
    return render(
        request,
        "postmortems/approvals.html",
        {
            "postmortem": postmortem,
            "rows": rows,
            "editable_rows": can_change and any(not a.kept_by_reviewer for a, *_ in rows),
            "add_form": add_form,
            "can_change": can_change,
            "policy_roles": workflow.policy_roles(postmortem.severity),
        },
    )


@require_POST
def comment_add(request, key):
    postmortem = get_postmortem_for_user(request.user, key, Postmortem.objects.with_document())
    if not permissions.can_comment(request.user, postmortem):
        raise PermissionDenied(
            "Only the authors and the assigned reviewers comment on this document."
        )
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _comment_refused(request, postmortem, form)
    data = form.cleaned_data
    if data["section"] not in BY_SLUG:
        raise Http404("No such section.")
    parent = None
    if data.get("parent"):
        parent = get_object_or_404(Comment, pk=data["parent"], postmortem=postmortem, parent=None)
    comment = workflow.add_comment(
        postmortem, by=request.user, section=data["section"], body=data["body"], parent=parent
    )
    return redirect(f"{postmortem.get_absolute_url()}#comment-{comment.pk}")


def _comment_refused(request, postmortem, form):
    """The document again, the comment kept in its box with what is wrong beside it."""
    section = form.data.get("section", "")
    if section not in BY_SLUG:
        raise Http404("No such section.")
    parent = form.cleaned_data.get("parent") if "parent" in form.cleaned_data else None
    errors = [e for name in ("body", "parent", "__all__") for e in form.errors.get(name, [])]
    messages.error(request, "Your comment was not posted; it is kept in its box below.")
    draft = {
        "section": section,
        "parent": parent,
        "body": form.data.get("body", ""),
        "errors": errors,
    }
    return render(
        request, "postmortems/detail.html", detail_context(request, postmortem, comment_draft=draft)
    )


@require_POST
def comment_resolve(request, key, comment_id):
    postmortem = get_postmortem_for_user(
        request.user, key, Postmortem.objects.prefetch_related("authors", "approvals")
    )
    thread = get_object_or_404(Comment, pk=comment_id, postmortem=postmortem, parent=None)
    if not permissions.can_comment(request.user, postmortem):
        raise PermissionDenied("Only the authors and the assigned reviewers resolve comments.")
    thread.postmortem = postmortem
    workflow.toggle_resolved(thread, by=request.user)
    return redirect(f"{postmortem.get_absolute_url()}#comment-{thread.pk}")


@require_POST
def comment_hide(request, key, comment_id):
    """An author or an administrator hides a comment (in any status, Final too), or shows it
    again; both are logged. The text is kept, only no longer shown."""
    postmortem = get_postmortem_for_user(
        request.user, key, Postmortem.objects.prefetch_related("authors")
    )
    comment = get_object_or_404(
        Comment.objects.select_related("author"), pk=comment_id, postmortem=postmortem
    )
    if not permissions.can_hide_comments(request.user, postmortem):
        raise PermissionDenied("Only an author or an administrator hides comments.")
    if not permissions.can_hide_comment(request.user, postmortem, comment):
        raise PermissionDenied("An administrator hid this comment: only an administrator shows it.")
    comment.postmortem = postmortem
    if comment.is_hidden:
        workflow.show_comment(comment, by=request.user)
    else:
        form = HideCommentForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say why the comment is hidden (300 characters at most).")
            return redirect(f"{postmortem.get_absolute_url()}#comment-{comment.pk}")
        workflow.hide_comment(comment, by=request.user, reason=form.cleaned_data["reason"])
    return redirect(f"{postmortem.get_absolute_url()}#comment-{comment.pk}")


@require_safe
def snapshot(request, key, version):
    postmortem = get_postmortem_for_user(request.user, key)
    frozen = get_object_or_404(Snapshot, postmortem=postmortem, version=version)
    return render(
        request, "postmortems/snapshot.html", {"postmortem": postmortem, "snapshot": frozen}
    )


def review_queue(request):
    """What is waiting for me: signatures, documents sent back to me, my drafts."""
    user = request.user
    visible = Postmortem.objects.visible_to(user).prefetch_related("authors", "approvals__assignee")
    # Waiting for my signature: a slot of mine not signed on the content as it is now (the
    # hash decides, so a change behind the editor's back puts a document back here).
    holding = (
        Postmortem.objects.visible_to(user)
        .filter(status=Postmortem.Status.IN_REVIEW)
        .filter(Exists(Approval.objects.filter(postmortem=OuterRef("pk"), assignee=user)))
        .with_document()
    )
    # How long each has waited, its open threads, its meeting (postmortems.waiting).
    holding = with_queue_facts(holding)
    waiting = []
    for postmortem in holding.order_by("-updated_at"):
        digest = document_hash(postmortem)
        if any(
            a.assignee_id == user.pk and not a.signed_on(digest) for a in postmortem.approvals.all()
        ):
            waiting.append(postmortem)
    last_changes = Activity.objects.filter(
        postmortem=OuterRef("pk"), verb=Activity.Verb.CHANGES_REQUESTED
    ).order_by("-created_at")
    returned = (
        visible.filter(status=Postmortem.Status.DRAFT, authors=user)
        .filter(Exists(last_changes))
        .exclude(
            Exists(
                Activity.objects.filter(
                    postmortem=OuterRef("pk"),
                    verb=Activity.Verb.SUBMITTED,
                    created_at__gt=last_changes.values("created_at")[:1],
                )
            )
        )
    )
    drafts = visible.filter(status=Postmortem.Status.DRAFT, authors=user).exclude(
        pk__in=returned.values("pk")
    )
    in_review_mine = visible.filter(status=Postmortem.Status.IN_REVIEW, authors=user)
    sort = request.GET.get("sort", "")
    sort = sort if sort in SORTS else DEFAULT_SORT
    waiting = describe(
        waiting,
        sort=sort,
        blameless=lambda documents: wording.open_counts(documents, user),
    )
    in_review_mine = describe(with_queue_facts(in_review_mine))
    return render(
        request,
        "postmortems/review.html",
        {
            "waiting": waiting,
            "returned": returned.order_by("-updated_at"),
            "drafts": drafts.order_by("-updated_at"),
            "in_review_mine": in_review_mine,
            # Sections × reviewers of each document under review here (section_review).
            "review_grids": section_review.queue_grids([*waiting, *in_review_mine]),
            "sorts": SORTS,
            "sort": sort,
        },
    )
