"""/search/: full-text search with filters, and linking a similar incident as related."""

import re

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from postmortems import editing, search
from postmortems.forms.base import DateInput, people
from postmortems.models import ActionItem, Postmortem, Severity, Tag
from postmortems.views.documents import get_postmortem_for_user, query_without_page

PAGE_SIZE = 20
RELATED_KEY = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")


class QueryField(forms.CharField):
    """Free text, never refused: NUL characters become spaces, length is handled by search."""

    def to_python(self, value):
        return super().to_python(value).replace("\x00", " ")


class SearchForm(forms.Form):
    """Every filter is a GET parameter, so a search can be bookmarked and shared.

    A value that cannot be used gets an error beside its field and is ignored; the rest of the
    search still runs.
    """

    q = QueryField(required=False, label="Search")
    severity = forms.MultipleChoiceField(
        required=False, choices=Severity.choices, widget=forms.CheckboxSelectMultiple
    )
    status = forms.MultipleChoiceField(
        required=False, choices=Postmortem.Status.choices, widget=forms.CheckboxSelectMultiple
    )
    since = forms.DateField(
        required=False,
        label="From",
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
        help_text="Incident date, YYYY-MM-DD.",
    )
    until = forms.DateField(
        required=False,
        label="To",
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
    )
    service = forms.ChoiceField(
        required=False, widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )
    author = forms.ChoiceField(
        required=False, widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )
    open_items = forms.BooleanField(
        required=False,
        label="Has open action items",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[("relevance", "Best match"), ("date", "Newest first")],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices are checked in Python: no user value ever reaches a lookup query. Only the
        # services of documents this person may read: a restricted document's are not named.
        services = (
            Tag.objects.filter(postmortems__in=Postmortem.objects.visible_to(user).values("pk"))
            .distinct()
            .order_by("name")
            .values_list("name", flat=True)
        )
        self.fields["service"].choices = [
            ("", "Any service"),
            *((name, name) for name in services),
        ]
        self.fields["author"].choices = [
            ("", "Anyone"),
            *((person.username, person.name) for person in people()),
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end of the range is before its start.")
        return data

    def usable(self) -> dict:
        """The values that passed validation (an invalid one is left out, not fatal)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data

    def ignored(self) -> list[str]:
        return [
            self.fields[name].label or name.title() for name in self.errors if name in self.fields
        ]

    def has_filters(self, data) -> bool:
        return any(data.get(name) for name in self.fields if name not in ("q", "sort"))


def apply_filters(postmortems, data):
    if data.get("severity"):
        postmortems = postmortems.filter(severity__in=data["severity"])
    if data.get("status"):
        postmortems = postmortems.filter(status__in=data["status"])
    if data.get("since"):
        postmortems = postmortems.filter(incident_date__gte=data["since"])
    if data.get("until"):
        postmortems = postmortems.filter(incident_date__lte=data["until"])
    if data.get("service"):
        postmortems = postmortems.filter(tags__name=data["service"])
    if data.get("author"):
        postmortems = postmortems.filter(authors__username=data["author"])
    if data.get("open_items"):
        open_items = ActionItem.objects.filter(postmortem=OuterRef("pk")).exclude(
            status=ActionItem.Status.DONE
        )
        postmortems = postmortems.filter(Exists(open_items))
    return postmortems


def search_view(request):
    form = SearchForm(request.GET or None, user=request.user)
    data = form.usable()
    parsed = search.parse(data.get("q", ""))
    notices = []
    if parsed.shortened:
        notices.append(
            f"The search was shortened to its first {search.MAX_QUERY_LENGTH} characters."
        )
    if parsed.too_many_terms:
        notices.append(f"Only the first {search.MAX_TERMS} different words were searched for.")
    if form.ignored():
        notices.append(f"Ignored what could not be used: {', '.join(form.ignored())}.")
    problem = ""
    if parsed.text and parsed.is_empty:
        if parsed.stop_words_only:
            problem = "Only very common words (like “the” or “and”): add a word that says more."
        elif parsed.groups:
            problem = "Only -exclusions: add a word to look for."
        else:
            problem = "Nothing to search for there: type a word, a “quoted phrase” or a key."

    page = None
    sort = data.get("sort") or ("relevance" if parsed.words else "date")
    if not problem and (parsed.words or form.has_filters(data)):
        postmortems = apply_filters(Postmortem.objects.visible_to(request.user), data)
        ids = search.find(postmortems, parsed, sort=sort, filtered=form.has_filters(data))
        page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = search.load(page.object_list)
        snippets = search.snippets([p.pk for p in page.object_list], parsed)
        for postmortem in page.object_list:
            postmortem.snippet = snippets.get(postmortem.pk)

    return render(
        request,
        "postmortems/search.html",
        {
            "form": form,
            "parsed": parsed,
            "page": page,
            "sort": sort,
            "notices": notices,
            "problem": problem,
            "filtered": form.has_filters(data),
            "capped": page is not None and page.paginator.count >= search.CANDIDATES,
            "candidates": search.CANDIDATES,
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
