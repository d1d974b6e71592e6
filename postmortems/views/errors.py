"""Error pages that say what happened: a request too large (400), the database away (503)."""

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.template.defaultfilters import filesizeformat
from django.views import defaults


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


def server_error(request):
    """handler500. When the database is unreachable (restarting, failing over) the answer is
    503 with Retry-After: the outage is temporary and the client may try again. The page
    reads nothing from the database, so it renders while the database is down."""
    exception = sys.exc_info()[1]
    if isinstance(exception, (OperationalError, InterfaceError)):
        response = HttpResponse(
            loader.get_template("503.html").render(), status=503, content_type="text/html"
        )
        response["Retry-After"] = "5"
        return response
    return defaults.server_error(request)
