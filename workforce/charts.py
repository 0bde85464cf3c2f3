"""Charts of staffing, drawn as SVG points on the server (no script, no build step)."""

from __future__ import annotations

from workforce.selectors import WeekStaffing


def week_staffing_chart(*, staffing: WeekStaffing, width: int = 1008, height: int = 200) -> dict:
    """Polyline points for a server-rendered SVG: required (Erlang C and Erlang A) and
    committed agents per half hour (x: the 336 half hours, y: agents), plus day gridlines."""
    top = max(
        [
            1,
            *(h.required for h in staffing.half_hours),
            *(h.erlang_a for h in staffing.half_hours),
            *(h.committed for h in staffing.half_hours),
        ]
    )
    step = width / max(len(staffing.half_hours), 1)

    def points(values: list[int]) -> str:
        # A step line: each half hour is a flat segment at its value.
        coords = []
        for k, value in enumerate(values):
            y = height - value * height / top
            coords.append(f"{k * step:.1f},{y:.1f} {(k + 1) * step:.1f},{y:.1f}")
        return " ".join(coords)

    return {
        "width": width,
        "height": height,
        "top": top,
        "required": points([h.required for h in staffing.half_hours]),
        "erlang_a": points([h.erlang_a for h in staffing.half_hours]),
        "committed": points([h.committed for h in staffing.half_hours]),
        "days": [
            {
                "x": round(day * 48 * step, 1),
                "label": f"{staffing.half_hours[day * 48].starts_at:%a}",
            }
            for day in range(7)
            if staffing.half_hours
        ],
    }
