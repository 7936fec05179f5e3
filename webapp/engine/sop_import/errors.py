"""Why a document was not imported: a finding code and its parameters, worded by the views."""

from __future__ import annotations


class ImportRefused(Exception):
    """The document cannot be imported; ``code`` (``import-…``) and ``params`` say why.

    The view layer words the code (webapp/views/findings.py) with what to do about it; the
    message here is for logs only.
    """

    def __init__(self, code: str, **params: str | int | None) -> None:
        super().__init__(f"{code} {params}" if params else code)
        self.code = code
        self.params = params
