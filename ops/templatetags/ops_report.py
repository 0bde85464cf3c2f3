from django import template

register = template.Library()


@register.filter
def duration(seconds: int | None) -> str:
    """Whole seconds as people read a wait: "45 s", "4 min 05 s", "1 h 12 min"; "—" for none."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
