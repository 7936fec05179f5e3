"""webapp.engine.xml: the BPMN parser cannot be turned against the server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from webapp.engine.spec import DiagramError, parse_process
from webapp.engine.xml import MAX_BPMN_BYTES, UnsafeXmlError, parse_bpmn_xml

from .helpers import SOP_BPMN, SOP_ID

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
PASSWD = Path("/etc/passwd")

_BODY = (
    f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="Definitions_x" targetNamespace="x">'
    '<bpmn:process id="p" isExecutable="true">'
    "<bpmn:documentation>&xxe;</bpmn:documentation>"
    '<bpmn:startEvent id="StartEvent_x"/>'
    "</bpmn:process></bpmn:definitions>"
)
XXE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + _BODY
)
XXE_PARAMETER = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE d [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>\n'
    + _BODY.replace("&xxe;", "")
)
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">\n' for i in range(1, 10)
    )
    + "]>\n<lolz>&lol9;</lolz>"
)


def _chain(exc: BaseException) -> list[BaseException]:
    chain = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def _passwd_lines() -> list[str]:
    if not PASSWD.is_file():
        return ["root:x:0:0:"]
    return [line for line in PASSWD.read_text().splitlines() if line.strip()]


def _assert_no_passwd(exc: BaseException) -> None:
    lines = _passwd_lines()
    for e in _chain(exc):
        text = " ".join([str(e), repr(e), *map(str, e.args)])
        findings = getattr(e, "findings", None)
        if findings:
            text += repr(findings)
        assert "root:" not in text
        assert not any(line in text for line in lines)


@pytest.mark.parametrize(
    ("content",),
    [
        (XXE.encode(),),
        (XXE,),
        (XXE_PARAMETER.encode(),),
        (XXE.replace("<!DOCTYPE", "<!doctype").encode(),),
        (XXE.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"),),
    ],
    ids=["bytes", "str", "parameter-entity", "lowercase-doctype", "utf-16"],
)
def test_external_entity_is_refused_and_leaks_nothing(content):
    with pytest.raises(UnsafeXmlError) as info:
        parse_bpmn_xml(content)

    _assert_no_passwd(info.value)


def test_external_entity_through_parse_process_is_a_diagram_error_that_leaks_nothing():
    with pytest.raises(DiagramError) as info:
        parse_process(XXE.encode(), "p")

    _assert_no_passwd(info.value)


@pytest.mark.parametrize(
    "content",
    [LAUGHS.encode(), LAUGHS.replace('"1.0"?>', '"1.0" encoding="UTF-16"?>').encode("utf-16")],
    ids=["utf-8", "utf-16"],
)
def test_billion_laughs_is_refused(content):
    started = time.monotonic()
    with pytest.raises(UnsafeXmlError):
        parse_bpmn_xml(content)

    assert time.monotonic() - started < 2, "refused, but only after expanding the entities"


@pytest.mark.parametrize(
    "content",
    [
        b"<bpmn:definitions><unclosed></bpmn:definitions>",
        b"<a><b></a>",
        b"not xml",
        b"",
        b"<a>&undefined;</a>",
        SOP_BPMN.read_bytes()[:-40],
    ],
    ids=["mismatched-tags", "unclosed", "text", "empty", "undefined-entity", "truncated"],
)
def test_malformed_xml_is_refused(content):
    with pytest.raises(UnsafeXmlError):
        parse_bpmn_xml(content)


def _padded(size: int) -> bytes:
    head, tail = b"<a><!-- ", b" --></a>"
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_file_larger_than_5_mb_is_refused():
    assert MAX_BPMN_BYTES == 5 * 1024 * 1024
    content = _padded(MAX_BPMN_BYTES + 1)

    with pytest.raises(UnsafeXmlError, match="5 MB"):
        parse_bpmn_xml(content)


def test_file_of_exactly_5_mb_is_accepted():
    content = _padded(MAX_BPMN_BYTES)
    assert len(content) == MAX_BPMN_BYTES

    assert parse_bpmn_xml(content).tag == "a"


def test_sop_diagram_is_accepted():
    root = parse_bpmn_xml(SOP_BPMN.read_bytes())

    assert root.tag == f"{{{BPMN_NS}}}definitions"
    assert root.find(f"{{{BPMN_NS}}}process").get("id") == SOP_ID


def test_sop_diagram_is_accepted_as_text():
    root = parse_bpmn_xml(SOP_BPMN.read_text(encoding="utf-8"))

    assert root.find(f"{{{BPMN_NS}}}process").get("id") == SOP_ID


def test_every_upload_parse_builds_its_parser_in_one_place():
    """Only webapp/engine/xml.py makes an lxml XMLParser (BPMN files and the parts of XLSX files
    alike use its safe_parser): a parser made elsewhere starts from lxml's defaults again."""
    root = Path(__file__).resolve().parents[2]
    makers = sorted(
        path.relative_to(root).as_posix()
        for folder in ("webapp", "service_tasks")
        for path in (root / folder).rglob("*.py")
        if "XMLParser(" in path.read_text(encoding="utf-8")
    )
    assert makers == ["webapp/engine/xml.py"]


def test_the_safe_parser_resolves_no_external_entity(tmp_path):
    """Even given a document that declares one (parse_bpmn_xml refuses those before parsing;
    the XLSX reader's guard does too), the parser itself reads no file."""
    from lxml import etree

    from webapp.engine.xml import safe_parser

    secret = tmp_path / "rahasia.txt"
    secret.write_text("RAHASIA-KANTOR")
    document = f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r>&x;</r>'.encode()
    parsed = etree.fromstring(document, parser=safe_parser())
    assert b"RAHASIA" not in etree.tostring(parsed)
