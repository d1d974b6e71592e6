from postmortems.views.documents import (
    healthz,
    postmortem_detail,
    postmortem_list,
    postmortem_new,
)
from postmortems.views.editor import edit_section, row_add, row_delete, row_edit

__all__ = [
    "edit_section",
    "healthz",
    "postmortem_detail",
    "postmortem_list",
    "postmortem_new",
    "row_add",
    "row_delete",
    "row_edit",
]
