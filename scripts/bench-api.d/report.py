#!/usr/bin/env python3
"""Host half of scripts/bench-api: turns the raw results the guest left into the table.

usage: report.py RAWDIR KERNEL_KIND ELAPSED_SECONDS REVISION OTHER_VMS

Prints plain text only. Missing pieces (a step that failed, a guest that stopped early)
show as "-" or "n/a" instead of stopping the report: a partial table plus the ERRORS
section says more than a traceback.
"""
import json
import os
import statistics
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

reps = int(meta.get("reps", "1"))
rounds = range(1, reps + 1)


def flood_window(step):
    fl = steps.get(step, {})
    if "wrk_start" in fl and "wrk_end" in fl:
        return iops_in_window(step, fl["wrk_start"], fl["wrk_end"])
    return None, 0


alone = [fio(f"fio-alone-r{r}") for r in rounds]
paced = [fio(f"fio-paced-r{r}") for r in rounds]
bare = [fio(f"fio-bare-r{r}") for r in rounds]
flood = [fio(f"fio-flood-r{r}") for r in rounds]
flood_iops = [flood_window(f"fio-flood-r{r}")[0] for r in rounds]


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


A_list = [f["iops"] if f else None for f in alone]
B_list = [f["iops"] if f else None for f in paced]
P_list = [f["iops"] if f else None for f in bare]
a_iops = med(A_list)
b_iops = med(B_list)
p_iops = med(P_list)
f_iops = med(flood_iops)


def ratio(x):
    if x is None or not a_iops:
        return "-"
    return f"{x / a_iops:.3f}"


def spread(values):
    values = [v for v in values if v is not None]
    return f"{min(values):.0f}-{max(values):.0f}" if values else "-"


def polls(step_names):
    """wrk's figures over several runs: rate over all, p50/p99 medians, max of maxes, failures summed."""
    runs = [wrk(s) for s in step_names]
    runs = [d for d in runs if d]
    if not runs:
        return None
    secs = sum(float(d["seconds"]) for d in runs)
    return {
        "rps": sum(int(d["requests"]) for d in runs) / secs if secs else 0,
        "p50": statistics.median(float(d["lat_p50_ms"]) for d in runs),
        "p99": statistics.median(float(d["lat_p99_ms"]) for d in runs),
        "max": max(float(d["lat_max_ms"]) for d in runs),
        "failed": sum(d["non2xx"] + d["sockerr"] for d in runs),
    }


head = (f"{'':3}{'step':<40}{'fio IOPS':>10}{'range':>14}{'/A':>7}{'fio p99':>9}{'polls/s':>9}"
        f"{'poll p50':>10}{'poll p99':>10}{'poll max':>10}{'failed':>8}")
units = f"{'':3}{'':<40}{'median':>10}{'of rounds':>14}{'':>7}{'ms':>9}{'':>9}{'ms':>10}{'ms':>10}{'ms':>10}{'polls':>8}"
w(head)
w(units)
w("-" * len(head))


def row(tag, label, iops=None, iops_all=None, fios=None, poll=None):
    p99 = med([f["p99"] for f in (fios or []) if f])
    w(f"{tag:<3}{label:<40}{num(iops):>10}{spread(iops_all or []):>14}{ratio(iops) if iops is not None else '-':>7}"
      f"{ms(p99) if p99 is not None else '-':>9}"
      f"{num(poll['rps'], '{:.1f}') if poll else '-':>9}"
      f"{ms(poll['p50']) if poll else '-':>10}"
      f"{ms(poll['p99']) if poll else '-':>10}"
      f"{ms(poll['max']) if poll else '-':>10}{str(poll['failed']) if poll else '-':>8}")


idle = polls(["poll-idle"])
churn = polls(["churn"])
row("1", "fio alone                            A", a_iops, A_list, alone)
row("2", "fio + 100 pollers at 1/s             B", b_iops, B_list, paced,
    polls([f"fio-paced-r{r}" for r in rounds]))
if p_iops is not None:
    row("2b", "fio + the pollers at 1/s, bare MHD    P", p_iops, P_list, bare,
        polls([f"fio-bare-r{r}" for r in rounds]))
row("3", "fio + 100 pollers flat out (10 s)    F", f_iops, flood_iops, flood,
    polls([f"fio-flood-r{r}" for r in rounds]))
row("R", "100 pollers at 1/s, nothing else", poll=idle)
row("4", "100 pollers at 1/s + create/delete", poll=churn)
w("")


def verdict(ok):
    return "met" if ok else "NOT met"


if a_iops and b_iops:
    pairs = [b / a for a, b in zip(A_list, B_list) if a and b]
    loss = 1 - b_iops / a_iops
    w(f"B/A = {b_iops / a_iops:.3f} (IOPS lost: {loss * 100:.1f}%; goal < 3%: {verdict(loss < 0.03)}); "
      f"per round: {' '.join(f'{x:.3f}' for x in pairs)}")
if a_iops and p_iops and b_iops:
    pairs = [b / p for p, b in zip(P_list, B_list) if p and b]
    w(f"P/A = {p_iops / a_iops:.3f}: what the same pollers cost fio when a bare libmicrohttpd handler answers them "
      f"(one epoll thread at nice 10, as ublkd's API); B/P = {b_iops / p_iops:.3f}: what ublkd's answers cost "
      f"beyond that; per round: {' '.join(f'{x:.3f}' for x in pairs)}")
if a_iops and f_iops:
    pairs = [f / a for a, f in zip(A_list, flood_iops) if a and f]
    loss = 1 - f_iops / a_iops
    w(f"F/A = {f_iops / a_iops:.3f} (IOPS lost: {loss * 100:.1f}%; goal < 15%: {verdict(loss < 0.15)}); "
      f"per round: {' '.join(f'{x:.3f}' for x in pairs)}")
