"""The security audit trail: sign-ins, failed sign-ins, sign-outs and access denials.

Written to the `audit` logger (one line each: who, what, from where). Document changes and
transitions are kept per document in the Activity table instead.

Every value is passed through `_field`: what a person typed (a username, a path) can never
start a new line or pass for another field.
"""

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.views.defaults import permission_denied as default_permission_denied

from accounts.addresses import client_address

logger = logging.getLogger("audit")

_QUOTED = {'"': '\\"', "\\": "\\\\"}


def _field(value, limit: int = 200) -> str:
    """`value` as one log field: as it is when plain, else quoted with control characters,
    line breaks, quotes and backslashes escaped (`\\n`, `\\x1b`); at most `limit` characters."""
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + "..."
    if text and all(ch.isprintable() and ch not in ' "=\\' for ch in text):
        return text
    escaped = "".join(
        _QUOTED.get(ch) or (ch if ch.isprintable() else ch.encode("unicode_escape").decode())
        for ch in text
    )
    return f'"{escaped}"'


def _address(request) -> str:
    return _field(client_address(request) or "-") if request is not None else "-"


@receiver(user_logged_in)
def signed_in(sender, request, user, **kwargs):
    logger.info("sign-in user=%s address=%s", _field(user.username), _address(request))


@receiver(user_logged_out)
def signed_out(sender, request, user, **kwargs):
    username = getattr(user, "username", "-")
    logger.info("sign-out user=%s address=%s", _field(username), _address(request))


@receiver(user_login_failed)
def sign_in_failed(sender, credentials, request=None, **kwargs):
    # The password is never logged; Django already masks it in `credentials`. The path tells
    # a wrong sign-in from a wrong password asked again (signing, changing the password).
    logger.warning(
        "sign-in failed user=%s address=%s path=%s",
        _field(credentials.get("username", "-")),
        _address(request),
        _field(request.path if request is not None else "-"),
    )


def permission_denied(request, exception=None):
    """handler403: log who was refused what, then show the friendly 403 page."""
    user = getattr(request, "user", None)
    logger.warning(
        "access denied user=%s path=%s method=%s address=%s reason=%s",
        _field(getattr(user, "username", "-") or "anonymous"),
        _field(request.path),
        _field(request.method),
        _address(request),
        _field(exception or ""),
    )
    return default_permission_denied(request, exception)
