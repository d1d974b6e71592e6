"""Action items across all postmortems: the in-place status (the list's filters are in
postmortems.filters)."""

from django import forms

from postmortems.models import ActionItem


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices)
