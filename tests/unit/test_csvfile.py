"""Every CSV the product writes makes formula cells plain text (OWASP's CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from statesync.core import csvfile


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
)
def test_a_cell_a_spreadsheet_would_run_is_quoted(cell):
    out = io.StringIO()
    csvfile.Writer(out).writerow(["ok", cell, 5, -5])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["ok", "'" + cell, "5", "-5"]


def test_plain_text_is_left_alone():
    assert csvfile.plain("Lincoln Elementary") == "Lincoln Elementary"
    assert csvfile.plain(42) == 42 and csvfile.plain(None) is None
