"""OFX markup to an element tree that knows the line of every element.

``ofxtools`` reads OFX 1.x SGML (data elements without end tags) and OFX 2.x XML with one
regex-driven :class:`ofxtools.Parser.TreeBuilder`; this module feeds it, records the line of
each tag, checks the nesting itself (so a mismatched or missing end tag is a
:class:`~toolkit.errors.FormatError` with a line, not an ``AssertionError``), refuses text
between tags that is not OFX markup, and refuses ``<!DOCTYPE``/``<!ENTITY`` before anything is
parsed. The OFX header is checked with ``ofxtools.header``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XMLParseError
from xml.sax.saxutils import unescape

import numpy as np
from ofxtools.header import XML_REGEX, OFXHeaderError, OFXHeaderV1, OFXHeaderV2
from ofxtools.Parser import ParseError, TreeBuilder

from toolkit.errors import FormatError

_DANGER = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)
#: Markup the OFX tag pattern does not read but that is harmless: comments, processing
#: instructions (``<?xml-stylesheet ...?>``) and whitespace.
_IGNORABLE = re.compile(r"(?:<!--.*?-->|<\?.*?\?>|\s)*", re.S)
#: An XML empty-element tag (``<BANKID/>``), which the OFX tag pattern does not read.
_EMPTY_ELEMENT = re.compile(r"<([A-Z0-9._]+)[ \t]*/>")
_ENTITIES = {"&quot;": '"', "&apos;": "'", "&nbsp;": " "}


class _Builder(TreeBuilder):
    """ofxtools' tree builder, fed through :class:`_Tracker`."""

    def __init__(self, path: str, body: str, first_line: int, *, xml: bool = False) -> None:
        super().__init__()
        self.path = path
        self.body = body
        self.first_line = first_line
        self.xml = xml  # OFX 2: every element has its end tag
        self.regex = _Tracker(self)  # ofxtools' feed() iterates self.regex.finditer

    def line_at(self, pos: int) -> int:
        return self.first_line + self.body.count("\n", 0, pos)

    def error(self, message: str, pos: int) -> FormatError:
        return FormatError(message, path=self.path, line=self.line_at(pos))


class _Tracker:
    """Stands in for ``TreeBuilder.regex``: yields its matches to ofxtools' ``feed`` while
    recording where each start tag is, checking that every end tag closes the open
    aggregate, and refusing text between tags that is not OFX markup.

    ofxtools' rule for a start tag: with a value (or CDATA) it is a data element, closed at
    once; followed directly by its own end tag it is an empty aggregate; otherwise it opens
    an aggregate. The same rule is applied here to keep the stack of open aggregates.

    An end tag that closes other open elements on its way is allowed only in OFX 1 (SGML)
    and only for elements that hold nothing (``<MEMO>`` without a value): an aggregate left
    open (an unclosed ``<BUYSTOCK>``) would swallow the transactions after it, so it is a
    FormatError naming its line, as is any unclosed element in OFX 2 (XML).
    """

    def __init__(self, builder: _Builder) -> None:
        self.b = builder
        self.starts: list[int] = []  # offset of every start tag, in document order
        self.stack: list[list] = []  # open aggregates: [tag, offset, has children]
        self.implicit: list[str] = []
        self.pos = 0

    def _gap(self, data: str, start: int, end: int, *, last: bool) -> None:
        gap = data[start:end]
        if _IGNORABLE.fullmatch(gap):
            return
        at = start + len(gap) - len(gap.lstrip())
        bad = gap.strip()
        if last:
            raise self.b.error(f"the file ends in the middle of a tag ({bad[:40]!r}); it looks "
                               "truncated", at)
        raise self.b.error(f"unreadable OFX markup {bad[:40]!r} (tags must be upper-case "
                           "<NAME>, values plain text)", at)

    def _close(self, tag: str, pos: int) -> None:
        stack = self.stack
        if not any(entry[0] == tag for entry in stack):
            if not stack:
                raise self.b.error(f"closing tag </{tag}> has no opening tag", pos)
            open_tag, opened, _ = stack[-1]
            raise self.b.error(f"closing tag </{tag}> does not match the open <{open_tag}> "
                               f"(opened on line {self.b.line_at(opened)})", pos)
        # SGML: an element left open without a value is closed by the enclosing end tag
        while stack[-1][0] != tag:
            t, opened, children = stack.pop()
            if self.b.xml or children:
                what = "OFX 2 (XML) needs every end tag" if self.b.xml else \
                    "it holds other elements, which would be read as part of it"
                raise self.b.error(f"<{t}> is never closed (</{t}> missing before </{tag}> "
                                   f"on line {self.b.line_at(pos)}; {what})", opened)
            self.implicit.append(f"<{t}> on line {self.b.line_at(opened)}")
            TreeBuilder.end(self.b, t)

    def finditer(self, data: str):
        stack, starts = self.stack, self.starts
        last = 0
        for m in TreeBuilder.regex.finditer(data):
            pos = m.start()
            if pos != last:
                self._gap(data, last, pos, last=False)
            self.pos = pos
            tag = m.group("tag")
            if tag[0] == "/":
                if not stack or stack[-1][0] != tag[1:]:
                    self._close(tag[1:], pos)
                stack.pop()
            else:
                starts.append(pos)
                if stack:
                    stack[-1][2] = True
                value = m.group("text")
                if not (m.group("cdata") or m.group("closetag") or (value and value.strip())):
                    stack.append([tag, pos, False])
            yield m
            last = m.end()
        if last < len(data):
            self._gap(data, last, len(data), last=True)
        if stack:
            tag, opened, _ = stack[-1]
            raise self.b.error(f"the file ends inside <{tag}> (opened on line "
                               f"{self.b.line_at(opened)}); it looks truncated", len(data))


