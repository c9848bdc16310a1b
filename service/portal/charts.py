"""Bar charts as SVG, rendered on the server (no script, no library in the browser).

Each chart is an ``img`` with a title and description; the page shows the same numbers
as a table beside it, which is the text alternative WCAG asks for.
"""

from collections.abc import Sequence
from decimal import Decimal
from html import escape
from typing import Any

WIDTH = 640
BAR_GAP = 6
COLOURS = ("#1d4e89", "#8a3b12", "#2e6b30", "#6a3d9a")  # each ≥ 4.5:1 on white


def _scaled(value: Decimal, top: Decimal, span: int) -> int:
    """Pixels for ``value`` on an axis where ``top`` fills ``span`` (geometry only)."""
    if top <= 0 or value <= 0:
        return 0
    return int((value / top * span).to_integral_value())


def columns(
    title: str, bars: Sequence[tuple[str, Decimal]], *, chart_id: str, height: int = 200
) -> str:
    """Vertical bars (e.g. one per month), labelled under each bar."""
    if not bars:
        return ""
    top = max(v for _, v in bars)
    slot = (WIDTH - 20) // len(bars)
    plot = height - 40
    parts = []
    for i, (label, value) in enumerate(bars):
        h = _scaled(value, top, plot)
        x = 10 + i * slot
        parts.append(
            f'<rect x="{x + BAR_GAP // 2}" y="{10 + plot - h}" width="{slot - BAR_GAP}" '
            f'height="{h}" fill="{COLOURS[0]}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{x + slot // 2}" y="{height - 12}" text-anchor="middle" '
            f'font-size="11">{escape(label)}</text>'
        )
    return _svg(title, chart_id, height, "".join(parts))


def rows(title: str, bars: Sequence[tuple[str, Decimal]], *, chart_id: str) -> str:
    """Horizontal bars (e.g. a split by territory), labelled on the left."""
    if not bars:
        return ""
    top = max(v for _, v in bars)
    line = 24
    height = 10 + line * len(bars)
    parts = []
    for i, (label, value) in enumerate(bars):
        y = 5 + i * line
        w = _scaled(value, top, WIDTH - 230)
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{escape(label[:28])}</text>'
            f'<rect x="220" y="{y + 3}" width="{w}" height="{line - 8}" '
            f'fill="{COLOURS[i % len(COLOURS)]}"><title>{escape(label)}: {value}</title></rect>'
        )
    return _svg(title, chart_id, height, "".join(parts))


def _svg(title: str, chart_id: str, height: int, body: str) -> str:
    return (
        f'<svg role="img" aria-labelledby="{chart_id}-t" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" class="chart">'
        f'<title id="{chart_id}-t">{escape(title)} (the numbers are in the table below)</title>'
        f"{body}</svg>"
    )


def per_currency(title: str, amounts: Sequence[Any], *, chart_id: str, vertical: bool) -> list[str]:
    """One chart per currency (amounts in different currencies never share an axis);
    ``amounts`` carry ``label``, ``currency`` and ``value``."""
    draw = columns if vertical else rows
    return [
        draw(
            f"{title}, {currency}",
            [(a.label, a.value) for a in amounts if a.currency == currency],
            chart_id=f"{chart_id}-{currency}",
        )
        for currency in sorted({a.currency for a in amounts})
    ]
