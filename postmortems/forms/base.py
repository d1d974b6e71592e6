"""What every form of the app shares: the limits of free text, one-line boxes, ISO dates, the
people one can pick, and the two kinds of editor form (a section, a table row), each carrying
the revision it was opened at so that a save over a newer one is refused, not applied."""

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from accounts.models import User
from postmortems import merge
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
            field.widget.attrs["data-limit"] = limit


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


class Mergeable:
    """A form that can be merged with a save made after it was opened (``postmortems.merge``).

    It carries, in the hidden field ``base``, the values it was opened with, signed so that
    only this app's own snapshot is trusted as the base of a merge. The snapshot holds only
    what the form showed: of a set of documents, those this person may choose.
    """

    # Bounds the hidden snapshot: every field's limit, a few times over, and no more.
    MAX_BASE = 400_000
    bookkeeping = ("base", "section_revision", "revision")

    def _salt(self):
        return f"postmortems.merge:{type(self).__name__}:{self.instance.pk}"

    def merged_names(self):
        return [name for name in self.fields if name not in self.bookkeeping]

    def kind(self, name):
        field = self.fields[name]
        if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            return merge.SET
        if getattr(field, "merges_as_set", False):  # a list typed in one box (services)
            return merge.SET
        if isinstance(field.widget, forms.Textarea):
            return merge.TEXT
        return merge.VALUE

    def _plain(self, name, value):
        """A value as the snapshot keeps it: a text as typed, else ``merge.comparable``."""
        field = self.fields[name]
        if isinstance(field, forms.ModelMultipleChoiceField):
            ids = merge.comparable(value or [])
            allowed = ids and {
                str(pk) for pk in field.queryset.filter(pk__in=ids).values_list("pk", flat=True)
            }
            return [pk for pk in ids if pk in allowed]
        if self.kind(name) == merge.TEXT:
            return merge.normalise(str(value or ""))
        comparable = merge.comparable(value)
        return list(comparable) if isinstance(comparable, tuple) else comparable

    def opened_values(self) -> dict:
        """What the form shows before anything is typed: its initial values."""
        return {
            name: self._plain(name, self.get_initial_for_field(self.fields[name], name))
            for name in self.merged_names()
        }

    def typed_values(self) -> dict:
        return {
            name: self._plain(name, self.cleaned_data.get(name)) for name in self.merged_names()
        }

    def signed_base(self) -> str:
        return signing.dumps(self.opened_values(), salt=self._salt(), compress=True)

    def base_values(self) -> dict | None:
        """The values the form was opened with, or None if it does not say (or not truly)."""
        raw = self.data.get(self.add_prefix("base"), "")
        if not raw or len(raw) > self.MAX_BASE:
            return None
        try:
            values = signing.loads(raw, salt=self._salt())
        except signing.BadSignature:
            return None
        return values if isinstance(values, dict) else None

    def merge_with(self, theirs) -> tuple:
        """Merge what was typed here with the unbound form ``theirs``, opened on the content
        saved meanwhile. Returns (data, [merge.Field]): the data to bind a new form to, on
        that content, with every field merged or, where it could not be, a proposal (a text:
        both sides' lines; anything else: their value) and the conflict marked."""
        base = self.base_values()
        now, mine = theirs.opened_values(), self.typed_values()
        data = self.data.copy()
        outcomes = []
        for name in self.merged_names():
            kind = self.kind(name)
            if base is not None and name in base:
                outcome = merge.merge_field(kind, base[name], mine[name], now[name], name)
            else:
                # No trustworthy base (a form from before a deploy, a changed secret key):
                # whatever differs is both sides' change, and a set is not merged blind — a
                # union would put back an author someone removed, with their access.
                blind = merge.VALUE if kind == merge.SET else kind
                outcome = merge.merge_field(blind, "\x00unknown", mine[name], now[name], name)
            key = self.add_prefix(name)
            if outcome.conflict and kind == merge.TEXT:
                data[key] = outcome.both
            elif kind == merge.SET and (outcome.conflict or outcome.changed == "theirs"):
                # Their set as this person may choose it (the snapshot's): the bound value
                # would name documents they may not see (kept by the form's own save).
                self._set_members(data, name, now[name])
            elif outcome.conflict or outcome.changed == "theirs":
                _set_data(data, key, theirs[name])
            elif outcome.changed == "both" and kind == merge.SET:
                self._set_members(data, name, outcome.value)
            elif outcome.changed == "both" and kind == merge.TEXT:
                data[key] = outcome.value
            outcomes.append(outcome)
        data[self.add_prefix("base")] = theirs.signed_base()
        return data, outcomes

    def _set_members(self, data, name, members):
        """Put a set into form data: one value per member, or one box's text (services)."""
        field, key = self.fields[name], self.add_prefix(name)
        if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            data.setlist(key, [str(member) for member in members])
        else:
            data[key] = field.prepare_value(list(members))

    def displayed(self, name, value) -> str:
        """A value as a person reads it, for showing two versions side by side. A set is given
        as its snapshot (``opened_values``/``typed_values``): only what this person may see."""
        field = self.fields[name]
        if isinstance(field, forms.ModelMultipleChoiceField):
            chosen = field.queryset.filter(pk__in=list(value or []))
            return ", ".join(str(item) for item in chosen) or "—"
        if self.kind(name) == merge.SET and isinstance(value, list | tuple):
            return ", ".join(value) or "—"
        return _display(value, field)


def _set_data(data, key, bound_field):
    """Put a bound field's shown value into form data, as its widget would post it."""
    value = bound_field.value()
    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        if value:
            data[key] = "on"
        else:
            data.pop(key, None)
    elif isinstance(value, list | tuple):
        data.setlist(key, [str(v) for v in value])
    elif isinstance(widget, forms.widgets.ChoiceWidget):
        data[key] = "" if value is None else str(value)
    else:
        formatted = widget.format_value(value)
        data[key] = "" if formatted is None else str(formatted)


class SectionForm(Mergeable, forms.ModelForm):
    """A section of the guided editor (bound to the document model by its section)."""

    section_revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    base = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)

    # Text fields shown one point per line (What went well, What went poorly).
    point_fields: tuple[str, ...] = ()

    def __init__(self, *args, section_revision=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section_revision"].initial = section_revision
        limit_text(self.fields, points=self.point_fields)
        one_line(self.fields)
        iso_dates(self.fields)
        if not self.is_bound:  # when shown: a subclass's __init__ may narrow its choices first
            self.fields["base"].initial = self.signed_base


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


class RowForm(Mergeable, forms.ModelForm):
    """One row of a table in the document."""

    # The row's revision the form was opened at; an edit without it is a conflict (editing).
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    base = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)

    def __init__(self, *args, postmortem=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.postmortem = postmortem
        if self.instance.pk:
            self.fields["revision"].initial = self.instance.revision
        limit_text(self.fields)
        one_line(self.fields)
        iso_dates(self.fields)
        if self.instance.pk and not self.is_bound:
            self.fields["base"].initial = self.signed_base