if idle and churn:
    extra = churn["max"] - idle["p99"]
    w(f"step 4: slowest poll beside the create/delete loop {ms(churn['max'])} ms = baseline p99 (R) "
      f"{ms(idle['p99'])} ms + {ms(extra)} ms (goal: + less than 100 ms: {verdict(extra < 100)})")
w(f"medians of {reps} rounds, each round fio alone, then with paced pollers (ublkd, then the bare handler), then "
  f"flat out; step 3's IOPS are "
  f"the mean of fio's one-second samples inside wrk's 10 s; fio p99 is the median of the rounds' whole runs")
w("polls/s and latencies are wrk's, client side (request written to answer read): p50/p99 medians of the rounds, "
  "max the largest; 'failed polls' = non-2xx answers + socket errors + timeouts")

cpu = {}
for line in (read("cpu") or "").splitlines():
    f = line.split()
    cpu.setdefault(f[0], {})[f[1]] = {k: int(v) for k, v in (kv.split("=", 1) for kv in f[2:])}
hz = int(meta.get("clock_ticks", "100"))
cpu_kinds = ("api", "queue", "iowq", "daemon_other", "bare", "wrk", "busy", "idle")


def cpu_rates(step, begin, end):
    """CPU per second of the window, in ms/s (1000 = one CPU), by who used it."""
    s = cpu.get(step, {})
    if begin not in s or end not in s:
        return None
    a, b = s[begin], s[end]
    secs = (b["ms"] - a["ms"]) / 1000
    if secs <= 0:
        return None
    return {k: (b[k] - a[k]) * 1000 / hz / secs for k in cpu_kinds}


def cpu_row(label, step_names, begin, end, polls_of=None, server=None, unseen=()):
    """unseen: who ran only between the window's two samples, so that neither saw its CPU (shown as -)."""
    rates = [cpu_rates(s, begin, end) for s in step_names]
    rates = [r for r in rates if r]
    if not rates:
        return
    m = {k: statistics.median(r[k] for r in rates) for k in cpu_kinds}
    per_poll = "-"
    if polls_of and server and polls_of["rps"]:
        per_poll = f"{m[server] * 1000 / polls_of['rps']:.0f}"
    w(f"   {label:<36}" + "".join(f"{'-' if k in unseen else f'{m[k]:.0f}':>8}" for k in cpu_kinds)
      + f"{per_poll:>10}")


if cpu:
    w("")
    w("CPU in ms per second (1000 = one vCPU), medians of the rounds over fio's run (step 3: wrk's 10 s); daemon "
      "threads by kind: api = event loops, queue = queue threads, iowq = io_uring workers; busy/idle = all vCPUs "
      "(fio's own CPU is in busy)")
    w(f"   {'':<36}" + "".join(f"{k if k != 'daemon_other' else 'other':>8}" for k in cpu_kinds)
      + f"{'µs/poll':>10}")
    cpu_row("1 fio alone", [f"fio-alone-r{r}" for r in rounds], "start", "end")
    cpu_row("2 + pollers at 1/s (ublkd)", [f"fio-paced-r{r}" for r in rounds], "fio_start", "fio_end",
            polls([f"fio-paced-r{r}" for r in rounds]), "api")
    cpu_row("2b + pollers at 1/s (bare)", [f"fio-bare-r{r}" for r in rounds], "fio_start", "fio_end",
            polls([f"fio-bare-r{r}" for r in rounds]), "bare")
    cpu_row("3 + pollers flat out (ublkd)", [f"fio-flood-r{r}" for r in rounds], "wrk_start", "wrk_end",
            polls([f"fio-flood-r{r}" for r in rounds]), "api", unseen=("wrk",))
    w("   µs/poll: the server's CPU (ublkd's event loops, or the bare handler) per answered poll; step 3's wrk "
      "starts after the window's first sample and is gone by its last (its CPU is in busy)")
    w("   where busy + idle fall short of 1000 per vCPU, the guest's tick-based accounting missed that share of the "
      "time; the threads' figures come from the same ticks: compare rows of one boot, not boots")

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
counts = {}
slow = {}
for line in (read("metrics.http") or "").splitlines():
    name, _, value = line.rpartition(" ")
    labels = dict(kv.split("=", 1) for kv in name[name.find("{") + 1:name.rfind("}")].replace('"', "").split(",")
                  if "=" in kv)
    if name.startswith("ublkd_http_requests_total"):
        counts[(labels.get("method"), labels.get("route"), labels.get("status"))] = int(float(value))
    elif name.startswith("ublkd_http_request_duration_seconds_bucket"):
        key = (labels.get("method"), labels.get("route"))
        slow.setdefault(key, {})[labels.get("le")] = int(float(value))
if counts:
    w("daemon's own count of requests by route and status (/metrics at the end), and how many took >= 100 ms:")
    for (method, route, status), n in sorted(counts.items(), key=lambda kv: (kv[0][1] or "", kv[0][0] or "")):
        buckets = slow.get((method, route), {})
        over = buckets.get("+Inf", 0) - buckets.get("0.1", 0) if buckets else None
        w(f"   {method:<7}{route:<24}{status:>4} {n:>9}" + (f"   {over} of the route >= 100 ms" if over else ""))
logged = [line for line in (read("ublkd.log.requests") or "").splitlines()
          if " GET " in line and "/stats" in line]
if logged:
    w(f"polls the access log kept (slow or failed; {len(logged)}, first 5):")
    for line in logged[:5]:
        w("   " + line)
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
