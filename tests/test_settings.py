"""The settings refuse to start with unsafe or malformed configuration, in one clear line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_it_starts_with_a_secret_key_when_debug_is_off():
    result = run_manage("check", DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 60)
    assert result.returncode == 0, result.stderr


def test_it_explains_a_malformed_database_url():
    result = run_manage("check", DATABASE_URL="mongodb://nowhere/db")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_explains_an_unreachable_database():
    result = run_manage(
        "migrate",
        "--check",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        DATABASE_CONNECT_TIMEOUT="2",
    )
    assert result.returncode != 0
    assert result.stderr.startswith("Cannot use the database:")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_it_refuses_a_boolean_it_cannot_read(value):
    result = run_manage("check", DJANGO_DEBUG=value)
    assert result.returncode != 0
    assert f"DJANGO_DEBUG must be true or false, not '{value}'" in result.stderr


def test_it_is_clean_under_deploy_checks():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-long-random-production-secret-" + "k" * 40,
        DJANGO_ALLOWED_HOSTS="postmortems.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
