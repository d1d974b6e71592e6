class TransitionError(Exception):
    """A workflow step was refused; ``str(error)`` is written for the person who tried it."""


class ContentChanged(TransitionError):
    """The document changed after the signer was shown it: nothing was signed."""

    def __init__(self, message: str, *, seen_revision: int | None):
        super().__init__(message)
        self.seen_revision = seen_revision
