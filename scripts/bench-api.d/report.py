#!/usr/bin/env python3
"""Host half of scripts/bench-api: turns the raw results the guest left into the table.

usage: report.py RAWDIR KERNEL_KIND ELAPSED_SECONDS REVISION OTHER_VMS

Prints plain text only. Missing pieces (a step that failed, a guest that stopped early)
show as "-" or "n/a" instead of stopping the report: a partial table plus the ERRORS
section says more than a traceback.
"""
import json
import os
import sys
from datetime import datetime, timezone

raw, kind, elapsed, revision, other_vms = sys.argv[1:6]
elapsed = int(elapsed)


def read(name):
    try:
        with open(os.path.join(raw, name)) as f:
            return f.read()
    except OSError:
        return None


def keyvalues(text, prefix=""):
    d = {}
    for line in (text or "").splitlines():
        if line.startswith(prefix) and "=" in line:
            k, v = line[len(prefix):].split("=", 1)
            d[k] = v
    return d


meta = keyvalues(read("meta"))
steps = {}
for line in (read("steps") or "").splitlines():
    step, kv = line.split(" ", 1)
    k, v = kv.split("=", 1)
    steps.setdefault(step, {})[k] = int(v)


def fio(step):
    text = read(f"{step}.fio.json")
    if not text:
        return None
    try:
        # fio may print notes before the JSON
        job = json.loads(text[text.index("{"):])["jobs"][0]["read"]
    except (ValueError, KeyError, IndexError):
        return None
    pct = job.get("clat_ns", {}).get("percentile", {})
    return {
        "iops": job["iops"],
        "p50": pct.get("50.000000", 0) / 1e6,
        "p99": pct.get("99.000000", 0) / 1e6,
    }


def iops_in_window(step, start_ms, end_ms):
    """Mean IOPS of fio's one-second samples that lie wholly inside [start_ms, end_ms]."""
    text = read(f"{step}_iops.1.log")
    if not text:
        return None, 0
    vals = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 2:
            continue
        t, v = int(parts[0]), int(parts[1])
        if t - 1000 >= start_ms and t <= end_ms:
            vals.append(v)
    if not vals:
        return None, 0
    return sum(vals) / len(vals), len(vals)


def wrk(step):
    d = keyvalues(read(f"{step}.wrk"), "wrk.")
    if "requests" not in d:
        return None
    statuses = {}
    for part in filter(None, d.get("statuses", "").split(",")):
        code, n = part.split(":")
        statuses[code] = int(n)
    d["statuses"] = statuses
    d["non2xx"] = sum(n for code, n in statuses.items() if not code.startswith("2"))
    d["sockerr"] = sum(int(d.get(f"err_{k}", 0)) for k in ("connect", "read", "write", "timeout"))
    return d


