"""Listings of the command line: one header, then rows, as an aligned table, CSV or JSON.

Tables are for people reading a terminal; ``--format csv`` and ``--format json`` are for
scripts, with the same columns under the same names.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

Cell = str | int | bool | date | datetime | None


@dataclass(frozen=True)
class Listing:
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    empty: str = "(none)"

    def render(self, fmt: str) -> str:
        if fmt == "json":
            records = [
                {c: _json_value(v) for c, v in zip(self.columns, row, strict=True)}
                for row in self.rows
            ]
            return json.dumps(records, ensure_ascii=False, indent=2)
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(self.columns)
            writer.writerows([[_text(v) for v in row] for row in self.rows])
            return out.getvalue().rstrip("\n")
        return self._table()

    def _table(self) -> str:
        cells = [list(self.columns), *[[_text(v) for v in row] for row in self.rows]]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]
        lines = [
            "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            for row in cells
        ]
        if not self.rows:
            lines.append(self.empty)
        return "\n".join(lines)


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _json_value(value: Cell) -> str | int | bool | None:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
