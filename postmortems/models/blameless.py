"""The blameless-language check's rules, and the findings an author marked intended.

Rules are kept by administrators in the Django admin (superusers only); a new installation
starts with ``postmortems.blameless_rules.DEFAULT_RULES`` (the data migration
``…_blameless_rules`` writes them, and ``install_default_rules`` writes the missing ones where a
test or a flushed database needs them). A
pattern is in the check's own small language (``postmortems.blameless``), never a regular
expression, and is refused on save when it is not.

A mark "intended" is review metadata, not document content: it is not in the signed content
and changes no content hash.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from postmortems import blameless
from postmortems.blameless_rules import DEFAULT_RULES
from postmortems.models.document import Postmortem

PATTERN_HELP = (
    "Words separated by spaces, matched whole and in any case. In each place: <code>word</code>; "
    "<code>a|b</code> for either; <code>[word]</code> for an optional one; <code>care*</code> "
    "for a word that begins so (3 letters at least), <code>*ed</code> for one that ends so; "
    "<code>*</code> alone for any one word (not first). Hyphenated words are one word: "
    "<code>on-call</code>. At most 400 characters, 8 places, 3 optional. For a person rule, "
    "the verbs only: <code>failed to</code> is flagged after “Bob”, “@bob”, “she” or “the "
    "engineer”, not after “the alert”."
)


class BlamelessRule(models.Model):
    class Kind(models.TextChoices):
        PHRASE = blameless.PHRASE, "Phrase: flagged wherever it appears"
        PERSON = blameless.PERSON, "Person as subject: flagged after a person's name or pronoun"

    name = models.CharField(max_length=80, unique=True, help_text="A short name, e.g. Forgot.")
    kind = models.CharField(max_length=8, choices=Kind, default=Kind.PHRASE)
    pattern = models.CharField(
        max_length=blameless.MAX_PATTERN,
        validators=[blameless.validate_pattern],
        help_text=PATTERN_HELP,
    )
    message = models.CharField(max_length=300, help_text="Why it is flagged, in a sentence.")
    prompt = models.CharField(
        "rewrite prompt",
        max_length=300,
        help_text="What to ask instead, e.g. “Ask: why was this error possible?”",
    )
    enabled = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0, help_text="Rules are applied in this order.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.name

    def as_rule(self) -> blameless.Rule:
        return blameless.Rule(self.name, self.kind, self.pattern, self.message, self.prompt)


def install_default_rules(model=BlamelessRule) -> int:
    """Write the default rules that are missing (by name); returns how many were written.
    ``model``: the migration's historical model."""
    made = 0
    for position, rule in enumerate(DEFAULT_RULES, start=1):
        _, created = model.objects.get_or_create(
            name=rule.name,
            defaults={
                "kind": rule.kind,
                "pattern": rule.pattern,
                "message": rule.message,
                "prompt": rule.prompt,
                "position": position * 10,
            },
        )
        made += created
    return made


class BlamelessWaiver(models.Model):
    """A finding an author marked intended, with the reason: a customer's words quoted, a
    system that is called "Forgot"… It covers the same words in the same sentence of the same
    field (``fingerprint``, see ``blameless.fingerprint``), not the words elsewhere."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="blameless_waivers"
    )
    section = models.CharField(max_length=32)
    # The document's field ("root_cause_why"), or a table row's ("timeline/17/description").
    field = models.CharField(max_length=80)
    phrase = models.CharField(max_length=200, help_text="The words flagged, normalised.")
    sentence = models.TextField(help_text="Their sentence as it was when marked.")
    rule_name = models.CharField(max_length=80, blank=True)
    fingerprint = models.CharField(max_length=64)
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "fingerprint"], name="one_blameless_waiver_per_finding"
            )
        ]

    def __str__(self):
        return f"“{self.phrase}” in {self.postmortem_id}/{self.field}"
