#!/usr/bin/env python3
"""Table of scripts/bench-api.d/host: medians of the rounds, and each ublkd case as a fraction of the fastest bare
libmicrohttpd mode measured in the same run.

usage: host-report.py OUTDIR
"""
import os
import statistics
import sys

out = sys.argv[1]
meta = {}
with open(os.path.join(out, "meta")) as f:
    for line in f:
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            meta[k] = v

runs = {}
cpu = {}
order = []
quiet = []
bad = []
with open(os.path.join(out, "runs")) as f:
    for line in f:
        rep, case, rps, statuses, *rest = line.split()
        if case not in runs:
            order.append(case)
        runs.setdefault(case, []).append(float(rps))
        fields = dict(kv.split("=", 1) for kv in rest)
        if float(fields.get("cpu_us", 0)) > 0:
            cpu.setdefault(case, []).append(float(fields["cpu_us"]))
        quiet.append(fields)
        other = [s for s in statuses.split(",") if s and not s.startswith("200:")]
        if statuses == "none" or other:
            bad.append(f"round {rep} {case}: statuses {statuses}")

median = {c: statistics.median(v) for c, v in runs.items()}
bare = {c: m for c, m in median.items() if c.startswith("bare-") and not c.endswith("-size")}
best = max(bare, key=bare.get) if bare else None
bar = bare[best] if best else None
cpu_median = {c: statistics.median(v) for c, v in cpu.items()}
bar_cpu = cpu_median.get(best)

# What each ublkd route must reach, as a fraction of the fastest bare mode (issue 16).
goals = {"/health": 0.9, "/devices/7/stats": 0.9, "/devices": 0.5, "/metrics": 0.5}

print(f"ublkd REST API on the host vs bare libmicrohttpd: wrk {meta.get('wrk', '?')}, 2 threads, 100 connections, "
      f"{meta.get('seconds', '?')} s per run, median of {meta.get('reps', '?')} interleaved rounds; "
      f"{meta.get('cpus', '?')} CPUs shared by server and wrk (all at nice 0: the harness's event loops too, at 10 in production); "
      f"libmicrohttpd {meta.get('mhd', '?')}")
print(f"ublkd = api-bench-harness (the daemon's API as DaemonRunner wires it, {meta.get('devices', '?')} devices "
      "created through DeviceManager, in-process instead of ublk devices: this host has no driver)")
print()
head = (f"{'case':<32}{'req/s':>10}{'min':>10}{'max':>10}{'bytes':>8}{'x bar':>8}{'x size':>8}{'cpu us':>8}"
        f"{'x cpu':>7}  goal")
print(head)
print("-" * len(head))
for c in order:
    v = runs[c]
    ratio = median[c] / bar if bar else None
    path = c.split("t", 1)[1] if c.startswith("ublkd-") else None
    goal = goals.get(path)
    verdict = "" if goal is None or ratio is None else (f">={goal:.1f} " + ("met" if ratio >= goal else "NOT met"))
    mark = "  <- bar" if c == best else ""
    same = median.get(f"bare-pool-2-{path.strip('/')}-size") if path in ("/devices", "/metrics") else None
    size_ratio = f"{median[c] / same:.2f}" if same else "-"
    own = cpu_median.get(c)
    cpu_ratio = f"{bar_cpu / own:.2f}" if own and bar_cpu else "-"
    print(f"{c:<32}{median[c]:>10.0f}{min(v):>10.0f}{max(v):>10.0f}{meta.get('bytes.' + c, '?'):>8}"
          f"{(f'{ratio:.2f}' if ratio is not None else '-'):>8}{size_ratio:>8}"
          f"{(f'{own:.1f}' if own else '-'):>8}{cpu_ratio:>7}  {verdict}{mark}")
print()
loads = [float(q.get("load", 0)) for q in quiet]
busy = sum(1 for q in quiet if int(q.get("swift_frontend") or 0) > 0 or int(q.get("qemu") or 0) > 0)
print(f"host before each run: load average {min(loads):.2f}..{max(loads):.2f}; "
      f"{busy} of {len(quiet)} runs started while a Swift compiler or a QEMU guest of other work ran")
print("x bar = median req/s over the fastest bare mode's median (small body); x size = over the bare handler "
      "(pool-2) answering a body as long as that route's; 'bytes' = the answer's body;\n"
      "cpu us = the server's CPU time (user + system) per request, median of the rounds; x cpu = the bar's over the "
      "case's (1.00: an answer costs what the bare handler's costs; less sensitive than req/s to others on the host)")
print("errors: none" if not bad else "ERRORS:\n   " + "\n   ".join(bad))
