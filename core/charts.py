"""What the product's server-drawn SVG charts share (quality.charts, ops.report_charts)."""

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
