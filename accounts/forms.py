from django import forms

from accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "first_name", "last_name", "email", "team", "job_title"]
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}
