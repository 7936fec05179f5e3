"""The text of one table cell as every reader gives it: blanks collapsed, lines kept.

A grid is what each reader hands the interpreter: the document's tables in order, each a list
of rows, each a list of cell texts ("" for an empty or merged-away cell). Paragraphs outside
tables come as one-cell rows of a table of their own, so the title above the procedure table
is there too.
"""

from __future__ import annotations

import re

from lxml import html as lxml_html

Grid = list[list[str]]
# What a reader writes into a cell holding a drawn flowchart symbol (Word or Excel shapes):
# a mark of the row's lane, a diamond also saying the row decides.
SHAPE_MARK = "□"
DECISION_MARK = "◇"

_BLANKS = re.compile(r"[ \t\r\f\v\u00a0]+")
# A list written on one line, "- a - b", as text exports of bulleted cells come.
_RUN_ON_BULLET = re.compile(r"\s+[-•]\s+(?=\S)")
_BLOCK_TAGS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6")


def clean(text: str | None) -> str:
    """Collapse blanks inside each line, drop empty lines, strip the whole."""
    if not text:
        return ""
    out = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = _BLANKS.sub(" ", line).strip()
        if line:
            out.append(line)
    return "\n".join(out)


def one_line(text: str) -> str:
    """The text on one line (for names, numbers and labels)."""
    return " ".join(text.split())


def bullet_lines(text: str) -> str:
    """Put each '- item' of a run-on list on a line of its own ('- a - b' → '- a\\n- b')."""
    text = clean(text)
    if text[:2] in ("- ", "• ") and "\n" not in text:
        text = _RUN_ON_BULLET.sub(lambda m: "\n" + m.group(0).strip() + " ", text)
    return text


def fragment_text(fragment: str) -> str:
    """The text of an HTML fragment, a line per block element or <br>."""
    if "<" not in fragment:
        return clean(fragment)
    try:
        node = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # noqa: BLE001 - not HTML after all: its text is what the person typed
        return clean(fragment)
    return element_text(node)


def element_text(node: lxml_html.HtmlElement) -> str:
    """The text of an HTML element, a line per block element or <br>."""
    for br in node.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in node.iter(*_BLOCK_TAGS):
        block.tail = "\n" + (block.tail or "")
        if block.tag == "li":
            block.text = "- " + (block.text or "")
    return clean(node.text_content())
