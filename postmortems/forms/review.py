"""Review and sign-off: signing, asking for changes, reopening, comments, the approvals."""

from django import forms

from accounts.models import User
from postmortems.forms.base import MAX_TEXT, one_line, people
from postmortems.markdown import validate_renderable
from postmortems.models import ReviewCriterion, SectionVerdict
from postmortems.sections import SECTIONS


class TickedCriteria(forms.MultipleChoiceField):
    """The ticked criteria as posted: a token that is not (or no longer) offered is kept, so
    that the workflow can say which criterion is missing or was reworded meanwhile."""

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


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
    # The review criteria ticked (ReviewCriterion.token: the criterion and its wording as
    # shown). Which must be ticked is the workflow's rule (workflow.confirm_criteria), which
    # says what is missing; the page lists them from ``criteria``.
    criteria = TickedCriteria(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.to_confirm = list(criteria)
        self.fields["criteria"].choices = [(c.token, c.text) for c in self.to_confirm]


class RequestChangesForm(forms.Form):
    comment = forms.CharField(
        label="What should change?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_TEXT,
        help_text="The authors get this by email; the document goes back to Draft.",
    )
    # Optional: what falls short, shown to the authors with the comment.
    criteria = forms.ModelMultipleChoiceField(
        queryset=ReviewCriterion.objects.active(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Review criteria not met",
    )
    sections = forms.MultipleChoiceField(
        choices=[(s.slug, s.title) for s in SECTIONS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Sections that need work",
    )


class SectionVerdictForm(forms.Form):
    """One reviewer's verdict on one section (the section is in the address)."""

    verdict = forms.ChoiceField(choices=SectionVerdict.Verdict.choices)
    comment = forms.CharField(
        required=False,
        max_length=5000,
        validators=[validate_renderable],
        widget=forms.Textarea(attrs={"rows": 1}),
        help_text="Optional, Markdown.",
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


class ApprovalRowForm(ApprovalForm):
    """One row of the approvals table, saved with every other row by one "Save all".

    What the page showed travels with the row (``shown_*``), so that only the rows the person
    changed are saved: a row they left alone never overwrites what someone else saved
    meanwhile. Its inputs sit in the table's cells and belong to the save-all form by id."""

    FORM_ID = "approvals-all"

    shown_role = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)
    shown_assignee = forms.CharField(required=False, widget=forms.HiddenInput)
    shown_required = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, approval, **kwargs):
        initial = {
            "role": approval.role,
            "assignee": approval.assignee,
            "required": approval.required,
            "shown_role": approval.role,
            "shown_assignee": approval.assignee_id or "",
            "shown_required": "on" if approval.required else "",
        }
        super().__init__(data, prefix=f"a{approval.pk}", initial=initial, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["form"] = self.FORM_ID

    def has_changes(self) -> bool:
        """The person changed this row (a row posted without what was shown counts as changed)."""
        data = self.cleaned_data
        if self.add_prefix("shown_role") not in self.data:
            return True
        typed = (data["role"], data["assignee"].pk if data["assignee"] else "", data["required"])
        shown = (data["shown_role"].strip(), data["shown_assignee"], data["shown_required"] == "on")
        return tuple(map(str, typed)) != tuple(map(str, shown))


class HandOverForm(forms.Form):
    to = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Hand over to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = people()
        self.fields["to"].empty_label = "— nobody (unassigned) —"
