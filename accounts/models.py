from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person: an author, responder, reviewer or approver of postmortems."""

    display_name = models.CharField(
        max_length=150,
        blank=True,
        help_text="How your name appears on documents, e.g. Alice Smith.",
    )
    team = models.CharField(max_length=100, blank=True, help_text="e.g. SRE, Payments, Platform.")
    job_title = models.CharField(
        max_length=100, blank=True, help_text="e.g. SRE Lead, Engineering Lead, VP Engineering."
    )

    class Meta:
        ordering = ["display_name", "username"]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        """The name shown on documents: display name, else full name, else username."""
        return self.display_name or self.get_full_name() or self.username


class RateLimit(models.Model):
    """Recent uses of a limited action by one key, e.g. password resets asked from an address.

    Only a keyed SHA-256 digest of the key (an address, an email address) is stored, never the
    key itself. `uses` holds the times (Unix seconds) of the uses within the window, so the
    row is the whole sliding window; rows with no recent use are deleted as others are written.
    """

    scope = models.CharField(max_length=32)
    digest = models.CharField(max_length=64)
    uses = models.JSONField(default=list)
    last_used_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "digest"], name="ratelimit_unique_key")
        ]

    def __str__(self):
        return f"{self.scope} {self.digest[:12]}…"
