from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.template.loader import render_to_string

from accounts.models import User
from postmortems.fields import HttpsURLField, TagsField, UTCDateTimeField
from postmortems.keys import key_refusal
from postmortems.markdown import validate_renderable, validate_renderable_lines
from postmortems.models import (
    MAX_RELATED,
    POINT_FIELDS,
    ActionItem,
    ContributingFactor,
    DetectionMethod,
    FixType,
    Lesson,
    Postmortem,
    Responder,
    Severity,
    SupportingLink,
    TimelineEvent,
    severity_definitions,
)
from postmortems.values import single_line

# Long enough for any honest section, short enough that a stray 200 KB paste is refused
# with a message rather than stored.
MAX_TEXT = 20_000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def markdown_area(rows=5):
    return forms.Textarea(attrs={"rows": rows, "class": "markdown-input", "data-markdown": "1"})


def people():
    return User.objects.filter(is_active=True).order_by("display_name", "username")


class SeverityHelpMixin:
    def _add_severity_help(self):
        self.fields["severity"].help_text = render_to_string(
            "postmortems/_severity_definitions.html", {"definitions": severity_definitions()}
        )


class NewPostmortemForm(SeverityHelpMixin, forms.ModelForm):
    """Start a Draft: just enough to name the incident; the guided editor does the rest."""

    authors = forms.ModelMultipleChoiceField(
        queryset=people(),
        required=False,
        help_text="Co-authors besides you (you are always an author).",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = Postmortem
        fields = [
            "title",
            "incident_date",
            "severity",
            "key",
            "authors",
            "executive_summary",
            "restricted",
        ]
        widgets = {"incident_date": DateInput(), "executive_summary": markdown_area(4)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].required = False
        self.fields["key"].widget.attrs["placeholder"] = (
            "INC-2026-0042 (leave empty for the next free key)"
        )
        limit_text(self.fields)
        one_line(self.fields)
        iso_dates(self.fields)
        self._add_severity_help()

    def clean_key(self):
        return self.cleaned_data.get("key", "").strip().upper()

    def clean(self):
        data = super().clean()
        key = data.get("key")
        if key:
            refusal = key_refusal(key, restricted=bool(data.get("restricted")))
            if refusal:
                self.add_error("key", refusal)
        return data


class PostmortemFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Find", max_length=200)
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), *Postmortem.Status.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    severity = forms.ChoiceField(
        required=False,
        choices=[("", "Any severity"), *Severity.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    mine = forms.BooleanField(
        required=False,
        label="Only mine",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


# ---------------------------------------------------------------------------------------------
# The guided editor: one form per section. Each carries the section's revision so that a save
# over someone else's newer save is refused instead of overwriting it.


class SectionForm(forms.ModelForm):
    section_revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    markdown_fields: tuple[str, ...] = ()

    def __init__(self, *args, section_revision=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section_revision"].initial = section_revision
        limit_text(self.fields)
        one_line(self.fields)
        iso_dates(self.fields)

    def changed_values(self, saved):
        """[(label, saved value, typed value)] where another save left something else.

        Only what the person may choose is compared: a related incident they may not see is
        neither a difference nor named (nor its id).
        """
        differences = []
        for name, field in self.fields.items():
            if name == "section_revision":
                continue
            typed = self.data.get(self.add_prefix(name), "")
            mine = (
                field.prepare_value(self.cleaned_data.get(name))
                if name in self.cleaned_data
                else typed
            )
            theirs = _model_value(saved, name)
            if isinstance(field, forms.ModelMultipleChoiceField):
                allowed = {str(pk) for pk in field.queryset.values_list("pk", flat=True)}
                mine = [v for v in mine or [] if str(getattr(v, "pk", v)) in allowed]
                theirs = [v for v in theirs if str(v.pk) in allowed]
            else:
                theirs = field.prepare_value(theirs)
            if _comparable(mine) != _comparable(theirs):
                differences.append((field.label, _display(theirs, field), name))
        return differences


def limit_text(fields):
    """Every free-text box refuses too much text with one message saying how much it got, and
    text that cannot be formatted in time (every such box is shown as Markdown).

    The limit is the field's own (a 2,000-character table cell) or MAX_TEXT; the browser
    gets no maxlength, which would cut a paste short without a word.
    """
    for name, field in fields.items():
        if isinstance(field, forms.CharField) and isinstance(field.widget, forms.Textarea):
            limit = field.max_length or MAX_TEXT
            field.validators = [
                v for v in field.validators if not isinstance(v, MaxLengthValidator)
            ]
            field.validators.append(_text_limit(limit, points=name in POINT_FIELDS))
            field.widget.attrs.pop("maxlength", None)


def one_line(fields):
    """Every one-line box keeps one line, whatever is posted into it: a title or a name with
    a line break would otherwise break the mails that carry it, or a log line."""
    for field in fields.values():
        if type(field) is forms.CharField and isinstance(field.widget, forms.TextInput):
            to_python = field.to_python
            field.to_python = lambda value, to_python=to_python: single_line(to_python(value))


def iso_dates(fields):
    """Dates are YYYY-MM-DD only: 05/02/2026 is refused rather than read as 2 May (en-us)."""
    for field in fields.values():
        if isinstance(field, forms.DateField):
            field.input_formats = ["%Y-%m-%d"]
            field.error_messages["invalid"] = "Write the date as YYYY-MM-DD, e.g. 2026-02-05."


def _text_limit(limit, *, points=False):
    def validate(value):
        if value and len(value) > limit:
            raise ValidationError(
                f"This is {len(value):,} characters; the limit is {limit:,}. "
                "Link long logs or documents from Supporting information instead of pasting them."
            )
        # As it is shown: one point per line is formatted line by line.
        (validate_renderable_lines if points else validate_renderable)(value)

    return validate


def _model_value(instance, name):
    value = getattr(instance, name)
    if hasattr(value, "all"):
        items = list(value.all())
        return [t.name for t in items] if name == "tags" else items
    return value


def _comparable(value):
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return sorted(str(getattr(v, "pk", v)) for v in value)
    return str(getattr(value, "pk", value)).strip().replace("\r\n", "\n")


def _display(value, field):
    if isinstance(field, forms.ModelMultipleChoiceField):
        return ", ".join(str(v) for v in value) if value else "—"
    if isinstance(field, forms.MultipleChoiceField):
        labels = dict(field.choices)
        return ", ".join(str(labels.get(v, v)) for v in value or []) or "—"
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, value) or "—")
    if value in (None, ""):
        return "—"
    return str(value)


class OverviewForm(SeverityHelpMixin, SectionForm):
    authors = forms.ModelMultipleChoiceField(
        queryset=people(),
        help_text="Everyone who writes this document. Any author may edit any section.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    tags = TagsField(
        label="Services",
        required=False,
        help_text="Services and components involved, separated by commas: api, postgres.",
    )

    class Meta:
        model = Postmortem
        # `tags` is saved by the editing service from the typed names, not by save_m2m.
        fields = [
            "title",
            "incident_date",
            "severity",
            "authors",
            "executive_summary",
            "restricted",
            "viewers",
        ]
        widgets = {"incident_date": DateInput(), "executive_summary": markdown_area(5)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["tags"] = [t.name for t in self.instance.tags.all()]
        self.fields["viewers"].queryset = people()
        self.fields["viewers"].widget.attrs["size"] = 4
        self._add_severity_help()


class ImpactForm(SectionForm):
    outage_started_at = UTCDateTimeField(label="Outage start (UTC)", required=False)
    outage_ended_at = UTCDateTimeField(label="Outage end (UTC)", required=False)

    class Meta:
        model = Postmortem
        fields = [
            "affected_users",
            "affected_users_percent",
            "affected_users_basis",
            "regions",
            "outage_started_at",
            "outage_ended_at",
            "degraded_minutes",
            "degraded_description",
            "revenue_impact",
            "reputation_impact",
            "slo_name",
            "slo_target",
            "slo_achieved",
            "slo_window_days",
            "error_budget_consumed_minutes",
        ]
        widgets = {"revenue_impact": markdown_area(2), "reputation_impact": markdown_area(3)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("outage_started_at", "outage_ended_at"):
            self.fields[name].base_date = self.instance.incident_date

    def clean_slo_target(self):
        target = self.cleaned_data.get("slo_target")
        if target is not None and not 0 < target < 100:
            raise ValidationError(
                "An SLO target is a percentage strictly between 0 and 100, e.g. 99.9."
            )
        return target

    def clean(self):
        data = super().clean()
        start, end = data.get("outage_started_at"), data.get("outage_ended_at")
        if start and end and end < start:
            self.add_error("outage_ended_at", "The outage cannot end before it started.")
        if data.get("slo_target") is not None and not data.get("slo_window_days"):
            self.add_error(
                "slo_window_days",
                "Give the SLO's window (e.g. 28 days) to compute the error budget.",
            )
        return data


class RootCauseForm(SectionForm):
    class Meta:
        model = Postmortem
        fields = [
            "root_cause_summary",
            "root_cause_component",
            "root_cause_why",
            "root_cause_underlying",
            "root_cause_safeguards",
        ]
        widgets = {
            "root_cause_component": markdown_area(3),
            "root_cause_why": markdown_area(3),
            "root_cause_underlying": markdown_area(6),
            "root_cause_safeguards": markdown_area(4),
        }


class DetectionForm(SectionForm):
    detection_methods = forms.MultipleChoiceField(
        label="How was the incident detected?",
        choices=DetectionMethod.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick every way it was found.",
    )

    class Meta:
        model = Postmortem
        fields = ["detection_methods", "detection_description", "detection_notes"]
        widgets = {"detection_description": markdown_area(2), "detection_notes": markdown_area(6)}


class ResponseForm(SectionForm):
    class Meta:
        model = Postmortem
        fields = ["response_actions", "went_well", "went_poorly"]
        widgets = {
            "response_actions": markdown_area(10),
            "went_well": forms.Textarea(attrs={"rows": 5}),
            "went_poorly": forms.Textarea(attrs={"rows": 5}),
        }


class ResolutionForm(SectionForm):
    fix_type = forms.ChoiceField(
        label="Permanent or temporary?",
        choices=FixType.choices,
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Postmortem
        fields = ["resolution_summary", "fix_type", "resolution_details", "verification"]
        widgets = {"resolution_details": markdown_area(6), "verification": markdown_area(6)}


class SupportingForm(SectionForm):
    related_incidents = forms.ModelMultipleChoiceField(
        queryset=Postmortem.objects.none(),
        required=False,
        help_text="Earlier incidents like this one.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = Postmortem
        fields = ["related_incidents", "references"]
        widgets = {"references": markdown_area(5)}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        visible = Postmortem.objects.visible_to(user).exclude(pk=self.instance.pk)
        self.fields["related_incidents"].queryset = visible.order_by("-incident_date")
        # Links to documents this person may not see are kept as they are, and never shown.
        self.hidden_related = (
            list(self.instance.related_incidents.exclude(pk__in=visible.values("pk")))
            if self.instance.pk
            else []
        )

    def clean_related_incidents(self):
        chosen = list(self.cleaned_data["related_incidents"])
        if len(chosen) > MAX_RELATED:
            raise ValidationError(f"Link at most {MAX_RELATED} related incidents.")
        return [*chosen, *self.hidden_related]


# ---------------------------------------------------------------------------------------------
# Row forms: one row of a table in the document. `revision` guards edits of the same row.


class RowForm(forms.ModelForm):
    # The row's revision the form was opened at; an edit without it is a conflict (editing).
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, postmortem=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.postmortem = postmortem
        if self.instance.pk:
            self.fields["revision"].initial = self.instance.revision
        limit_text(self.fields)
        one_line(self.fields)
        iso_dates(self.fields)


class TimelineEventForm(RowForm):
    occurred_at = UTCDateTimeField(label="Time (UTC)")

    class Meta:
        model = TimelineEvent
        fields = ["occurred_at", "milestone", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "milestone": "Mark the moments that give the figures: started, detected, acknowledged…"
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].base_date = (
            self.postmortem.incident_date if self.postmortem else None
        )
        self.fields["milestone"].choices = [("", "—"), *TimelineEvent.Milestone.choices]


class ContributingFactorForm(RowForm):
    class Meta:
        model = ContributingFactor
        fields = ["description"]
        labels = {"description": "Contributing factor"}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"description": "What made this worse or prevented earlier detection?"}


class ResponderForm(RowForm):
    joined_at = UTCDateTimeField(label="Joined at (UTC)", required=False)

    class Meta:
        model = Responder
        fields = ["role", "user", "name", "joined_at"]
        labels = {"user": "Person", "name": "…or name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["joined_at"].base_date = (
            self.postmortem.incident_date if self.postmortem else None
        )
        self.fields["user"].queryset = people()
        self.fields["user"].empty_label = "— someone without an account —"

    def clean(self):
        data = super().clean()
        if not data.get("user") and not (data.get("name") or "").strip():
            self.add_error("name", "Pick a person or type a name.")
        return data


class ActionItemForm(RowForm):
    class Meta:
        model = ActionItem
        fields = [
            "category",
            "action",
            "owner",
            "owner_name",
            "due_date",
            "priority",
            "status",
            "tracker_url",
        ]
        widgets = {"due_date": DateInput()}
        labels = {"owner_name": "…or owner's name"}
        field_classes = {"tracker_url": HttpsURLField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people()
        self.fields["owner"].empty_label = "— someone without an account —"

    def clean(self):
        data = super().clean()
        if not data.get("owner") and not (data.get("owner_name") or "").strip():
            self.add_error(
                "owner_name", "Every action item needs an owner: pick a person or type a name."
            )
        return data


class LessonForm(RowForm):
    class Meta:
        model = Lesson
        fields = ["category", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}


class SupportingLinkForm(RowForm):
    class Meta:
        model = SupportingLink
        fields = ["kind", "title", "url"]
        field_classes = {"url": HttpsURLField}


# ---------------------------------------------------------------------------------------------
# Review and sign-off.


class SignForm(forms.Form):
    # The SHA-256 of the content the page showed: what the signature is for.
    seen_hash = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Your own password: a signature is a deliberate act, and only yours.",
    )
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="Optional: anything you want on the record with your signature.",
    )


class RequestChangesForm(forms.Form):
    comment = forms.CharField(
        label="What should change?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_TEXT,
        help_text="The authors get this by email; the document goes back to Draft.",
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Why reopen it?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="Kept in the activity log. The Final version stays readable.",
    )


class CommentForm(forms.Form):
    section = forms.SlugField(widget=forms.HiddenInput)
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False)
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=10_000,
        validators=[validate_renderable],
        help_text="Markdown. Comments never change the document or its signatures.",
    )


class HideCommentForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why hide it?")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        one_line(self.fields)


class ApprovalForm(forms.Form):
    role = forms.CharField(max_length=100)
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Person")
    required = forms.BooleanField(
        required=False, initial=True, help_text="Final waits for every required signature."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people()
        self.fields["assignee"].empty_label = "— unassigned —"
        one_line(self.fields)


class HandOverForm(forms.Form):
    to = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Hand over to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = people()
        self.fields["to"].empty_label = "— nobody (unassigned) —"


# ---------------------------------------------------------------------------------------------
# Action items across all postmortems.


class ActionItemFilterForm(forms.Form):
    """Filters for /action-items/. Unknown values are dropped, never a 500."""

    owner = forms.CharField(required=False)
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Not done"), ("all", "Any status"), *ActionItem.Status.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    priority = forms.ChoiceField(
        required=False,
        choices=[("", "Any priority"), *ActionItem.Priority.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    category = forms.ChoiceField(
        required=False,
        choices=[("", "Any category"), *ActionItem.Category.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    due = forms.ChoiceField(
        required=False,
        choices=[("", "Any due date"), ("overdue", "Overdue"), ("soon", "Due within 7 days")],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    service = forms.CharField(required=False, max_length=60)
    sort = forms.ChoiceField(
        required=False,
        choices=[("due", "Due date"), ("priority", "Priority")],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def owner_choices(self, user):
        return [("me", f"Mine ({user.name})"), ("anyone", "Anyone")] + [
            (str(person.pk), person.name) for person in people() if person.pk != user.pk
        ]


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices)
