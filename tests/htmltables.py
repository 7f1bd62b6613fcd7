"""Read back the tables the display layer writes (``toolkit.display.table_html``)."""

from __future__ import annotations

import html
import re


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def header(markup: str) -> list[str]:
    """The column headings of the first table in ``markup``."""
    head = re.search(r"<thead>(.*?)</thead>", markup, re.S).group(1)
    return [_text(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]


def rows(markup: str) -> list[list[str]]:
    """The body cells of the first table in ``markup``, as shown (row by row)."""
    body = re.search(r"<tbody>(.*?)</tbody>", markup, re.S).group(1)
    return [[_text(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
            for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
