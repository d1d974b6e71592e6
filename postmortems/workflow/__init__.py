"""Every change of a postmortem's life cycle, and of who signs it, is one function here.

``transitions``: Draft → Under Review → Final, and back. ``approvals``: the approval policy
and who may hold which slot. ``verdicts``: the review criteria a signature confirms, and
each reviewer's verdict on each section. Views call these and nothing else; each function locks the
document row, checks who may act and in which state, writes one append-only Activity entry
in the same transaction, and raises ``TransitionError`` with a message a person can read.
"""

from postmortems.workflow.approvals import (
    SlotsRefused,
    add_approval,
    apply_policy,
    assigned_approvals,
    hand_over,
    involved_people,
    missing_approvals,
    policy_roles,
    remove_approval,
    update_approval,
    update_approvals,
)
from postmortems.workflow.comments import add_comment, hide_comment, show_comment, toggle_resolved
from postmortems.workflow.errors import ContentChanged, TransitionError
from postmortems.workflow.transitions import (
    create_draft,
    missing_for_review,
    reopen,
    request_changes,
    revision_of,
    sign,
    snapshot_html,
    submit_for_review,
    unsigned_roles,
    withdraw,
)
from postmortems.workflow.verdicts import (
    CriteriaUnconfirmed,
    all_criteria_tokens,
    criteria_to_confirm,
    give_verdict,
)

__all__ = [
    "ContentChanged",
    "CriteriaUnconfirmed",
    "SlotsRefused",
    "TransitionError",
    "add_approval",
    "add_comment",
    "all_criteria_tokens",
    "apply_policy",
    "assigned_approvals",
    "create_draft",
    "criteria_to_confirm",
    "give_verdict",
    "hand_over",
    "hide_comment",
    "involved_people",
    "missing_approvals",
    "missing_for_review",
    "policy_roles",
    "remove_approval",
    "reopen",
    "request_changes",
    "revision_of",
    "show_comment",
    "sign",
    "snapshot_html",
    "submit_for_review",
    "toggle_resolved",
    "unsigned_roles",
    "update_approval",
    "update_approvals",
    "withdraw",
]
