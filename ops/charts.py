"""Today's staffing chart on /ops/: SVG points drawn on the server (no script, no build)."""

from __future__ import annotations

from datetime import datetime, timedelta

from workforce.selectors import HalfHourStaffing

HALF_HOUR = timedelta(minutes=30)


def day_staffing_chart(
    *,
    half_hours: list[HalfHourStaffing],
    online_now: int,
    now: datetime,
    width: int = 960,
    height: int = 160,
) -> dict:
    """Step lines of the forecast's required agents and the agents committed to shifts, per
    half hour of today, and a dot for the agents online now at the current half hour."""
    top = max(
        [1, online_now, *(h.required for h in half_hours), *(h.committed for h in half_hours)]
    )
    step = width / max(len(half_hours), 1)

    def y(value: int) -> float:
        return round(height - value * height / top, 1)

    def points(values: list[int]) -> str:
        return " ".join(
            f"{k * step:.1f},{y(v)} {(k + 1) * step:.1f},{y(v)}" for k, v in enumerate(values)
        )

    current = next(
        (k for k, h in enumerate(half_hours) if h.starts_at <= now < h.starts_at + HALF_HOUR),
        None,
    )
    return {
        "width": width,
        "height": height,
        "top": top,
        "required": points([h.required for h in half_hours]),
        "committed": points([h.committed for h in half_hours]),
        "now_x": None if current is None else round((current + 0.5) * step, 1),
        "online_y": y(online_now),
        "online_now": online_now,
        "hours": [
            {"x": round(k * step, 1), "label": f"{half_hours[k].starts_at:%H}"}
            for k in range(0, len(half_hours), 6)
        ],
        "rows": half_hours,
    }
