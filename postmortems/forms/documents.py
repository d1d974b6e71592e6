"""Starting a document, and the list page's filters."""

from django import forms

from postmortems.forms.base import DateInput, iso_dates, limit_text, markdown_area, one_line, people
from postmortems.keys import key_refusal
from postmortems.models import Postmortem
from postmortems.sections.overview import SeverityHelpMixin


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
