from django import forms
from django.template.loader import render_to_string

from accounts.models import User
from postmortems.models import Postmortem, Severity, severity_definitions


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class NewPostmortemForm(forms.ModelForm):
    """Start a Draft: just enough to name the incident; the guided editor does the rest."""

    authors = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="Co-authors besides you (you are always an author).",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = Postmortem
        fields = ["title", "incident_date", "severity", "key", "authors", "executive_summary"]
        widgets = {
            "incident_date": DateInput(),
            "executive_summary": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].required = False
        self.fields["key"].widget.attrs["placeholder"] = (
            "INC-2026-0042 (leave empty for the next free key)"
        )
        self.fields["severity"].help_text = render_to_string(
            "postmortems/_severity_definitions.html", {"definitions": severity_definitions()}
        )

    def clean_key(self):
        key = self.cleaned_data.get("key", "").strip().upper()
        if key and Postmortem.objects.filter(key=key).exists():
            raise forms.ValidationError(f"{key} is already used by another postmortem.")
        return key


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
