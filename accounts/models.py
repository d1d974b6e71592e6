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
