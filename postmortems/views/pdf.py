"""The PDF export (``/postmortems/<key>/export.pdf``): made on the server by WeasyPrint.

Only who may read the document gets it (``get_postmortem_for_user``: a restricted document is a
404 to everyone else, before anything is rendered), never kept by a cache. When the PDF cannot
be made (Pango missing on this machine, a document too large or too slow to lay out) the answer
is a 503 page saying why and what to use instead, never a 500.
"""

import logging

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from postmortems import pdf_engine
from postmortems.exchange import pdf
from postmortems.models import Postmortem
from postmortems.views.documents import get_postmortem_for_user
from postmortems.views.exchange import private_download

logger = logging.getLogger(__name__)


@require_safe
def export_pdf(request, key):
    postmortem = get_postmortem_for_user(request.user, key, Postmortem.objects.with_document())
    try:
        document = pdf.document_pdf(postmortem, request.user)
    except pdf_engine.PdfError as refused:
        # The reason is the person's to read; the key and the kind go to the operators' log.
        logger.warning("No PDF of %s: %s", postmortem.key, type(refused).__name__)
        response = render(
            request,
            "postmortems/pdf_unavailable.html",
            {
                "postmortem": postmortem,
                "reason": str(refused),
                "missing": isinstance(refused, pdf_engine.Unavailable),
            },
            status=503,
        )
        response["Cache-Control"] = "private, no-store"
        return response
    return private_download(
        HttpResponse(document, content_type="application/pdf"), f"{postmortem.key}.pdf"
    )
