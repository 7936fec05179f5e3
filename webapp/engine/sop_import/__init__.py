"""Import an SOP document (DOCX, XLSX, PDF, text/HTML) as a reviewed draft diagram.

``read_document(filename, data)`` returns the table (``table.TABLE_SCHEMA``) the owner reviews;
``ImportRefused`` says why a document cannot be imported. The generator (``generate.py``)
turns a reviewed table into a diagram.
"""

from .errors import ImportRefused
from .read import configure, read_document

__all__ = ["ImportRefused", "configure", "read_document"]
