"""Small bar charts rendered on the server as inline SVG (no script, nothing to download)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 12, 28


def bar_chart(
    points: Sequence[tuple[str, float]],
    *,
    label: str,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    css_class: str = "",
) -> Markup:
    """A bar per (day, value), with the maximum on the y axis and a few day labels below."""
    if not points:
        return Markup('<p class="muted">No runs yet.</p>')
    top = max(v for _, v in points) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(points)
    bar_w = max(step * 0.75, 1.0)
    every = max(1, len(points) // 6)
    parts = [
        f'<svg class="chart {escape(css_class)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"/>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end">{escape(fmt(top))}</text>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">{escape(fmt(0))}</text>',
    ]
    for i, (day, value) in enumerate(points):
        h = plot_h * value / top
        x = LEFT + i * step + (step - bar_w) / 2
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}"'
            f' height="{h:.1f}"><title>{escape(day)}: {escape(fmt(value))}</title></rect>'
        )
        if i % every == 0 or i == len(points) - 1:
            parts.append(
                f'<text class="tick" x="{x + bar_w / 2:.1f}" y="{HEIGHT - 8}"'
                f' text-anchor="middle">{escape(day[5:])}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def dollars(value: float) -> str:
    """Dollar amounts on the charts."""
    return f"${value:.2f}"


def count(value: float) -> str:
    """Whole numbers on the charts."""
    return str(round(value))
