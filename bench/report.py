"""Tables: printed, kept per profile in var/bench/results-<profile>.json, and written into
docs/performance.md between markers, so the hand-written analysis around them survives a run
and a run of one part replaces only that part's table."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.stack import ROOT, VAR, Profile

DOC = ROOT / "docs" / "performance.md"
PART_ORDER = ["relay", "dispatch", "fanout", "payouts", "load", "assistant"]


@dataclass
class Part:
    key: str
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    stacks: set[str] = field(default_factory=set)
    data: dict = field(default_factory=dict)  # raw numbers, kept in the JSON only
    ran_at: str = ""
    skipped: str = ""

    def markdown(self) -> str:
        lines = [f"### {self.title}", ""]
        stamp = f"Run {self.ran_at}"
        if self.stacks:
            stamp += " on " + "; ".join(sorted(self.stacks))
        lines += [stamp + ".", ""]
        if self.skipped:
            lines += [f"Skipped: {self.skipped}", ""]
        if self.rows:
            lines.append("| " + " | ".join(self.columns) + " |")
            lines.append("|" + "|".join(" --- " for _ in self.columns) + "|")
            lines += ["| " + " | ".join(row) + " |" for row in self.rows]
            lines.append("")
        lines += [f"* {note}" for note in self.notes]
        lines += [f"* **Missed:** {miss}" for miss in self.misses]
        return "\n".join(lines).rstrip() + "\n"


def fmt_ms(seconds: float) -> str:
    if seconds is None or math.isnan(seconds):
        return "—"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_rate(per_second: float) -> str:
    return f"{per_second:,.0f}" if per_second >= 10 else f"{per_second:.1f}"


def fmt_ratio(ratio: float) -> str:
    return "—" if ratio is None or math.isnan(ratio) else f"{ratio:.2f}×"


def fmt_pct(share: float) -> str:
    return "—" if share is None or math.isnan(share) else f"{100 * share:.1f} %"


# --- Machine and versions ----------------------------------------------------------------


def _first_line(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{memory_kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        memory = "?"
    return {
        "os": f"{platform.system()} {platform.release()}",
        "cpu": f"{cpu}, {os.cpu_count()} logical cores",
        "memory": memory,
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def versions(profile: Profile) -> dict[str, str]:
    found = {"Python": platform.python_version()}
    for package in ("Django", "channels", "channels-redis", "uvicorn", "websockets", "celery"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "?"
    if profile.name == "production":
        found["PostgreSQL"] = _first_line(["psql", "--version"])
    else:
        import sqlite3

        found["SQLite"] = sqlite3.sqlite_version
    if profile.redis_url:
        found["Redis"] = _first_line(["redis-server", "--version"])
    return found


# --- Persistence and rendering -------------------------------------------------------------


def _results_path(profile: Profile) -> Path:
    return VAR / f"results-{profile.name}.json"


def save(profile: Profile, parts: list[Part], command: str) -> dict:
    VAR.mkdir(parents=True, exist_ok=True)
    path = _results_path(profile)
    stored = json.loads(path.read_text()) if path.exists() else {"parts": {}}
    for part in parts:
        data = asdict(part)
        data["stacks"] = sorted(part.stacks)
        stored["parts"][part.key] = data
    stored.update(
        profile=profile.name,
        command=command,
        machine=machine(),
        versions=versions(profile),
        written_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    path.write_text(json.dumps(stored, indent=1, default=str))
    return stored


def render(stored: dict) -> str:
    profile = stored["profile"]
    lines = [
        f"## Results: {profile} profile",
        "",
        f"Written {stored['written_at']} by `{stored['command']}`.",
        "",
        "| machine | |",
        "| --- | --- |",
    ]
    lines += [f"| {k} | {v} |" for k, v in stored["machine"].items()]
    lines += ["", "| versions | |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in stored["versions"].items()]
    lines.append("")
    for key in PART_ORDER:
        if key in stored["parts"]:
            data = dict(stored["parts"][key])
            data["stacks"] = set(data.get("stacks", []))
            lines.append(Part(**data).markdown())
    return "\n".join(lines)


def write_doc(stored: dict) -> None:
    profile = stored["profile"]
    begin, end = f"<!-- bench:{profile}:begin -->", f"<!-- bench:{profile}:end -->"
    block = f"{begin}\n{render(stored)}\n{end}"
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text)
