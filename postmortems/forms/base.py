"""What every form of the app shares: the limits of free text, one-line boxes, ISO dates, the
people one can pick, and the two kinds of editor form (a section, a table row), each carrying
the revision it was opened at so that a save over a newer one is refused, not applied."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from accounts.models import User
from postmortems.markdown import validate_renderable, validate_renderable_lines
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


def limit_text(fields, *, points=()):
    """Every free-text box refuses too much text with one message saying how much it got, and
    text that cannot be formatted in time (every such box is shown as Markdown; those named in
    `points` are shown one point per line, and checked so).

    The limit is the field's own (a 2,000-character table cell) or MAX_TEXT; the browser
    gets no maxlength, which would cut a paste short without a word.
    """
    for name, field in fields.items():
        if isinstance(field, forms.CharField) and isinstance(field.widget, forms.Textarea):
            limit = field.max_length or MAX_TEXT
            field.validators = [
                v for v in field.validators if not isinstance(v, MaxLengthValidator)
            ]
            field.validators.append(_text_limit(limit, points=name in points))
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


class SectionForm(forms.ModelForm):
    """A section of the guided editor (bound to the document model by its section)."""

    section_revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    # Text fields shown one point per line (What went well, What went poorly).
    point_fields: tuple[str, ...] = ()

    def __init__(self, *args, section_revision=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section_revision"].initial = section_revision
        limit_text(self.fields, points=self.point_fields)
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


class RowForm(forms.ModelForm):
    """One row of a table in the document."""

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
