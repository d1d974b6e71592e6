"""The three filtered lists (postmortems, search, action items) as django-filter FilterSets.

Every filter is a GET parameter, so a list can be bookmarked and shared. A value that does
not validate gets an error beside its field and is left out (``FilterSet.qs`` filters with
the valid ones only); the rest of the filters still apply. Choices are checked in Python, so
no typed value reaches a lookup unvalidated.
"""

from functools import cached_property

import django_filters as filters
from django import forms
from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When
from django.utils import timezone

from postmortems import search
from postmortems.forms.base import DateInput, people
from postmortems.models import ActionItem, Postmortem, Severity, Tag
from postmortems.values import parse_id

SELECT = {"class": "form-select form-select-sm"}


class QueryField(forms.CharField):
    """Free text, never refused: NUL characters become spaces, length is handled by search."""

    def to_python(self, value):
        return super().to_python(value).replace("\x00", " ")


class TextFilter(filters.CharFilter):
    field_class = QueryField


class TickField(forms.BooleanField):
    """A checkbox: ticked is True, unticked is "not set" (None), so it filters nothing."""

    def to_python(self, value):
        return True if super().to_python(value) else None


class CheckboxFilter(filters.BooleanFilter):
    field_class = TickField


def no_op(queryset, name, value):
    """For a parameter read by the view or by ``filter_queryset`` itself (q, sort)."""
    return queryset


class FilterSet(filters.FilterSet):
    """Built from ``request.GET`` itself, never ``None``: an empty query string is a bound
    list with no filter chosen, so the defaults apply. Read through ``usable()``: the values
    that passed validation."""

    def usable(self) -> dict:
        self.form.is_valid()
        return self.form.cleaned_data

    def ignored(self) -> list[str]:
        """The labels of the filters whose values could not be used."""
        fields = self.form.fields
        return [fields[name].label or name.title() for name in self.errors if name in fields]

    def narrowed(self) -> bool:
        """Whether a filter other than the text and the order is set."""
        data = self.usable()
        return any(data.get(name) for name in self.filters if name not in ("q", "sort"))

    @cached_property
    def parsed(self) -> search.ParsedQuery:
        return search.parse(self.usable().get("q", ""))


