#!/usr/bin/env python3
"""Helper of benches/program_form.sh: inputs, reference results, result rows, table.

  program_form.py gen DIR                 write inputs and expected outputs under DIR/in
  program_form.py compile-row LABEL STATS TIME LOAD   one compile row (TSV) on stdout
  program_form.py run-row LABEL DIR EXPECTED LOAD     one two-party run row (TSV) on stdout
  program_form.py table TSV               medians per label
"""
import json
import os
import random
import re
import statistics
import sys

M32 = 1 << 32


def dump(path, value):
    with open(path, "w") as f:
        f.write(json.dumps(value, separators=(",", ":")))


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
        prev = cur
    return prev[len(b)] & 0xFFFF


def gen(d):
    d = os.path.join(d, "in")
    os.makedirs(d, exist_ok=True)
    rng = random.Random(12)
    # multiply-accumulate: full-range u32, R passes -> R * sum(a[i] * b[i]) mod 2^32
    a = [rng.randrange(M32) for _ in range(1024)]
    b = [rng.randrange(M32) for _ in range(1024)]
    dump(f"{d}/mac_a.txt", a)
    dump(f"{d}/mac_b.txt", b)
    dot = sum(x * y for x, y in zip(a, b))
    for r in (1, 10, 100, 1000, 10000):
        dump(f"{d}/mac_{r}.expected", {"s": (r * dot) % M32})
    # 100x100 matrix product; entries < 2^16 so each party's argument stays under the
    # kernel's 128 KiB limit for one command-line argument (products still wrap mod 2^32)
    n = 100
    A = [[rng.randrange(1 << 16) for _ in range(n)] for _ in range(n)]
    B = [[rng.randrange(1 << 16) for _ in range(n)] for _ in range(n)]
    dump(f"{d}/matmul100_a.txt", A)
    dump(f"{d}/matmul100_b.txt", B)
    C = [[sum(A[i][k] * B[k][j] for k in range(n)) % M32 for j in range(n)] for i in range(n)]
    dump(f"{d}/matmul100.expected", {"c": C})
    # edit distance: strings over a 4-letter alphabet, b a mutated copy of a
    sa = [rng.choice(b"ACGT") for _ in range(1024)]
    sb = list(sa)
    for _ in range(200):
        k = rng.randrange(1024)
        sb[k] = rng.choice(b"ACGT")
    sb = sb[7:] + [rng.choice(b"ACGT") for _ in range(7)]  # a shift: insertions/deletions
    dump(f"{d}/edit_a.txt", sa)
    dump(f"{d}/edit_b.txt", sb)
    dump(f"{d}/edit.expected", {"d": edit_distance(sa, sb)})
    # median of 4,096 u32 (element 2048 of the ascending sort)
    ma = [rng.randrange(M32) for _ in range(2048)]
    mb = [rng.randrange(M32) for _ in range(2048)]
    dump(f"{d}/median_a.txt", ma)
    dump(f"{d}/median_b.txt", mb)
    dump(f"{d}/median.expected", {"m": sorted(ma + mb)[2048]})


STAT = re.compile(r"(\w+): ([0-9.]+) ms, sent (\d+) bytes, received (\d+) bytes, (\d+) rounds, (\d+) AND gates")


def run_row(label, d, expected, load):
    exp = json.load(open(expected))
    row = [label, load]
    cpu = []
    ok = True
    for p in ("a", "b"):
        out = open(f"{d}/o{p}").read().strip()
        try:
            got = json.loads(out)
        except ValueError:
            got = None
        ok = ok and got == exp
        err = open(f"{d}/e{p}").read()
        m = STAT.search(err)
        wall, rss, user, sys_ = open(f"{d}/t{p}").read().split()[-4:]
        cpu.append(f"{float(user) + float(sys_):.2f}")
        if m:
            row += [m.group(2), m.group(6), m.group(3), wall, rss]
        else:
            sys.stderr.write(err[-2000:])
            row += ["nan", "0", "0", wall, rss]
            ok = False
    row.append("ok" if ok else "WRONG")
    row += cpu
    print("\t".join(["run"] + row))


def compile_row(label, stats, tm, load):
    try:
        s = json.loads(open(stats).read())
    except ValueError:
        s = {}
    wall, rss, user, sys_ = open(tm).read().split()[-4:]
    print("\t".join(["compile", label, load, str(s.get("and_gates", "?")), wall, rss,
                     str(s.get("program_size", "?")), str(s.get("bodies", "?")),
                     str(s.get("compile_ms", "?")), f"{float(user) + float(sys_):.2f}"]))


def med(xs):
    xs = [float(x) for x in xs]
    return statistics.median(xs) if xs else float("nan")


def table(tsv):
    comp, runs = {}, {}
    for line in open(tsv):
        f = line.rstrip("\n").split("\t")
        if f[0] == "compile":
            comp.setdefault(f[1], []).append(f[2:])
        elif f[0] == "run":
            runs.setdefault(f[1], []).append(f[2:])
    if comp:
        print("\n## compile (medians; `mpc compile PROG --stats --json` under /usr/bin/time)")
        print("| program | AND executed | compile wall s | CPU s (user+sys) | compile_ms (CLI) | peak RSS MiB | program size | bodies | n | load (1 min) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for k, rs in comp.items():
            cpu = med(r[7] for r in rs) if len(rs[0]) > 7 else float("nan")
            print(f"| {k} | {int(rs[0][1]):,} | {med(r[2] for r in rs):.2f} | {cpu:.2f} | {med(r[6] for r in rs):.0f} | "
                  f"{med(r[3] for r in rs) / 1024:.0f} | {rs[0][4]} | {rs[0][5]} | {len(rs)} | "
                  f"{min(float(r[0]) for r in rs):.2f}-{max(float(r[0]) for r in rs):.2f} |")
    if runs:
        print("\n## two-party runs (medians; session time from `mpc run --stats`)")
        print("| run | AND | session s (alice / bob) | AND/s (bob's session) | bob wall s | AND/s (bob wall) | "
              "peak RSS MiB alice / bob | CPU s alice / bob | sent by alice | n | results | load (1 min) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for k, rs in runs.items():
            ands = int(rs[0][2])
            sa, sb = med(r[1] for r in rs) / 1e3, med(r[6] for r in rs) / 1e3
            bw = med(r[9] for r in rs)
            rates = sorted(ands / (float(r[6]) / 1e3) / 1e6 for r in rs)
            print(f"| {k} | {ands:,} | {sa:.3f} / {sb:.3f} | {ands / sb / 1e6:.1f}M "
                  f"({rates[0]:.1f}-{rates[-1]:.1f}M) | {bw:.2f} | {ands / bw / 1e6:.1f}M | "
                  f"{med(r[5] for r in rs) / 1024:.0f} / {med(r[10] for r in rs) / 1024:.0f} | "
                  + (f"{med(r[12] for r in rs):.2f} / {med(r[13] for r in rs):.2f} | " if len(rs[0]) > 13 else "- | ")
                  + f"{int(rs[0][3]):,} B | {len(rs)} | {','.join(sorted(set(r[11] for r in rs)))} | "
                  f"{min(float(r[0]) for r in rs):.2f}-{max(float(r[0]) for r in rs):.2f} |")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2])
    elif cmd == "run-row":
        run_row(*sys.argv[2:6])
    elif cmd == "compile-row":
        compile_row(*sys.argv[2:6])
    elif cmd == "table":
        table(sys.argv[2])
