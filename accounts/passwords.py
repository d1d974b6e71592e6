"""Passwords outside the sign-in page: checking one again, and limiting reset emails.

Signing a document and changing a password both ask for the password again. Each check goes
through `django.contrib.auth.authenticate`, so django-axes counts a wrong one in the same
store as a wrong sign-in: together they lock the account at that address, and a lock from
either refuses both.

Password-reset requests are limited per address and per email address, counted in the
database (RateLimit) so that every app process sees the same counts.
"""

import datetime
import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_credentials, get_failure_limit
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.addresses import client_address
from accounts.models import RateLimit

RESET_WINDOW = datetime.timedelta(hours=1)


class PasswordRefused(Exception):
    """The password was wrong, or too many were; str() is the message for the person."""

    def __init__(self, message: str, *, locked: bool = False, tries_left: int | None = None):
        super().__init__(message)
        self.locked = locked
        self.tries_left = tries_left


def _minutes(request) -> str:
    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60))
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def _locked_message(request) -> str:
    if get_cool_off(request) is None:
        return "Too many wrong passwords: ask an administrator to unlock your account."
    return f"Too many wrong passwords: try again in {_minutes(request)}."


def _wrong_message(request, tries_left: int | None) -> str:
    if tries_left is None:
        return "That password is not right."
    tries = "1 try" if tries_left == 1 else f"{tries_left} tries"
    if get_cool_off(request) is None:
        return f"That password is not right: {tries} left before the account is locked."
    return f"That password is not right: {tries} left before a pause of {_minutes(request)}."


def check_password(request, user, password: str) -> None:
    """Return if `password` is `user`'s own; raise PasswordRefused if not, or while locked.

    A wrong password counts as a failed sign-in of that account from that address. A right
    one clears the count, as a successful sign-in does; nothing else changes.
    """
    username = user.get_username()
    authenticated = authenticate(request, username=username, password=password)
    # axes flags the request so that its middleware answers with the sign-in lockout page;
    # here the caller shows the message on its own page instead.
    locked = getattr(request, "axes_locked_out", False)
    request.axes_locked_out = False
    if locked:
        raise PasswordRefused(_locked_message(request), locked=True, tries_left=0)
    if authenticated is None or authenticated.pk != user.pk:
        failures = getattr(request, "axes_failures_since_start", None)
        tries_left = None
        if settings.AXES_ENABLED and failures is not None:
            tries_left = max(0, get_failure_limit(request, get_credentials(username)) - failures)
        raise PasswordRefused(_wrong_message(request, tries_left), tries_left=tries_left)
    address = client_address(request)
    if settings.AXES_ENABLED and settings.AXES_RESET_ON_SUCCESS and address:
        AxesProxyHandler.reset_attempts(ip_address=address, username=username)


def _use(scope: str, key: str, *, limit: int, window: datetime.timedelta = RESET_WINDOW) -> bool:
    """Count one use of `scope` by `key` and return True, or False if `limit` uses in the
    last `window` are already counted (the refused use is not counted)."""
    now = timezone.now()
    RateLimit.objects.filter(last_used_at__lt=now - window).delete()
    digest = salted_hmac("accounts.RateLimit", f"{scope}:{key}", algorithm="sha256").hexdigest()
    since = (now - window).timestamp()
    with transaction.atomic():
        rate, _ = RateLimit.objects.select_for_update().get_or_create(
            scope=scope, digest=digest, defaults={"last_used_at": now}
        )
        uses = [used for used in rate.uses if used > since]
        if len(uses) >= limit:
            return False
        rate.uses = [*uses, now.timestamp()]
        rate.last_used_at = now
        rate.save(update_fields=["uses", "last_used_at"])
    return True


def allow_reset_request(request) -> bool:
    """Count a password-reset request from the client's address; False beyond the limit."""
    return _use(
        "reset-address", client_address(request), limit=settings.PASSWORD_RESET_REQUESTS_PER_HOUR
    )


def allow_reset_email(email: str) -> bool:
    """Count a reset email to `email`; False when that address had its share this hour."""
    return _use("reset-email", email.casefold(), limit=settings.PASSWORD_RESET_EMAILS_PER_HOUR)