class PostmortemFilter(FilterSet):
    """The list page: status, severity, mine, and "Find" through the same search as /search/."""

    q = TextFilter(label="Find", method=no_op)
    status = filters.ChoiceFilter(
        choices=Postmortem.Status.choices,
        empty_label="Any status",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    severity = filters.ChoiceFilter(
        choices=Severity.choices,
        empty_label="Any severity",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    mine = CheckboxFilter(
        field_name="is_mine",  # annotated by the view's queryset (``with_is_mine``)
        label="Only mine",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    class Meta:
        model = Postmortem
        fields = []

    capped = False

    def filter_queryset(self, queryset):
        # The other filters first: the text is matched only among what they leave.
        queryset = super().filter_queryset(queryset)
        if self.parsed.is_empty:
            return queryset
        ids = search.find(queryset, self.parsed, sort="date", filtered=self.narrowed())
        self.capped = ids.capped
        return queryset.filter(pk__in=ids)


class DateRangeForm(forms.Form):
    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end of the range is before its start.")
        return data


class PostmortemSearchFilter(FilterSet):
    """/search/: the filters beside the results; ``search.find`` matches and ranks the text."""

    q = TextFilter(label="Search", method=no_op)
    severity = filters.MultipleChoiceFilter(
        choices=Severity.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    status = filters.MultipleChoiceFilter(
        choices=Postmortem.Status.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    since = filters.DateFilter(
        field_name="incident_date",
        lookup_expr="gte",
        label="From",
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
        help_text="Incident date, YYYY-MM-DD.",
    )
    until = filters.DateFilter(
        field_name="incident_date",
        lookup_expr="lte",
        label="To",
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
    )
    # null_value=None: a service or a person called "null" is a name like any other, not
    # django-filter's "is NULL".
    service = filters.ChoiceFilter(
        field_name="tags__name",
        label="Service",
        empty_label="Any service",
        null_value=None,
        widget=forms.Select(attrs=SELECT),
    )
    author = filters.ChoiceFilter(
        field_name="authors__username",
        label="Author",
        empty_label="Anyone",
        null_value=None,
        widget=forms.Select(attrs=SELECT),
    )
    open_items = CheckboxFilter(
        method="with_open_items",
        label="Has open action items",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    sort = filters.ChoiceFilter(
        choices=[("relevance", "Best match"), ("date", "Newest first")],
        label="Sort",
        empty_label=None,
        method=no_op,
        widget=forms.Select(attrs=SELECT),
    )

    class Meta:
        model = Postmortem
        fields = []
        form = DateRangeForm

    def __init__(self, data, *args, user, **kwargs):
        super().__init__(data, *args, **kwargs)
        # Only the services of documents this person may read: a restricted one's go unnamed.
        services = (
            Tag.objects.filter(postmortems__in=Postmortem.objects.visible_to(user).values("pk"))
            .distinct()
            .order_by("name")
            .values_list("name", flat=True)
        )
        self.filters["service"].extra["choices"] = [(name, name) for name in services]
        self.filters["author"].extra["choices"] = [(p.username, p.name) for p in people()]

    def with_open_items(self, queryset, name, value):
        open_items = ActionItem.objects.filter(postmortem=OuterRef("pk")).exclude(
            status=ActionItem.Status.DONE
        )
        return queryset.filter(Exists(open_items))

    @property
    def chosen_sort(self) -> str:
        return self.usable().get("sort") or ("relevance" if self.parsed.words else "date")


class ActionItemFilter(FilterSet):
    """/action-items/ and its CSV. With no owner chosen, mine; with no status, not done."""

    owner = filters.CharFilter(method=no_op)  # "me", "anyone" or a person's id: see below
    status = filters.ChoiceFilter(
        choices=[("all", "Any status"), *ActionItem.Status.choices],
        empty_label="Not done",
        method=no_op,
        widget=forms.Select(attrs=SELECT),
    )
    priority = filters.ChoiceFilter(
        choices=ActionItem.Priority.choices,
        empty_label="Any priority",
        widget=forms.Select(attrs=SELECT),
    )
    category = filters.ChoiceFilter(
        choices=ActionItem.Category.choices,
        empty_label="Any category",
        widget=forms.Select(attrs=SELECT),
    )
    due = filters.ChoiceFilter(
        choices=[("overdue", "Overdue"), ("soon", "Due within 7 days")],
        empty_label="Any due date",
        method="due_by",
        widget=forms.Select(attrs=SELECT),
    )
    service = filters.CharFilter(max_length=60, method="of_service")
    sort = filters.ChoiceFilter(
        choices=[("due", "Due date"), ("priority", "Priority")],
        empty_label=None,
        method=no_op,
        widget=forms.Select(attrs=SELECT),
    )

    class Meta:
        model = ActionItem
        fields = []

    def __init__(self, data, *args, user, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.user = user
        self.today = timezone.now().date()

    def owner_choices(self):
        return [("me", f"Mine ({self.user.name})"), ("anyone", "Anyone")] + [
            (str(person.pk), person.name) for person in people() if person.pk != self.user.pk
        ]

    @property
    def chosen_owner(self) -> str:
        """The owner filter as the page shows it: "me" unless another was chosen."""
        return self.usable().get("owner") or "me"

    def due_by(self, queryset, name, value):
        return queryset.overdue(self.today) if value == "overdue" else queryset.due_soon(self.today)

    def of_service(self, queryset, name, value):
        return queryset.filter(postmortem__tags__name=value.strip().lower())

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.usable()
        owner = self.chosen_owner
        if owner == "me":
            queryset = queryset.filter(owner=self.user)
        elif parse_id(owner) is not None:  # anything else ("anyone", a typo): anyone
            queryset = queryset.filter(owner_id=parse_id(owner))
        status = data.get("status", "")
        if status == "":
            queryset = queryset.open()
        elif status != "all":
            queryset = queryset.filter(status=status)
        if data.get("sort") == "priority":
            return queryset.order_by("priority", "due_date", "id")
        # Undated items after dated ones: a due date is what makes an item urgent.
        undated = Case(
            When(due_date__isnull=True, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        return queryset.annotate(undated=undated).order_by("undated", "due_date", "priority", "id")
