"""Action items across all postmortems: the list's filters and the in-place status."""

from django import forms

from postmortems.forms.base import people
from postmortems.models import ActionItem


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
