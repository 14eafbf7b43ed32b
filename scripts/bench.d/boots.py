#!/usr/bin/env python3
"""The same bench run over several boots of one kernel, side by side: per boot the median of its repetitions and
each side's ratio to the kernel's driver in that boot; then the median of the boots. Boots differ more than the
repetitions of one boot (a side may run at one of two levels for a whole boot), so the median of boots, not one
lucky boot, is what a comparison rests on.

usage: boots.py KIND RAW_DIR...      (each RAW_DIR one boot's raw results, as report.py reads them)
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import JOBS, fnum, med, ratio, read_text, runs_of, table  # noqa: E402


def main():
    kind, raws = sys.argv[1], sys.argv[2:]
    boots = len(raws)
    modes = []
    for raw in raws:
        for m in read_text(os.path.join(raw, "modes")).split():
            if m not in modes:
                modes.append(m)
    sides = modes + ["direct", "ublksrv"]
    pairs = []
    for raw in raws:
        for p in sorted(os.listdir(raw)):
            if os.path.isdir(os.path.join(raw, p)) and p not in pairs and os.path.exists(os.path.join(raw, p, "setup")):
                pairs.append(p)
    print(f"{kind}: {boots} boots; per boot the median of its repetitions; x/ref = ratio to the kernel's driver in "
          "that boot; last column the median of the boots' ratios")
    print()
    for key, what, kind_ in (("iops", "IOPS", "iops"), ("p99", "p99 latency (µs), QD1 jobs", "us")):
        rows = []
        for pair in pairs:
            for job, label, direction, qd1 in JOBS:
                if key == "p99" and not qd1:
                    continue
                ref = [med(runs_of(raw, pair, job, "ref", direction), key) for raw in raws]
                if not any(v is not None for v in ref):
                    continue
                rows.append([pair, label, "ref"] + [fnum(v, kind_) for v in ref] + ["", ""])
                for side in sides:
                    vals = [med(runs_of(raw, pair, job, side, direction), key) for raw in raws]
                    if not any(v is not None for v in vals):
                        continue
                    ratios = [ratio(v, r) for v, r in zip(vals, ref)]
                    known = [x for x in ratios if x is not None]
                    rows.append([pair, label, side] + [fnum(v, kind_) for v in vals]
                                + ["/".join(fnum(x, "ratio") for x in ratios),
                                   fnum(statistics.median(known) if known else None, "ratio")])
        if rows:
            print(what)
            header = ["pair", "job", "side"] + [f"boot {i + 1}" for i in range(boots)] + ["x/ref by boot",
                                                                                          "median x/ref"]
            print(table(header, rows, 3))
            print()


if __name__ == "__main__":
    main()
