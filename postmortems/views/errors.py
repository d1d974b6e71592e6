"""The 400 page: say what was wrong with the request instead of a bare "Bad Request"."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat


def bad_request(request, exception=None):
    """handler400. A form post over DATA_UPLOAD_MAX_MEMORY_SIZE (pasting a huge document, say)
    gets a page saying so and how to go on; anything else a plain explanation."""
    too_big = isinstance(exception, RequestDataTooBig)
    return render(
        request,
        "400.html",
        {
            "too_big": too_big,
            "limit": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
            "from_import": request.path.rstrip("/").endswith("/import"),
        },
        status=400,
    )
