"""The app's models. The document's tables and its sections' fields live in the section
modules (postmortems.sections); they are all reachable from here as well."""

from postmortems.models.attachments import Attachment
from postmortems.models.blameless import BlamelessRule, BlamelessWaiver, install_default_rules
from postmortems.models.criteria import (
    DEFAULT_CRITERIA,
    ChangeRequestPoints,
    ReviewCriterion,
    SectionVerdict,
)
from postmortems.models.document import (
    KeySequence,
    Postmortem,
    PostmortemQuerySet,
    SearchDocument,
    Tag,
    new_secret,
)
from postmortems.models.history import DocumentVersion
from postmortems.models.meeting import ReviewMeeting
from postmortems.models.review import (
    DEFAULT_APPROVAL_SLOTS,
    Activity,
    Approval,
    ApprovalPolicy,
    Comment,
    PolicyRole,
    Snapshot,
)
from postmortems.models.rows import ReminderSent
from postmortems.sections import POINT_FIELDS, DocumentRow
from postmortems.sections.action_items import ActionItem
from postmortems.sections.detection import DetectionMethod
from postmortems.sections.lessons import Lesson
from postmortems.sections.overview import (
    SEVERITY_DEFINITIONS,
    Severity,
    severity_definitions,
    severity_help_text,
)
from postmortems.sections.resolution import FixType
from postmortems.sections.response import Responder
from postmortems.sections.root_cause import ContributingFactor
from postmortems.sections.supporting import MAX_RELATED, SupportingLink
from postmortems.sections.timeline import TimelineEvent
from postmortems.values import KEY_RE, bullet_lines, http_url_validator

__all__ = [
    "DEFAULT_APPROVAL_SLOTS",
    "DEFAULT_CRITERIA",
    "KEY_RE",
    "MAX_RELATED",
    "POINT_FIELDS",
    "SEVERITY_DEFINITIONS",
    "ActionItem",
    "Activity",
    "Approval",
    "ApprovalPolicy",
    "Attachment",
    "BlamelessRule",
    "BlamelessWaiver",
    "ChangeRequestPoints",
    "Comment",
    "ContributingFactor",
    "DetectionMethod",
    "DocumentRow",
    "DocumentVersion",
    "FixType",
    "KeySequence",
    "Lesson",
    "PolicyRole",
    "Postmortem",
    "PostmortemQuerySet",
    "ReminderSent",
    "Responder",
    "ReviewCriterion",
    "ReviewMeeting",
    "SearchDocument",
    "SectionVerdict",
    "Severity",
    "Snapshot",
    "SupportingLink",
    "Tag",
    "TimelineEvent",
    "bullet_lines",
    "http_url_validator",
    "install_default_rules",
    "new_secret",
    "severity_definitions",
    "severity_help_text",
]
