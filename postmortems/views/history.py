"""The version history of a document, a readable diff between any two versions, and
restoring a section of an earlier version."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from postmortems import editing, history, permissions, restore
from postmortems.exchange import blocks
from postmortems.models import DocumentVersion, Postmortem
from postmortems.sections import SECTIONS
from postmortems.values import parse_id
from postmortems.views.documents import get_postmortem_for_user

SECTION_TITLES = {s.slug: s.title for s in SECTIONS} | {"import": "Import", "": "—"}
# Versions a page lists, newest first.
PER_PAGE = 20
# The diff's sections (its ## headings, and the header above them) by the section they show.
DIFF_SECTIONS = {heading: s for s in SECTIONS for heading in s.headings} | {"header": SECTIONS[0]}


@require_safe
def history_view(request, key):
    postmortem = get_postmortem_for_user(
        request.user,
        key,
        Postmortem.objects.prefetch_related("approvals__assignee", "authors"),
    )
    page = Paginator(
        DocumentVersion.objects.filter(postmortem=postmortem)
        .select_related("changed_by")
        .defer("content", "action_item_statuses")
        .order_by("-number"),
        PER_PAGE,
    ).get_page(request.GET.get("page"))
    versions = list(page.object_list)
    finals = dict(postmortem.snapshots.values_list("content_hash", "version"))
    for version in versions:
        version.section_title = SECTION_TITLES.get(version.section, version.section)
        version.final = (
            finals.get(version.content_hash)
            if finals.get(version.content_hash) == version.document_version
            else None
        )
    error = ""
    a, b = parse_id(request.GET.get("a")), parse_id(request.GET.get("b"))
    since = parse_id(request.GET.get("since_revision"))
    if since is not None:
        signed = history.version_at_revision(postmortem, since)
        a = signed.number if signed else None
        b = versions[0].number if versions and page.number == 1 else _latest(postmortem)
    if a is None and b is None and len(versions) >= 2:
        a, b = versions[1].number, versions[0].number
    elif a is None and b is None and versions and page.paginator.count >= 2:
        # A last page of one version (the first): compared with the one after it.
        a, b = versions[0].number, versions[0].number + 1
    old = new = None
    if a is not None or b is not None:
        wanted = [n for n in (a, b) if n is not None]
        found = {
            v.number: v
            for v in DocumentVersion.objects.filter(postmortem=postmortem, number__in=wanted)
        }
        old, new = found.get(a), found.get(b)
        missing = [str(n) for n in wanted if n not in found]
        if missing:
            error = f"There is no version {' or '.join(missing)} of {postmortem.key}."
    sections = []
    if old and new:
        if old.number > new.number:
            old, new = new, old
        sections = history.diff(
            history.version_markdown(old, request.user), history.version_markdown(new, request.user)
        )
    # What is compared stays chosen across the pages: the form carries the versions chosen
    # that this page does not list, and the page links carry both.
    listed = {v.number for v in versions}
    chosen = {"a": old.number if old else a, "b": new.number if new else b}
    carried = [(name, n) for name, n in chosen.items() if n is not None and n not in listed]
    page_query = urlencode({name: n for name, n in chosen.items() if n is not None})
    can_restore = permissions.can_edit(request.user, postmortem)
    for section in sections:
        section.restores = DIFF_SECTIONS.get(blocks.norm(section.title)) if can_restore else None
    return render(
        request,
        "postmortems/history.html",
        {
            "postmortem": postmortem,
            "versions": versions,
            "page": page,
            "carried": carried,
            "page_query": page_query,
            "old": old,
            "new": new,
            "sections": sections,
            "changed_sections": [s for s in sections if s.changed],
            "error": error,
            "since": since,
            "can_restore": can_restore,
            "restorable": SECTIONS,
        },
    )


def _latest(postmortem):
    return (
        DocumentVersion.objects.filter(postmortem=postmortem)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )


@require_POST
def restore_section(request, key, version):
    """Restore one section of the Draft as it was in its version `version` (a new version)."""
    postmortem = get_postmortem_for_user(
        request.user, key, Postmortem.objects.prefetch_related("authors")
    )
    if not permissions.can_edit(request.user, postmortem):
        raise PermissionDenied(permissions.edit_refusal(request.user, postmortem))
    url = reverse("postmortems:history", args=[postmortem.key])
    section = restore.restorable(request.POST.get("section", ""))
    try:
        changed = restore.restore_section(
            postmortem, version, section.slug if section else "", by=request.user
        )
    except editing.EditRefused as refused:  # RestoreRefused too: no such section or version
        messages.error(request, str(refused))
        return redirect(url)
    if changed:
        messages.success(
            request,
            f"{section.title} is restored as it was in version {version}, as a new version. "
            "Below: what differs between the two now.",
        )
    else:
        messages.info(
            request, f"{section.title} is already as it was in version {version}: nothing changed."
        )
    return redirect(f"{url}?a={version}&b={_latest(postmortem)}")
