"""`statesync demo` refuses a busy port before anything starts or a password is printed."""

from __future__ import annotations

import socket

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_a_busy_port_is_reported_before_anything_starts(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=f"port {port} on 127.0.0.1 is in use"):
            call_command("demo", "--port", str(port))
    assert "password" not in capsys.readouterr().out
    assert not get_user_model().objects.exists()  # no users made, nothing seeded


def test_the_demo_district_has_one_name_in_both_editions(seeded, monkeypatch, tmp_path):
    from statesync.district.models import dis_model
    from statesync.state.models import District
    from statesync.web.management.commands.demo import Command

    seeded("small")
    monkeypatch.setattr("statesync.config.connection_file", lambda: tmp_path / "dis.json")
    Command()._connect_to_state("http://127.0.0.1:8000")
    own = dis_model("District").objects.get().name
    assert District.objects.get(number="0001").name == own
