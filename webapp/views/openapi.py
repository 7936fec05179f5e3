"""The OpenAPI 3 document of /api/v1 (filled in below)."""


def openapi_document() -> dict:
    return {"openapi": "3.1.0", "info": {"title": "sopflow", "version": "1"}, "paths": {}}
