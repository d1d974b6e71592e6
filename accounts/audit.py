"""The security audit trail: sign-ins, failed sign-ins, sign-outs and access denials.

Written to the `audit` logger (one line each: who, what, from where). Document changes and
transitions are kept per document in the Activity table instead.
"""

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.views.defaults import permission_denied as default_permission_denied

logger = logging.getLogger("audit")


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "-") if request is not None else "-"


@receiver(user_logged_in)
def signed_in(sender, request, user, **kwargs):
    logger.info("sign-in user=%s address=%s", user.username, _address(request))


@receiver(user_logged_out)
def signed_out(sender, request, user, **kwargs):
    logger.info("sign-out user=%s address=%s", getattr(user, "username", "-"), _address(request))


@receiver(user_login_failed)
def sign_in_failed(sender, credentials, request=None, **kwargs):
    # The password is never logged; Django already masks it in `credentials`.
    logger.warning(
        "sign-in failed user=%s address=%s", credentials.get("username", "-"), _address(request)
    )


def permission_denied(request, exception=None):
    """handler403: log who was refused what, then show the friendly 403 page."""
    user = getattr(request, "user", None)
    logger.warning(
        "access denied user=%s path=%s method=%s address=%s reason=%s",
        getattr(user, "username", "-") or "anonymous",
        request.path,
        request.method,
        _address(request),
        str(exception or "")[:200],
    )
    return default_permission_denied(request, exception)
