"""Shared fixtures: the repository's examples and a free loopback port."""

import pathlib
import socket

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

AUCTION = (EXAMPLES / "auction.mpc").read_text()


def free_port():
    """A port that was free a moment ago (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def auction():
    import mpc

    return mpc.compile(AUCTION)


@pytest.fixture
def port():
    return free_port()
