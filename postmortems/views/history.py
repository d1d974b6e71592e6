"""The version history of a document and a readable diff between any two versions."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from postmortems import history
from postmortems.models import DocumentVersion, Postmortem
from postmortems.sections import SECTIONS
from postmortems.values import parse_id
from postmortems.views.documents import get_postmortem_for_user

SECTION_TITLES = {s.slug: s.title for s in SECTIONS} | {"import": "Import", "": "—"}
SHOWN = 500


@require_safe
def history_view(request, key):
    postmortem = get_postmortem_for_user(
        request.user, key, Postmortem.objects.prefetch_related("approvals__assignee")
    )
    versions = list(
        DocumentVersion.objects.filter(postmortem=postmortem)
        .select_related("changed_by")
        .defer("content", "action_item_statuses")
        .order_by("-number")[:SHOWN]
    )
    finals = dict(postmortem.snapshots.values_list("content_hash", "version"))
    for version in versions:
        version.section_title = SECTION_TITLES.get(version.section, version.section)
        version.final = (
            finals.get(version.content_hash)
            if finals.get(version.content_hash) == version.document_version
            else None
        )
    by_number = {v.number: v for v in versions}
    error = ""
    a, b = parse_id(request.GET.get("a")), parse_id(request.GET.get("b"))
    since = parse_id(request.GET.get("since_revision"))
    if since is not None:
        signed = history.version_at_revision(postmortem, since)
        a = signed.number if signed else None
        b = versions[0].number if versions else None
    if a is None and b is None and len(versions) >= 2:
        a, b = versions[1].number, versions[0].number
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
    return render(
        request,
        "postmortems/history.html",
        {
            "postmortem": postmortem,
            "versions": versions,
            "by_number": by_number,
            "old": old,
            "new": new,
            "sections": sections,
            "changed_sections": [s for s in sections if s.changed],
            "error": error,
            "since": since,
        },
    )
