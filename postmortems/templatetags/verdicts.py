"""The review's checks on the page: a section's row of the verdict grid, a reviewer's
initials as a column heading."""

from django import template

register = template.Library()


@register.filter
def section_row(grid, slug):
    """The grid's row of one section (section_review.Row), or None without a grid."""
    return grid.by_slug.get(slug) if grid else None


@register.filter
def initials(person) -> str:
    """A reviewer's initials, as a narrow column heading (the full name is beside it)."""
    words = (getattr(person, "name", "") or str(person)).split()
    if len(words) > 1:
        return "".join(word[0] for word in words[:3]).upper()
    return words[0][:2] if words else "?"


@register.filter
def cell_of(row, user):
    """This person's cell in a section's row (their verdict on it), or None."""
    return row.of(user) if row else None
