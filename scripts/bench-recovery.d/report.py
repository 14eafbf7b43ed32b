#!/usr/bin/env python3
"""Turns the raw output of scripts/bench-recovery for one kernel into the report.

usage: report.py RAWDIR   (RAWDIR holds boot1/, boot2/ from the guest and host-meta)

Prints figures and what went wrong; passes or fails nothing on a timing.
"""
import glob
import json
import os
import re
import statistics
import sys

raw = sys.argv[1]


def kv(path):
    d = {}
    try:
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    d[k] = v
    except FileNotFoundError:
        pass
    return d


def lines(path):
    try:
        with open(path) as f:
            return [l.rstrip("\n") for l in f]
    except FileNotFoundError:
        return []


host = kv(os.path.join(raw, "host-meta"))
meta = kv(os.path.join(raw, "boot1", "meta.main")) or kv(os.path.join(raw, "boot2", "meta.recreate"))
results = []
for boot in ("boot1", "boot2"):
    # Each restart leaves one poller result and one line of the new daemon's start-up phases, in the same order.
    phase_lines = []
    for l in lines(os.path.join(raw, boot, "phases.jsonl")):
        try:
            phase_lines.append(json.loads(l))
        except ValueError:
            phase_lines.append({})
    for i, l in enumerate(lines(os.path.join(raw, boot, "results.jsonl"))):
        try:
            r = json.loads(l)
        except ValueError:
            r = {"case": "?", "errors": [f"unreadable result line: {l[:200]}"]}
        if i < len(phase_lines):
            r["phases"] = phase_lines[i].get("phases") or {}
            r["devices_live_ms"] = phase_lines[i].get("devices_live_ms") or []
        results.append(r)


def ms(r, a, b):
    if r.get(a) is None or r.get(b) is None:
        return None
    return (r[b] - r[a]) * 1000


signals = {}
for l in lines(os.path.join(raw, "boot1", "fio-signal")):
    f = l.split()
    if len(f) == 3:
        signals[(f[0], f[1])] = float(f[2]) * 1000


def writer_gap(name, r):
    """The ext4 writer's longest time between two finished copies across the restart (ms)."""
    done = []
    for l in lines(os.path.join(raw, "boot1", f"{name}.writer")):
        try:
            done.append(float(l) * 1000)
        except ValueError:
            pass
    if len(done) < 2:
        return None
    return max(b - a for a, b in zip(done, done[1:]))


def fio_figures(sig, rep, r, prefix="stall"):
    base = os.path.join(raw, "boot1", f"{prefix}-{sig}-{rep}")
    out = {"clat_max": None, "lat_max": None, "gap": None, "fio_error": None, "note": None}
    try:
        with open(base + ".json") as f:
            text = f.read()
        # fio may print notes before the JSON object
        job = json.loads(text[text.index("{"):])["jobs"][0]
        out["clat_max"] = job["write"]["clat_ns"]["max"] / 1e6
        out["lat_max"] = job["write"]["lat_ns"]["max"] / 1e6
        out["fio_error"] = job.get("error")
    except (OSError, ValueError, KeyError, IndexError):
        pass
    # The IOPS log has epoch-ms timestamps (log_unix_epoch): the gap is the longest time
    # between two 10 ms windows with completions that opens between the signal and the
    # new daemon being live, so it is the restart's gap, not one of fio's own start-up.
    # (I/O already with the old daemon may still complete for a few ms after the signal.)
    t_sig = signals.get((sig if prefix == "stall" else f"{prefix}-{sig}", str(rep)))
    if r.get("t_signal") is not None:
        t_sig = r["t_signal"] * 1000
    t_live = r["t_live"] * 1000 if r.get("t_live") is not None else None
    busy = []
    for path in glob.glob(base + "_iops.*.log"):
        for l in lines(path):
            f = [x.strip() for x in l.split(",")]
            if len(f) >= 2 and f[0].isdigit() and f[1].isdigit() and int(f[1]) > 0:
                busy.append(int(f[0]))
    busy.sort()
    if t_sig is None or t_live is None or not busy:
        out["note"] = "no signal or live time, or no IOPS log: no gap computed"
    elif not [t for t in busy if t <= t_sig]:
        out["note"] = "fio had completed nothing before the signal"
    elif not [t for t in busy if t > t_live]:
        out["note"] = "fio completed nothing after the device was live again (had it ended?)"
    else:
        first = max(t for t in busy if t <= t_sig)
        out["gap"] = max(b - a for a, b in zip(busy, busy[1:]) if first <= a <= t_live)
    return out


def fmt(values):
    v = [x for x in values if x is not None]
    if not v:
        return "-"
    med = statistics.median(v)
    if len(v) == 1:
        return f"{med:.0f}"
    return f"{med:.0f} [{min(v):.0f}-{max(v):.0f}]"


