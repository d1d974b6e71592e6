from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render

from accounts.forms import PasswordChangeForm, PasswordResetForm, ProfileForm


def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile was saved.")
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})


class _FormGetsRequest:
    """Hands the request to the form: its throttles need the client's address."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordChangeView(_FormGetsRequest, auth_views.PasswordChangeView):
    form_class = PasswordChangeForm


class PasswordResetView(_FormGetsRequest, auth_views.PasswordResetView):
    form_class = PasswordResetForm
