"""Import an SOP document (DOCX, XLSX, PDF, text/HTML) as a reviewed draft diagram."""