counts = [int(c) for c in meta.get("counts", "1 8 32").split()]
rows = []
phase_rows = []
notes = []
expect = {"crash": "crash_recovery", "recreate": "recreate", "stall-kill": "crash_recovery",
          "stall-term": "crash_recovery"}
row_defs = [("crash", n, f"crash recovery, {n} dev") for n in counts]
row_defs += [("recreate", n, f"recreate, {n} dev") for n in counts]
row_defs += [("stall-kill", 1, "stall across kill -9"), ("stall-term", 1, "stall across SIGTERM")]
row_defs += [("loaded-kill", 2, "loaded: ext4+fio, kill -9")]
expect["loaded-kill"] = "crash_recovery"
for c in sorted({r.get("case") for r in results if str(r.get("case", "")).startswith("saturated-")},
                key=lambda c: int(c.split("-")[1])):
    ms_ = int(c.split("-")[1])
    row_defs.append((c, 1, f"saturated 1x16, io_timeout {'kernel default' if ms_ == 0 else f'{ms_} ms'}"))
    expect[c] = "crash_recovery"
for case, n, title in row_defs:
    rs = [r for r in results if r.get("case") == case and r.get("n") == n]
    exit_ms = [ms(r, "t_signal", "t_exit") for r in rs]
    live = [ms(r, "t_start", "t_live") for r in rs]
    recon = [(r.get("last_start") or {}).get("duration_ms") for r in rs]
    sig_live = [ms(r, "t_signal", "t_live") for r in rs]
    clat, lat, gap, wgap = [], [], [], []
    first_log = [(r.get("phases") or {}).get("logging") for r in rs]
    if case.startswith("stall") or case.startswith("loaded"):
        for r in rs:
            prefix, sig = case.split("-")
            f = fio_figures(sig, r.get("rep"), r, prefix=prefix)
            if prefix == "loaded":
                wgap.append(writer_gap(f"loaded-kill-{r.get('rep')}", r))
            clat.append(f["clat_max"])
            lat.append(f["lat_max"])
            gap.append(f["gap"])
            if f["fio_error"]:
                notes.append(f"{title} #{r.get('rep')}: fio reported error {f['fio_error']}")
            if f["clat_max"] is None:
                notes.append(f"{title} #{r.get('rep')}: no fio result")
            if f["note"]:
                notes.append(f"{title} #{r.get('rep')}: {f['note']}")
    ok = sum(1 for r in rs if r.get("t_live") is not None)
    rows.append([title, f"{ok}/{len(rs)}" if rs else "0", fmt(exit_ms), fmt(first_log), fmt(live), fmt(recon),
                 fmt(sig_live), fmt(clat), fmt(lat), fmt(gap), fmt(wgap)])
    if rs and any(r.get("phases") for r in rs):
        names = []
        for r in rs:
            for k in sorted((r.get("phases") or {}), key=lambda k: r["phases"][k]):
                if k not in names:
                    names.append(k)
        phase_rows.append((title, [(k, fmt([(r.get("phases") or {}).get(k) for r in rs])) for k in names],
                           fmt([max(r["devices_live_ms"]) if r.get("devices_live_ms") else None for r in rs])))
    if not rs:
        notes.append(f"{title}: not measured")
    # How the devices came back, as the daemon recorded it, and anything unexpected.
    hows = {}
    for r in rs:
        for k, c in (r.get("how") or {}).items():
            hows[k] = hows.get(k, 0) + c
        for e in r.get("errors") or []:
            notes.append(f"{title} #{r.get('rep')}: {e}")
        bad = {i: s for i, s in (r.get("states") or {}).items() if s != "live"}
        if bad:
            notes.append(f"{title} #{r.get('rep')}: devices not live: {bad}")
        ls = r.get("last_start") or {}
        if ls.get("failed"):
            notes.append(f"{title} #{r.get('rep')}: last_start.failed = {ls['failed']}")
        want = "recreated" if case == "recreate" else "recovered"
        if ls and ls.get(want) != n:
            notes.append(f"{title} #{r.get('rep')}: last_start says recovered={ls.get('recovered')} "
                         f"recreated={ls.get('recreated')} failed={ls.get('failed')} (expected {want}={n})")
        if r.get("exit_status") not in (None, 0, 137):
            notes.append(f"{title} #{r.get('rep')}: old daemon exit status {r.get('exit_status')}")
    for k, c in sorted(hows.items()):
        if not k.startswith(expect[case] + "/ok"):
            notes.append(f"{title}: {c}x {k} (expected {expect[case]}/ok)")
        rows[-1].append(f"{c}x {k}")

header = ["case", "ok/runs", "old exit", "exec->log", "start->live", "reconcile", "signal->live", "fio clat max",
          "fio lat max", "no-I/O gap", "writer gap"]
ncol = len(header)
table = [header] + [r[:ncol] for r in rows]
widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]


def render(r):
    return "  ".join(str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(r))


