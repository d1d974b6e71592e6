from django import forms
from django.contrib.auth import forms as auth_forms
from django.views.decorators.debug import sensitive_variables

from accounts import passwords
from accounts.models import User
from postmortems.values import single_line


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "first_name", "last_name", "email", "team", "job_title"]
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}

    def clean(self):
        data = super().clean()
        # A name is one line: with a line break in it, every mail naming the person (its
        # subject) would be refused by the mail library.
        for name in ("display_name", "first_name", "last_name", "team", "job_title"):
            if data.get(name):
                data[name] = single_line(data[name])
        return data


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """The old password is checked as sign-in checks it: wrong ones count, and lock."""

    def __init__(self, user, *args, request, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    @sensitive_variables("old_password")
    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        try:
            passwords.check_password(self.request, self.user, old_password)
        except passwords.PasswordRefused as refused:
            raise forms.ValidationError(str(refused), code="password_incorrect") from None
        return old_password


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Limited per address (the form says so) and per email address (silently: the page is
    the same whether or not an account uses the address)."""

    def __init__(self, *args, request, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned_data = super().clean()
        if not self.errors and not passwords.allow_reset_request(self.request):
            raise forms.ValidationError(
                "Too many password-reset requests from your address. Try again in an hour.",
                code="too_many_requests",
            )
        return cleaned_data

    def get_users(self, email):
        return (
            user for user in super().get_users(email) if passwords.allow_reset_email(user.email)
        )
