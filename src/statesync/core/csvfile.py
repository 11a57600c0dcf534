"""CSV as the product writes it (reports, exports, the command line): RFC 4180 by Python's csv
module, with every text cell that a spreadsheet would run as a formula made plain text.

A cell starting with = + - @ (or a tab or carriage return before one) is a formula to Excel,
LibreOffice and Google Sheets, so a value a district sent ("=HYPERLINK(...)") would run on the
machine of whoever opens the state's report. OWASP's advice: prefix such a cell with a quote.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def plain(value: Any) -> Any:
    """`value` as a cell no spreadsheet runs: text that would start a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class Writer:
    """csv.writer, with each cell made plain first."""

    def __init__(self, stream: Any, **options: Any):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([plain(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _Echo:
    """A file that hands back what is written: each row becomes a piece of the response."""

    def write(self, value: str) -> str:
        return value


def streaming_response(
    stem: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """A CSV download streamed row by row (no row limit, flat memory), named stem-TIME.csv."""
    writer = Writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.csv"'
    return response