elapsed = int(host.get("elapsed", "0") or 0)
waited = int(host.get("waited", "0") or 0)
print(f"ublkd recovery benchmark: {host.get('kernel', meta.get('kernel_kind', '?'))} kernel "
      f"{meta.get('kernel_release', '?')}")
run = f"{elapsed // 60} min {elapsed % 60} s"
if waited:
    run += f", of which {waited // 60} min {waited % 60} s waiting for other QEMU guests to end"
print(f"date {host.get('date', '?')}, revision {host.get('revision', '?')}, run time {run} (2 boots)")
print(f"guest: QEMU TCG, {meta.get('cpus', '?')} vCPUs, {meta.get('fio', 'fio ?')}; devices: file target, "
      f"64 MiB sparse file on /srv (ext4, virtio), 1 queue, depth 64, recovery reissue")
print(f"other QEMU guests on the host: {host.get('other_guests', '?')}")
print(f"ublkd binary: {host.get('binary', '?')}")
for l in lines(os.path.join(raw, "boot1", "exec-cost")):
    f = l.split()
    if len(f) == 4:
        print(f"exec of `ublkd --version` alone, {f[0]} binary"
              f"{' (.build/release, the Swift runtime as shared libraries)' if f[0] == 'dynamic' else ''}: "
              f"{f[1]} ms [{f[2]}-{f[3]}] (median [min-max] of 5)")
print(f"reps: {meta.get('reps', '?')} per crash and stall row (median [min-max]); recreate: 1 (one reboot)")
print()
print("all times in ms")
print(render(header))
print(render(["-" * w for w in widths]))
for r in rows:
    print(render(r[:ncol]))
print()
print("old exit      signal to the old daemon until it had exited (kill -9 / SIGTERM hand-over)")
print("exec->log     the new daemon's first log line, in ms since its exec (its ublkd.phase=logging line)")
print("start->live   fork of the new daemon until GET /devices shows every device live (polled every 20 ms)")
print("reconcile     the new daemon's own GET /health last_start.duration_ms")
print("signal->live  the restart as a whole: old exit + new start until live")
print("fio clat max  longest completion latency of one 4k write (randwrite QD16, direct, io_uring)")
print("fio lat max   the same with the submission time included (slat + clat)")
print("no-I/O gap    longest time without completions (10 ms IOPS-log windows) from the signal until live")
print("writer gap    loaded case: the ext4 writer's longest time between two finished copies (cp + sync)")
print()
print("start-up phases of the new daemon (ublkd.phase lines, ms since its exec; median [min-max]):")
for title, phases, live_ms in phase_rows:
    print(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in phases) + f"; last kernel device live {live_ms}")
print()
print("how the devices came back (the daemon's last_recovery per device, summed over the runs):")
for r in rows:
    for h in r[ncol:]:
        print(f"  {r[0]}: {h}")

# Misbehaviour: the guest's own error list, the daemons' warnings and errors, the kernel's.
errs = []
for boot in ("boot1", "boot2"):
    errs += [f"{boot}: {l}" for l in lines(os.path.join(raw, boot, "errors"))]
for l in lines(os.path.join(raw, "boot1", "fio-status")):
    f = l.split()
    if len(f) == 3 and f[2] != "0":
        errs.append(f"fio across {f[0]} #{f[1]} exited {f[2]}")
for n in notes:
    errs.append(n)
for h in lines(os.path.join(raw, "host-errors")):
    errs.append(f"host: {h}")
seen = set()
print()
print("errors and anomalies:" if errs else "errors and anomalies: none")
for e in errs:
    if e not in seen:
        seen.add(e)
        print(f"  {e}")

daemon_msgs = []
for path in sorted(glob.glob(os.path.join(raw, "boot*", "logs", "*.log"))):
    for l in lines(path):
        m = re.match(r"^\S+ (warning|error|critical) (.*)$", l)
        if m:
            daemon_msgs.append(f"{os.path.basename(path)}: {m.group(1)} {m.group(2)}")
print()
print(f"daemon warnings/errors in the logs: {len(daemon_msgs) or 'none'}")
for l in daemon_msgs[:25]:
    print(f"  {l[:300]}")
if len(daemon_msgs) > 25:
    print(f"  ... {len(daemon_msgs) - 25} more in {raw}/boot*/logs/")

kern = []
for path in sorted(glob.glob(os.path.join(raw, "boot*", "logs", "dmesg.*"))):
    for l in lines(path):
        if re.search(r"ublk|WARNING|BUG|hung task|blocked for more|I/O error|Call Trace", l):
            kern.append(f"{os.path.basename(path)}: {l}")
print(f"guest kernel messages about ublk or errors: {len(kern) or 'none'}")
for l in kern[:15]:
    print(f"  {l[:300]}")
if len(kern) > 15:
    print(f"  ... {len(kern) - 15} more in {raw}/boot*/logs/dmesg.*")
print()
print(f"raw results: {raw}")
