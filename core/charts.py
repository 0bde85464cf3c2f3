"""The product's line charts, drawn as SVG on the server (no script, no build step): the
geometry here, the drawing in templates/_line_chart_svg.html (quality.charts,
ops.report_charts)."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def gapped_line(values: Sequence[float | None], xy: Callable[[int, float], str]) -> dict[str, list]:
    """A line through ``values`` (None where there is none) as SVG: the polylines of its runs
    of two or more points, and each point standing alone as a dot. A missing value leaves a
    gap rather than a fall to zero. ``xy`` gives a point's "x,y" from its index and value."""
    runs: list[list[str]] = []
    run: list[str] = []
    for k, value in enumerate(values):
        if value is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(xy(k, value))
    if run:
        runs.append(run)
    return {
        "polylines": [" ".join(r) for r in runs if len(r) > 1],
        "dots": [r[0].split(",") for r in runs if len(r) == 1],
    }


def line_chart(
    *,
    columns: Sequence[str],
    lines: Sequence[tuple[str, str, Sequence[float | None]]],
    top: float,
    y_label: Callable[[float], str],
    label_every: int = 1,
    width: int = 480,
    height: int = 160,
) -> dict:
    """Lines of values by column (x: days, weeks), on a y axis from 0 to ``top``, for
    templates/_line_chart_svg.html. ``lines`` are (label, colour, values); every
    ``label_every``-th column is labelled, counting back from the last. Gridlines at 0, half
    and ``top``, labelled by ``y_label``."""
    step = width / max(len(columns) - 1, 1)

    def xy(k: int, value: float) -> str:
        return f"{k * step:.1f},{height - value * height / top:.1f}"

    return {
        "width": width,
        "height": height,
        "lines": [
            {
                "label": label,
                "colour": colour,
                **gapped_line(values, xy),
                "last": next((v for v in reversed(values) if v is not None), None),
            }
            for label, colour, values in lines
        ],
        "gridlines": [
            {"y": round(height - share * height, 1), "label": y_label(top * share)}
            for share in (0, 0.5, 1)
        ],
        "columns": [
            {"x": round(k * step, 1), "label": label}
            for k, label in enumerate(columns)
            if (len(columns) - 1 - k) % label_every == 0
        ],
    }
