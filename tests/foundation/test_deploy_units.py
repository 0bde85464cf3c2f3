"""The systemd units in deploy/ (docs/operations.md) run roles and commands that exist."""

import shlex
from pathlib import Path

import pytest
from django.core.management import get_commands

from marketplace import supervisor

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
APP = "/srv/humanline/app"


def service_values(name: str, key: str) -> list[str]:
    """The values of ``key`` in the unit's [Service] section, in order (systemd repeats keys
    such as ExecStart= and Environment=, which configparser cannot read)."""
    section, values = None, []
    for line in (UNITS / name).read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line.startswith(f"{key}="):
            values.append(line.split("=", 1)[1])
    return values


def service_value(name: str, key: str) -> str:
    (value,) = service_values(name, key)
    return value


ROLE_UNITS = ["humanline-web.service", "humanline-worker.service", "humanline-beat.service"]


@pytest.mark.parametrize("name", ROLE_UNITS)
def test_each_role_unit_runs_the_supervisor_on_a_procfile_role(name):
    environment = dict(value.split("=", 1) for value in service_values(name, "Environment"))
    commands = supervisor.read_procfile(supervisor.PROCFILE)

    assert service_value(name, "ExecStart") == f"{APP}/.venv/bin/python -m marketplace.supervisor"
    assert list(supervisor.select_processes(commands, environment["PROCESSES"]))
    assert service_value(name, "EnvironmentFile") == "/etc/humanline.env"
    assert service_value(name, "Restart") == "always"


@pytest.mark.parametrize("name", [*ROLE_UNITS, "humanline-release.service"])
def test_every_management_command_a_unit_runs_exists(name):
    commands = service_values(name, "ExecStart") + service_values(name, "ExecStartPre")
    managed = [shlex.split(command)[2] for command in commands if " manage.py " in command]

    assert set(managed) <= set(get_commands())


def test_the_release_unit_migrates_then_prepares_the_assistant():
    name = "humanline-release.service"
    managed = [
        shlex.split(command)[2]
        for command in service_values(name, "ExecStart")
        if " manage.py " in command
    ]

    assert service_value(name, "Type") == "oneshot"
    assert managed == ["migrate", "prepare_assistant"]


def test_the_target_wants_every_role_unit():
    target = (UNITS / "humanline.target").read_text()
    wants = next(line for line in target.splitlines() if line.startswith("Wants="))

    assert sorted(wants.removeprefix("Wants=").split()) == sorted(ROLE_UNITS)
