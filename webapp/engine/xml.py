"""Parse BPMN XML with a parser that cannot be turned against the server."""

from __future__ import annotations

from lxml import etree

MAX_BPMN_BYTES = 5 * 1024 * 1024


class UnsafeXmlError(ValueError):
    """The document is not well-formed XML, is too large, or declares a DTD or entities."""


def safe_parser() -> etree.XMLParser:
    """An lxml parser for XML a person uploaded (a BPMN file, the parts of an XLSX file).

    Explicit settings: no DTD, no entity resolution, no network, no huge trees. Library
    defaults have changed between lxml releases and leaked local files; every parse of an
    upload uses this one parser, so a fix here reaches them all."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=True,
    )


def parse_bpmn_xml(content: bytes | str) -> etree._Element:
    """Return the root element of a BPMN document; raise UnsafeXmlError when refused."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    if len(content) > MAX_BPMN_BYTES:
        raise UnsafeXmlError(f"file is larger than {MAX_BPMN_BYTES // (1024 * 1024)} MB")
    if b"<!DOCTYPE" in content.upper() or b"<!ENTITY" in content.upper():
        raise UnsafeXmlError("DTD and entity declarations are not allowed in BPMN files")
    try:
        tree = etree.fromstring(content, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError(f"not well-formed XML: {exc}") from exc
    if tree.getroottree().docinfo.internalDTD is not None:
        raise UnsafeXmlError("DTD declarations are not allowed in BPMN files")
    return tree
