# %% [markdown]
# # A sealed-bid auction with `mpc` from Python
#
# Alice and Bob each hold a bid. They want to know who wins and the price (the
# lower bid: a second-price auction) without showing each other their bids. The
# program is compiled to a Boolean circuit and run with Yao's garbled circuits:
# semi-honest security at kappa = 128 (both follow the protocol; each learns its own
# input and the outputs, nothing else).
#
# Cells are separated by `# %%` (VS Code, Jupytext and Spyder run them one by one);
# `python examples/auction.py` runs them all.

# %%
import pathlib
import socket
import threading

import mpc

SOURCE = """
party alice;
party bob;

fn main(a: u32 @alice, b: u32 @bob) -> (alice_wins: bool, price: u32) {
    let alice_wins = a > b;
    let price = if alice_wins { b } else { a };
    (alice_wins, price)
}
"""
p = mpc.compile(SOURCE)  # or mpc.load("examples/auction.mpc")
print(p)

# %% [markdown]
# What it costs: AND gates are what garbling pays for (XOR gates are free).

# %%
print(p.stats())  # and_gates: 64 (a 32-bit comparison and a 32-bit mux)

# %% [markdown]
# `eval` computes in the clear (a test oracle); `local` runs the real two-party
# protocol, both parties in this process.

# %%
print(p.eval({"a": 100, "b": 150}))  # {'alice_wins': False, 'price': 100}
print(p.local({"a": 100, "b": 150}))

# %% [markdown]
# Each party on its own: `run` with `listen=` or `connect=`. Here Bob runs in a
# thread (the GIL is released while a protocol runs); normally he would be another
# process or machine, running `p.run("bob", {"b": 150}, listen="0.0.0.0:7000")`.
# This is plain TCP: over a real network pass `tls_cert=`, `tls_key=` and
# `peer_cert=` (the CLI's TLS files) to both sides.

# %%
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    addr = f"127.0.0.1:{s.getsockname()[1]}"

bob = {}
t = threading.Thread(target=lambda: bob.update(p.run("bob", {"b": 150}, listen=addr)))
t.start()
alice = p.run("alice", {"a": 100}, connect=addr)
t.join()
print("alice sees", alice, "and bob sees", bob)

# %% [markdown]
# Mistakes are exceptions with the CLI's sentence.

# %%
try:
    p.eval({"a": 2**32, "b": 1})
except mpc.InputError as e:
    print("InputError:", e)

try:
    mpc.compile(SOURCE.replace("a > b", "a > c"))
except mpc.CompileError as e:
    print(str(e).splitlines()[0])

# %% [markdown]
# The native modules: Shamir sharing, Paillier encryption, private set intersection.

# %%
shares = mpc.shamir.split(b"the reserve price is 120", threshold=2, shares=3)
print(mpc.shamir.combine(shares[1:]))

pk, sk = mpc.paillier.keygen(2048)
total = mpc.paillier.add(pk, mpc.paillier.encrypt(pk, 100), mpc.paillier.encrypt(pk, 150))
print(mpc.paillier.decrypt(sk, total))  # 250

print(mpc.psi.intersect_local(["alice", "bob", "carol"], ["carol", "dave", "alice"]))

# %%
if __name__ == "__main__":
    print("done:", pathlib.Path(__file__).name)
