"""/search/: full-text search with filters, and linking a similar incident as related."""

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from postmortems import editing, search
from postmortems.filters import PostmortemSearchFilter
from postmortems.models import Postmortem
from postmortems.views.documents import get_postmortem_for_user, query_without_page

PAGE_SIZE = 20
RELATED_KEY = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")


def search_view(request):
    found = PostmortemSearchFilter(
        request.GET, queryset=Postmortem.objects.visible_to(request.user), user=request.user
    )
    parsed, narrowed = found.parsed, found.narrowed()
    notices = list(parsed.notices)
    if found.ignored():
        notices.append(f"Ignored what could not be used: {', '.join(found.ignored())}.")

    page = None
    sort = found.chosen_sort
    if not parsed.problem and (parsed.words or narrowed):
        ids = search.find(found.qs, parsed, sort=sort, filtered=narrowed)
        page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = search.load(page.object_list)
        snippets = search.snippets([p.pk for p in page.object_list], parsed)
        for postmortem in page.object_list:
            postmortem.snippet = snippets.get(postmortem.pk)

    return render(
        request,
        "postmortems/search.html",
        {
            "form": found.form,
            "parsed": parsed,
            "page": page,
            "sort": sort,
            "notices": notices,
            "problem": parsed.problem,
            "filtered": narrowed,
            "capped": page is not None and page.paginator.object_list.capped,
            "candidates": search.results.CANDIDATES,
            "query": query_without_page(request),
        },
    )


@require_POST
def link_related(request, key):
    postmortem = get_postmortem_for_user(request.user, key)
    related = request.POST.get("related", "").strip().upper()
    if not RELATED_KEY.fullmatch(related):
        raise Http404("No such postmortem.")
    other = get_postmortem_for_user(request.user, related)
    try:
        linked = editing.link_related(postmortem, other, by=request.user)
    except editing.EditRefused as exc:
        messages.error(request, str(exc))
    else:
        if linked:
            messages.success(request, f"{other.key} is now a related incident of {postmortem.key}.")
        else:
            messages.info(request, f"{other.key} was already a related incident.")
    return redirect(f"{postmortem.get_absolute_url()}#similar")
