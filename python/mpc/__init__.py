"""Secure two-party computation: compile ``.mpc`` programs and run them between two
parties with Yao's garbled circuits (free-XOR, half-gates, fixed-key AES, IKNP OT
extension), semi-honest security at kappa = 128; plus Shamir sharing, Paillier
encryption and ECDH private set intersection.

    >>> import mpc
    >>> p = mpc.compile(open("examples/auction.mpc").read())   # doctest: +SKIP
    >>> p.local({"a": 100, "b": 150})                           # doctest: +SKIP
    {'alice_wins': False, 'price': 100}

Every error is an ``mpc.Error`` (``CompileError``, ``LoadError``, ``InputError``,
``ProtocolError``/``ChannelError``, ``ShamirError``, ``PaillierError``, ``PsiError``).
``Program.run`` and ``psi.intersect`` talk plain TCP unless given the TLS files
(``tls_cert``, ``tls_key``, ``peer_cert``): over a real network, use TLS.
"""

import sys as _sys

from ._mpc import (  # noqa: F401
    ChannelError,
    CompileError,
    Error,
    InputError,
    LoadError,
    PaillierError,
    Program,
    ProtocolError,
    PsiError,
    ShamirError,
    __version__,
    compile,
    load,
    paillier,
    psi,
    shamir,
)

# `import mpc.shamir` and `from mpc.psi import intersect` work like for any package.
for _m in (shamir, paillier, psi):
    _sys.modules[__name__ + "." + _m.__name__] = _m
del _m

__all__ = [
    "ChannelError",
    "CompileError",
    "Error",
    "InputError",
    "LoadError",
    "PaillierError",
    "Program",
    "ProtocolError",
    "PsiError",
    "ShamirError",
    "compile",
    "load",
    "paillier",
    "psi",
    "shamir",
]
