"""Matching the names a document gives people to accounts: by display name, full name or
username, case aside; a name nobody has (or several have) stays a name as typed."""

from django.db.models import Q, Value
from django.db.models.functions import Concat, Lower

from accounts.models import User
from postmortems.exchange.markup import DASH


class People:
    """Names to accounts: display name, full name or username; ambiguous or unknown → None.

    ``load`` looks up every name of the document in a few queries (one per 500 names), so a
    document naming thousands of people costs no more than a handful of queries.
    """

    CHUNK = 500

    def __init__(self):
        self.cache = {}

    def load(self, names) -> None:
        wanted = sorted(
            {n.strip() for n in names if n.strip() and n.strip() != DASH} - set(self.cache)
        )
        for start in range(0, len(wanted), self.CHUNK):
            chunk = wanted[start : start + self.CHUNK]
            lowered = [name.lower() for name in chunk]
            users = list(
                User.objects.filter(is_active=True)
                .annotate(
                    display=Lower("display_name"),
                    login=Lower("username"),
                    full=Concat(Lower("first_name"), Value(" "), Lower("last_name")),
                )
                .filter(Q(display__in=lowered) | Q(login__in=lowered) | Q(full__in=lowered))
            )
            for name in chunk:
                self.cache[name] = self._pick(name, users)

    @staticmethod
    def _pick(name, users):
        low = name.lower()
        matches = [
            u
            for u in users
            if u.display == low
            or u.login == low
            or (" " in name and not u.display_name and u.full == low)
        ][:3]
        exact = [u for u in matches if u.name == name]
        return (exact or matches)[0] if len(exact or matches) == 1 else None

    def find(self, name: str):
        name = name.strip()
        if not name or name == DASH:
            return None
        if name not in self.cache:
            self.load([name])
        return self.cache[name]
