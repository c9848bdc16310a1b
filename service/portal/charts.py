"""Bar charts as SVG, rendered on the server (no script, no library in the browser).

One chart per currency (amounts in different currencies never share an axis), each
labelled with its currency and shown with the same numbers as a table beside it (the
text alternative WCAG asks for). Bars run horizontally so that a label, its bar and its
value fit a phone's width; the drawing is 360 units wide and the page never shows it
wider than 24rem, so 12-unit text stays at 11-16 px from a 390 px phone to a desktop.
Every bar has its value printed at its end and a non-zero value is never drawn thinner
than ``MIN_BAR``, so two large months cannot flatten ten small ones into nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Any

from babel.numbers import format_decimal

from service.portal.money import LOCALE, money

WIDTH = 360
LABEL = 92  # where the bars start; labels are written left of it
PLOT = 172  # the bars' full length: the rest of the width holds the printed values
ROW = 24
FONT = 12
MIN_BAR = 2
COLOURS = ("#1d4e89", "#8a3b12", "#2e6b30", "#6a3d9a")  # each ≥ 4.5:1 on white


@dataclass(frozen=True, slots=True)
class Chart:
    currency: str
    title: str
    svg: str
    amounts: list[Any]  # what the table beside the chart lists


def nice_top(value: Decimal) -> Decimal:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (the axis end)."""
    if value <= 0:
        return Decimal(1)
    power = Decimal(1).scaleb(value.adjusted())
    for step in (1, 2, 5, 10):
        if value <= power * step:
            return power * step
    raise AssertionError("unreachable")


def _length(value: Decimal, top: Decimal) -> int:
    """Pixels for ``value`` on an axis where ``top`` fills ``PLOT`` (geometry only)."""
    if value <= 0:
        return 0
    return max(MIN_BAR, int((value / top * PLOT).to_integral_value()))


def _tick(value: Decimal) -> str:
    return str(format_decimal(value.normalize(), format="#,##0.##", locale=LOCALE))


def _axis(top: Decimal, y: int, currency: str) -> str:
    parts = [f'<line x1="{LABEL}" y1="{y}" x2="{LABEL + PLOT}" y2="{y}" stroke="#4a4a4a"/>']
    for fraction, anchor in ((Decimal(0), "start"), (Decimal("0.5"), "middle"), (1, "end")):
        x = LABEL + int(PLOT * fraction)
        parts.append(
            f'<line x1="{x}" y1="{y}" x2="{x}" y2="{y + 4}" stroke="#4a4a4a"/>'
            f'<text x="{x}" y="{y + 17}" text-anchor="{anchor}" font-size="{FONT}">'
            f"{_tick(top * fraction)}</text>"
        )
    parts.append(
        f'<text x="{LABEL + PLOT // 2}" y="{y + 33}" text-anchor="middle" '
        f'font-size="{FONT}">Royalty ({escape(currency)})</text>'
    )
    return "".join(parts)


def bars(title: str, values: Sequence[tuple[str, Decimal]], *, currency: str, chart_id: str) -> str:
    """One horizontal bar per label, its value printed at its end, an axis underneath."""
    if not values:
        return ""
    top = nice_top(max(v for _, v in values))
    parts = []
    for i, (label, value) in enumerate(values):
        y = i * ROW
        length = _length(value, top)
        shown = money(value, currency)
        bare = money(value, currency, code=False)
        parts.append(
            f'<text x="{LABEL - 6}" y="{y + 16}" text-anchor="end" font-size="{FONT}">'
            f"{escape(label[:13])}</text>"
            f'<rect x="{LABEL}" y="{y + 4}" width="{length}" height="{ROW - 8}" '
            f'fill="{COLOURS[0]}"><title>{escape(label)}: {shown}</title></rect>'
            f'<text x="{LABEL + length + 4}" y="{y + 16}" font-size="{FONT}">'
            f"{escape(bare)}</text>"
        )
    height = ROW * len(values) + 40
    parts.append(_axis(top, ROW * len(values) + 2, currency))
    return _svg(title, chart_id, height, "".join(parts))


def _svg(title: str, chart_id: str, height: int, body: str) -> str:
    return (
        f'<svg role="img" aria-labelledby="{chart_id}-t" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" class="chart">'
        f'<title id="{chart_id}-t">{escape(title)} (the numbers are in the table beside it)'
        f"</title>{body}</svg>"
    )


def per_currency(title: str, amounts: Sequence[Any], *, chart_id: str) -> list[Chart]:
    """One chart per currency; ``amounts`` carry ``label``, ``currency`` and ``value``."""
    charts = []
    for currency in sorted({a.currency for a in amounts}):
        mine = [a for a in amounts if a.currency == currency]
        named = f"{title}, {currency}"
        svg = bars(
            named,
            [(a.label, a.value) for a in mine],
            currency=currency,
            chart_id=f"{chart_id}-{currency}",
        )
        charts.append(Chart(currency, named, svg, mine))
    return charts


SIDES = ("Books", "Scenario")


def paired(
    title: str,
    values: Sequence[tuple[str, Decimal, Decimal]],
    *,
    currency: str,
    chart_id: str,
) -> str:
    """Two bars per label, side by side: the books (first colour) and a scenario (second),
    each with its value printed at its end, a legend above and an axis underneath."""
    if not values:
        return ""
    top = nice_top(max(max(b, s) for _, b, s in values))
    legend = "".join(
        f'<rect x="{LABEL + i * 90}" y="4" width="12" height="12" fill="{COLOURS[i]}"/>'
        f'<text x="{LABEL + i * 90 + 16}" y="15" font-size="{FONT}">{side}</text>'
        for i, side in enumerate(SIDES)
    )
    parts = [legend]
    pair = 2 * (ROW - 6) + 8
    for i, (label, books, scenario) in enumerate(values):
        y = 24 + i * pair
        parts.append(
            f'<text x="{LABEL - 6}" y="{y + ROW - 4}" text-anchor="end" font-size="{FONT}">'
            f"{escape(label[:13])}</text>"
        )
        for j, value in enumerate((books, scenario)):
            top_y = y + j * (ROW - 6)
            length = _length(value, top)
            parts.append(
                f'<rect x="{LABEL}" y="{top_y + 2}" width="{length}" height="{ROW - 10}" '
                f'fill="{COLOURS[j]}"><title>{escape(label)}, {SIDES[j].lower()}: '
                f"{money(value, currency)}</title></rect>"
                f'<text x="{LABEL + length + 4}" y="{top_y + 13}" font-size="{FONT - 1}">'
                f"{escape(money(value, currency, code=False))}</text>"
            )
    bottom = 24 + pair * len(values)
    parts.append(_axis(top, bottom + 2, currency))
    return _svg(title, chart_id, bottom + 40, "".join(parts))