def percentile(values, p):
    """Nearest rank: with few samples p99 is the largest, which is what should show."""
    if not values:
        return None
    s = sorted(values)
    rank = max(1, -(-len(s) * p // 100))
    return s[int(rank) - 1]


def proc(when):
    d = {}
    for line in (read(f"proc-{when}") or "").splitlines():
        f = line.split()
        if f[0] in ("Threads:", "VmRSS:", "VmHWM:"):
            d[f[0].rstrip(":")] = int(f[1])
        elif f[0] == "queue_thread":
            d["queue"] = f"{f[1]} {f[2]}"
    return d


def num(x, fmt="{:.0f}"):
    return "-" if x is None else fmt.format(x)


def ms(x):
    if x is None:
        return "-"
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def duration(s):
    return f"{s // 60} min {s % 60:02d} s"


out = []
w = out.append
now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
w(f"ublkd REST API under load: kernel {meta.get('kernel_release', '?')} ({kind}), {now}")
w(f"revision {revision}; daemon {meta.get('daemon_version', '?')}")
guest_s = meta.get("guest_seconds")
w(f"guest: QEMU TCG, {meta.get('cpus', '?')} vCPUs, {int(meta.get('mem_total_kib', 0)) // 1024} MiB; "
  f"run took {duration(elapsed)} on the host"
  + (f" ({duration(int(guest_s))} of it inside the guest)" if guest_s else ""))
w(f"device: {meta.get('device', '?')} (id {meta.get('device_id', '?')}), file target, "
  f"{int(meta.get('device_bytes', 0)) >> 20} MiB on {meta.get('backing', '?')} "
  f"({meta.get('backing_fs', '?')} on virtio, written in full), 1 queue, depth 128, "
  f"io_mode {meta.get('device_io_mode', '?')}, scheduler {meta.get('device_scheduler', '?')}")
qt = proc("idle").get("queue", "?")
w(f"fio {meta.get('fio', '?').removeprefix('fio-')}: 4k randread QD32, io_uring, direct, "
  f"{meta.get('fio_seconds', '?')} s after a {meta.get('ramp', '?')} s ramp, taskset CPU {meta.get('fio_cpu', '?')}; "
  f"queue thread {qt} (not pinned)")
w(f"pollers: wrk {meta.get('wrk', '?')}, {meta.get('pollers', '?')} keep-alive connections, 2 threads, "
  f"taskset CPU {meta.get('client_cpu', '?')}, GET /devices/{meta.get('device_id', '?')}/stats; "
  "'at 1/s' = each connection waits 0.5-1.5 s (mean 1 s) after each answer")
w("")

A = fio("fio-alone")
B = fio("fio-paced")
F = fio("fio-flood")
A2 = fio("fio-alone-2")
a_iops = A["iops"] if A else None

fl = steps.get("fio-flood", {})
f_win, f_n = (None, 0)
if "wrk_start" in fl and "wrk_end" in fl:
    f_win, f_n = iops_in_window("fio-flood", fl["wrk_start"], fl["wrk_end"])


def ratio(x):
    if x is None or not a_iops:
        return "-"
    return f"{x / a_iops:.3f}"


head = f"{'':3}{'step':<40}{'fio IOPS':>10}{'/A':>7}{'fio p99':>9}{'polls/s':>9}{'poll p50':>10}{'poll p99':>10}{'poll max':>10}{'failed':>8}"
units = f"{'':3}{'':<40}{'':>10}{'':>7}{'ms':>9}{'':>9}{'ms':>10}{'ms':>10}{'ms':>10}{'polls':>8}"
w(head)
w(units)
w("-" * len(head))


def row(tag, label, f, iops=None, p=None, wrk_step=None):
    if iops is None and f:
        iops = f["iops"]
    d = wrk(wrk_step) if wrk_step else None
    failed = "-"
    if d:
        failed = str(d["non2xx"] + d["sockerr"])
    w(f"{tag:<3}{label:<40}{num(iops):>10}{ratio(iops) if iops is not None else '-':>7}"
      f"{ms(f['p99']) if f else '-':>9}"
      f"{num(float(d['rps']), '{:.1f}') if d else '-':>9}"
      f"{ms(float(d['lat_p50_ms'])) if d else '-':>10}"
      f"{ms(float(d['lat_p99_ms'])) if d else '-':>10}"
      f"{ms(float(d['lat_max_ms'])) if d else '-':>10}{failed:>8}")


row("1", "fio alone                            A", A)
row("2", "fio + 100 pollers at 1/s             B", B, wrk_step="fio-paced")
row("3", "fio + 100 pollers flat out (10 s)", F, iops=f_win, wrk_step="fio-flood")
row("R", "100 pollers at 1/s, nothing else", None, wrk_step="poll-idle")
row("4", "100 pollers at 1/s + create/delete", None, wrk_step="churn")
row("1'", "fio alone again (drift check)", A2)
w("")
if A and B:
    w(f"B/A = {B['iops'] / A['iops']:.3f}"
      + (f"   (A' / A = {A2['iops'] / A['iops']:.3f}: how far the VM itself drifted over the run)" if A2 else ""))
if F:
    w(f"step 3: fio IOPS is the mean of the {f_n} one-second samples inside wrk's 10 s; "
      f"over fio's whole {meta.get('fio_seconds', '?')} s run: {F['iops']:.0f}; fio p99 is of the whole run")
w("polls/s and latencies are wrk's, client side (request written to answer read); "
  "'failed polls' = non-2xx answers + socket errors + timeouts")

calls = {"create": [], "delete": []}
codes = {"create": {}, "delete": {}}
for line in (read("churn.calls") or "").splitlines():
    f = line.split()
    if len(f) != 4:
        continue
    _, op, code, secs = f
    codes[op][code] = codes[op].get(code, 0) + 1
    if code.startswith("2"):
        calls[op].append(float(secs) * 1000)
ch = steps.get("churn", {})
loop_s = (ch["loop_end"] - ch["loop_start"]) / 1000 if "loop_end" in ch and "loop_start" in ch else None
w("")
w(f"step 4, create/delete loop with curl (one after the other, no pause): "
  f"{meta.get('churn_cycles', '?')} cycles in {num(loop_s, '{:.1f}')} s")
for op, label, ok in (("create", "POST /devices (null, 64 MiB)", "201"), ("delete", "DELETE /devices/{id}", "204")):
    v = calls[op]
    bad = {c: n for c, n in codes[op].items() if c != ok}
    w(f"   {label:<30} n={len(v):<4} p50 {ms(percentile(v, 50)):>7} ms   p99 {ms(percentile(v, 99)):>7} ms   "
      f"max {ms(max(v) if v else None):>7} ms   other than {ok}: "
      + (", ".join(f"{n}x {c}" for c, n in sorted(bad.items())) if bad else "none"))

w("")
snaps = [(k, proc(k)) for k in ("idle", "paced", "flood", "after-flood", "end")]
w("daemon threads: " + ", ".join(f"{k} {p.get('Threads', '?')}" for k, p in snaps if p)
  + "; RSS MiB: " + ", ".join(f"{k} {p['VmRSS'] // 1024}" for k, p in snaps if "VmRSS" in p)
  + (f"; peak {snaps[-1][1]['VmHWM'] // 1024}" if "VmHWM" in snaps[-1][1] else ""))
reqs = (read("ublkd.log.requests") or "").splitlines()
if reqs:
    w("daemon log, requests by route and status (count, slowest handling in the daemon):")
    for line in reqs:
        f = line.split()
        if len(f) == 5:
            w(f"   {f[0]:<7}{f[1]:<22}{f[2]:>4} {int(f[3]):>8}   {f[4]:>8} ms")
warnings = (read("ublkd.log.warnings") or "").splitlines()
if warnings:
    w(f"daemon warnings/errors in its log ({len(warnings)}{'+' if len(warnings) >= 200 else ''}; first 10):")
    for line in warnings[:10]:
        w("   " + line)
w(f"devices after step 4: {meta.get('devices_after_churn', '?')}; "
  f"ublk nodes: {meta.get('ublk_nodes_after_churn', '?').strip() or 'none'}")
w(f"other QEMU guests on the host during the run: {other_vms}")
w("")
errors = (read("errors") or "").strip()
if not read("finished"):
    errors = (errors + "\n" if errors else "") + "the guest did not finish: figures above may be partial"
w("ERRORS:" if errors else "errors: none")
for line in errors.splitlines():
    w("   " + line)
print("\n".join(out))