@dataclass
class Doc:
    """A parsed OFX file: the root, where each element starts (offset in ``body``, line in
    the file) and the body text."""

    root: Element
    where: dict[Element, tuple[int, int]]
    body: str
    notes: list[str] = field(default_factory=list)
    stray: list[tuple[int, str, str]] = field(default_factory=list)  # line, tag, account

    def line(self, elem: Element) -> int:
        """1-based line of the element's start tag."""
        return self.where[elem][1]

    def raw(self, elem: Element) -> str:
        """The aggregate's markup on one line (for the skipped report)."""
        start = self.where[elem][0]
        close = self.body.find(f"</{elem.tag}>", start)
        end = close + len(elem.tag) + 3 if close >= 0 else start + 400
        return re.sub(r"\s+", " ", re.sub(r"\s+<", "<", self.body[start:end]))[:400]


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _header_line(text: str) -> int:
    at = text.upper().find("<?OFX")
    if at < 0:
        at = text.find("OFXHEADER")
    return text.count("\n", 0, max(at, 0)) + 1


def parse(path: Path, data: bytes) -> Doc:
    """Parse OFX bytes into an element tree with the line of every element."""
    name = path.name
    danger = _DANGER.search(data)
    if danger:
        line = data.count(b"\n", 0, danger.start()) + 1
        raise FormatError("the file declares a DOCTYPE or ENTITY; OFX files have none, and "
                          "entity declarations are refused (they can expand without bound)",
                          path=name, line=line)
    text = decode(data)
    notes: list[str] = []
    lead = text.lstrip()
    xml = bool(XML_REGEX.match(lead))
    try:
        if xml:
            if "<?OFX" in text[:4096].upper():
                _, end = OFXHeaderV2.parse(text)
            else:
                end = text.find("<OFX>")
                notes.append("XML file without an <?OFX ...?> header; read from <OFX>")
        elif lead.startswith("OFXHEADER"):
            lt = text.find("<")
            _, end = OFXHeaderV1.parse(text[:lt] if lt >= 0 else text)
            if lt < 0:
                end = -2
        else:
            end = text.find("<OFX>")
            notes.append("no OFX header; read from <OFX>")
    except (OFXHeaderError, ValueError) as exc:
        msg = (str(exc).splitlines() or [type(exc).__name__])[0].rstrip(": ")
        raise FormatError(f"malformed OFX header ({msg}); expected OFXHEADER:100 ... "
                          "NEWFILEUID:NONE (OFX 1) or <?OFX OFXHEADER=\"200\" VERSION=\"2xx\" "
                          "... ?> (OFX 2)", path=name, line=_header_line(text)) from exc
    if end == -2:
        raise FormatError("OFX header without a body (no <OFX>); the file looks truncated",
                          path=name, line=text.count("\n") + 1)
    if end < 0:
        raise FormatError("no <OFX> element found", path=name, line=1)
    # <TAG/> is <TAG></TAG> (an element without a value); no newline is added or removed
    body = _EMPTY_ELEMENT.sub(r"<\1></\1>", text[end:])
    builder = _Builder(name, body, text.count("\n", 0, end) + 1, xml=xml)
    tracker = builder.regex
    try:
        builder.feed(body)
        root = builder.close()
    except (ParseError, XMLParseError) as exc:
        msg = re.sub(r"\s*-\s*position=\[\d+:\d+\]$", "", str(exc.args[0]))
        raise builder.error(f"malformed OFX markup: {msg[:200]}", tracker.pos) from exc
    if root is None or root.tag != "OFX":
        raise FormatError("the markup has no <OFX> root element", path=name, line=1)
    if tracker.implicit:
        shown = ", ".join(tracker.implicit[:5])
        more = f" and {len(tracker.implicit) - 5} more" if len(tracker.implicit) > 5 else ""
        notes.append(f"empty SGML element(s) closed at the enclosing end tag: {shown}{more}")
    starts = np.asarray(tracker.starts, dtype=np.int64)
    newlines = np.flatnonzero(np.frombuffer(body.encode("utf-32-le"), dtype="<u4") == 10)
    lines = (builder.first_line + np.searchsorted(newlines, starts)).tolist()
    where = dict(zip(root.iter(), zip(tracker.starts, lines, strict=True), strict=True))
    return Doc(root, where, body, notes)


def text(value: str | None) -> str | None:
    """A data element's value: stripped, entities (``&amp;``) replaced, empty as None."""
    if value is None:
        return None
    value = value.strip()
    if "&" in value:
        value = unescape(value, _ENTITIES)
    return value or None


def leaves(elem: Element) -> dict[str, Element]:
    """Data elements under ``elem`` by tag (the first of each tag)."""
    out: dict[str, Element] = {}
    for e in elem.iter():
        if e is not elem and e.text is not None and len(e) == 0:
            out.setdefault(e.tag, e)
    return out
