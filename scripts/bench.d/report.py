#!/usr/bin/env python3
"""Turns the raw output of one scripts/bench guest run into the plain-text report.

usage: report.py RAW_DIR [KIND [SECONDS]]   (re-renders an old run from its raw directory)

Medians over the repetitions; the spread table gives min-max of the same runs. Only
ratios within this one boot mean anything (TCG guest), so no absolute figure is judged.
"""
import json
import os
import re
import statistics
import sys

JOBS = [
    ("randread-4k-qd1", "4k randread QD1", "read", True),
    ("randread-4k-qd32", "4k randread QD32", "read", False),
    ("randwrite-4k-qd1", "4k randwrite QD1", "write", True),
    ("randwrite-4k-qd32", "4k randwrite QD32", "write", False),
    ("read-128k-qd8", "128k seq read QD8", "read", False),
    ("write-128k-qd8", "128k seq write QD8", "write", False),
]
PAIRS = {
    "null": "null: ublkd null / null_blk",
    "ext4": "file on ext4: ublkd / loop dio",
    "tmpfs": "file on tmpfs: ublkd / loop dio",
}


def read_kv(path):
    kv = {}
    try:
        with open(path) as f:
            for line in f:
                key, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    kv[key] = value
    except OSError:
        pass
    return kv


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def one_run(path, direction):
    """IOPS, MiB/s, p50 and p99 completion latency (µs) of one fio JSON, or None."""
    try:
        with open(path) as f:
            text = f.read()
        # fio may print notes before the JSON document.
        data = json.loads(text[text.index("{"):])
        job = data["jobs"][0]
    except (OSError, ValueError, KeyError, IndexError):
        return None
    if job.get("error"):
        return None
    side = job[direction]
    pct = side.get("clat_ns", {}).get("percentile", {})
    p50 = pct.get("50.000000")
    p99 = pct.get("99.000000")
    return {
        "iops": side["iops"],
        "mibs": side["bw_bytes"] / 1048576.0,
        "p50": p50 / 1000.0 if p50 is not None else None,
        "p99": p99 / 1000.0 if p99 is not None else None,
    }


def runs_of(raw, pair, job, side, direction):
    found = []
    pat = re.compile(re.escape(f"{job}.{side}.") + r"(\d+)\.json$")
    try:
        names = os.listdir(os.path.join(raw, pair))
    except OSError:
        return found
    for name in sorted(names):
        if pat.match(name):
            r = one_run(os.path.join(raw, pair, name), direction)
            if r is not None:
                found.append(r)
    return found


def med(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def span(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return (min(vals), max(vals)) if vals else None


def fnum(v, kind):
    if v is None:
        return "-"
    if kind == "iops":
        return f"{v:,.0f}"
    if kind == "mibs":
        return f"{v:.1f}" if v < 100 else f"{v:.0f}"
    if kind == "us":
        return f"{v:.1f}" if v < 100 else f"{v:,.0f}"
    if kind == "ratio":
        return f"{v:.2f}"
    return str(v)


def ratio(a, b):
    return a / b if a is not None and b else None


def table(header, rows, right_from):
    """Aligned plain text: columns before right_from left-aligned, the rest right-aligned."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(r):
        cells = [str(c).ljust(w) if i < right_from else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(r, widths))]
        return "  ".join(cells).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def proc_info(path):
    """VmRSS/VmHWM in KiB and the threads' placement from a proc snapshot."""
    info = {"threads": []}
    for line in read_text(path).splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] in ("VmRSS:", "VmHWM:", "Threads:", "AnonHugePages:"):
            info[parts[0].rstrip(":")] = int(parts[1])
        elif parts[0] == "thread" and len(parts) >= 5:
            info["threads"].append({
                "tid": parts[1], "name": parts[2],
                "allowed": parts[3].partition("=")[2], "last_cpu": parts[4].partition("=")[2],
            })
    return info


def mib(kib):
    return f"{kib / 1024:.1f} MiB" if kib is not None else "?"


def main():
    raw = sys.argv[1]
    meta = read_kv(os.path.join(raw, "meta"))
    host = read_kv(os.path.join(raw, "host-meta"))
    kind = sys.argv[2] if len(sys.argv) > 2 else meta.get("kernel_kind", "?")
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else float(host.get("elapsed", 0) or 0)
    pairs = meta.get("pairs", "null ext4 tmpfs").split()
    lines = []
    say = lines.append

    say(f"ublkd benchmark, kernel {meta.get('kernel_release', '?')} ({kind});"
        f" ublkd from {host.get('revision', '?')}")
    say(f"wall time on the host: {f'{seconds / 60:.1f}' if seconds else '?'} min (VM boot to power-off and all);"
        f" guest measuring time: {int(meta.get('guest_seconds', 0)) / 60:.1f} min")
    try:
        cpus = int(host["host_cpus"])
        busy, total, own = (int(host[k]) for k in ("host_busy_ticks", "host_total_ticks", "own_ticks"))
        # jiffies of all CPUs over the run: total / cpus is the run's length in ticks
        span_ticks = total / cpus
        other = max(0, busy - own) / span_ticks
        say(f"host: {cpus} CPUs; this run's VM used {own / span_ticks:.2f} CPUs on average, other processes"
            f" {other:.2f} CPUs; other QEMU guests at start/end: {host.get('other_guests_start', '?')}"
            f"/{host.get('other_guests_end', '?')}"
            + ("  <- a busy host: expect noisy figures" if other > 0.25 or host.get("other_guests_start", "0") != "0"
               else ""))
    except (KeyError, ValueError, ZeroDivisionError):
        pass
    n_errors = len(read_text(os.path.join(raw, "errors")).split("\n")) - 1
    if n_errors > 0:
        say(f"*** {n_errors} ERROR(S) during the run: see ERRORS at the end ***")
    mem = meta.get("mem_total_kib")
    say(f"guest: {meta.get('cpus', '?')} vCPUs (QEMU TCG), {int(mem) // 1024 if mem else '?'} MiB;"
        f" {meta.get('fio', 'fio')} ioengine=io_uring direct=1, {meta.get('runtime', '?')} s"
        f" + {meta.get('ramp', '?')} s ramp, time_based")
    say(f"{meta.get('reps', '?')} reps per job and device, the two devices of a pair interleaved,"
        f" order alternated; figures are medians, spread table gives min-max")
    say(f"fio pinned to CPU {meta.get('fio_cpu', '?')} (taskset -c {meta.get('fio_cpu', '?')});"
        f" ublkd queue thread placed by the driver's queue affinity (below)")
    say(f"null_blk module parameters: {meta.get('null_blk_params', '?').strip()}")
    feats = read_text(os.path.join(raw, "features")).split()
    if feats:
        say(f"driver features (ublkd features): {feats[1] if len(feats) > 1 else feats[0]}")
    say("")

    for pair in pairs:
        d = os.path.join(raw, pair)
        setup = read_kv(os.path.join(d, "setup"))
        idle = proc_info(os.path.join(d, "proc-idle"))
        after = proc_info(os.path.join(d, "proc-after"))
        log = read_text(os.path.join(d, "ublkd.log"))
        io = re.search(r"ublk\.io=(\S+)", log)
        flags = re.search(r"ublk\.flags=(0x[0-9a-f]+ \[[^]]*\])", log)
        say(f"[{pair}] {PAIRS.get(pair, pair)}")
        if "ublkd" not in setup:
            say("  not measured (see ERRORS)")
            say("")
            continue
        ref = setup.get("ref", "?")
        extra = ""
        if "loop_dio" in setup:
            extra = f", loop dio={setup['loop_dio']}"
        if "backing_file" in setup:
            say(f"  backing file {setup['backing_file']} ({setup.get('backing_mib', '?')} MiB,"
                f" {setup.get('backing_fs', '?')}), written in full before measuring"
                + (f"; vda scheduler {setup['vda_scheduler']}" if "vda_scheduler" in setup else ""))
        say(f"  ublkd {setup.get('ublkd', '?')}: 1 queue x depth 128, I/O {io.group(1) if io else '?'},"
            f" lbs {setup.get('ublkd_lbs', '?')}, {setup.get('ublkd_nr_hw_queues', '?')} hw queue(s),"
            f" max_sectors_kb {setup.get('ublkd_max_sectors_kb', '?')}, scheduler {setup.get('ublkd_scheduler', '?')}")
        if flags:
            say(f"        flags granted by ADD_DEV: {flags.group(1)}")
        say(f"  ref   {ref}: lbs {setup.get('ref_lbs', '?')}, {setup.get('ref_nr_hw_queues', '?')} hw queue(s),"
            f" max_sectors_kb {setup.get('ref_max_sectors_kb', '?')}"
            + (f" (raised from {setup['ref_max_sectors_kb_default']})" if "ref_max_sectors_kb_default" in setup
               else f" (hw limit {setup.get('ref_max_hw_sectors_kb')})"
               if setup.get("ref_max_hw_sectors_kb") == setup.get("ref_max_sectors_kb") else "")
            + f", scheduler {setup.get('ref_scheduler', '?')}{extra}")
        say(f"  ublkd RSS (VmRSS): {mib(idle.get('VmRSS'))} idle after start, {mib(after.get('VmRSS'))}"
            f" after the runs; peak (VmHWM) {mib(after.get('VmHWM', idle.get('VmHWM')))}"
            f"; {after.get('Threads', idle.get('Threads', '?'))} threads")
        if "AnonHugePages" in after:
            say(f"        of which anonymous huge pages after the runs: {mib(after['AnonHugePages'])}"
                f" (transparent_hugepage: {meta.get('thp', '?')})")
        queue_threads = [t for t in after.get("threads") or idle.get("threads")
                         if re.match(r"ublk\d+q\d+$", t["name"])]
        samples = {}
        for line in read_text(os.path.join(d, "queue-cpu")).splitlines():
            parts = line.split()
            if len(parts) == 3:
                samples[parts[2]] = samples.get(parts[2], 0) + 1
        where = ", ".join(f"CPU {c} in {n}" for c, n in sorted(samples.items()))
        # io_uring hands what cannot be issued without blocking to io-wq workers, named
        # after the thread whose ring they serve: one of the queue thread means backing
        # I/O went through another thread (a worker of the main thread serves the control
        # ring, where the driver refuses non-blocking issue on some kernels).
        threads = after.get("threads") or idle.get("threads")
        names = {t["tid"]: t["name"] for t in threads}
        workers = [t for t in threads if t["name"].startswith("iou-wrk-")]
        if workers:
            say("  io_uring workers after the runs: " + ", ".join(
                f"{t['name']} (ring of thread {names.get(t['name'][len('iou-wrk-'):], '?')}, CPUs {t['allowed']})"
                for t in workers))
        for t in queue_threads:
            say(f"  queue thread {t['name']}: allowed CPUs {t['allowed']} (the driver's queue affinity);"
                f" mid-job it ran on {where or '?'} of {sum(samples.values())} jobs"
                f" (fio on CPU {meta.get('fio_cpu', '?')})")
        say("")

    rows, spread_rows = [], []
    for pair in pairs:
        for job, label, direction, qd1 in JOBS:
            u = runs_of(raw, pair, job, "ublkd", direction)
            r = runs_of(raw, pair, job, "ref", direction)
            if not u and not r:
                continue
            mu = {k: med(u, k) for k in ("iops", "mibs", "p50", "p99")}
            mr = {k: med(r, k) for k in ("iops", "mibs", "p50", "p99")}
            rows.append([
                pair, label,
                fnum(mu["iops"], "iops"), fnum(mr["iops"], "iops"), fnum(ratio(mu["iops"], mr["iops"]), "ratio"),
                fnum(mu["mibs"], "mibs"), fnum(mr["mibs"], "mibs"),
                fnum(mu["p50"], "us"), fnum(mu["p99"], "us"),
                fnum(mr["p50"], "us"), fnum(mr["p99"], "us"),
                fnum(ratio(mu["p99"], mr["p99"]), "ratio") if qd1 else "",
                f"{len(u)}/{len(r)}",
            ])

            def rng(runs, key, kind):
                s = span(runs, key)
                return f"{fnum(s[0], kind)}-{fnum(s[1], kind)}" if s else "-"

            def pct(runs):
                s, m = span(runs, "iops"), med(runs, "iops")
                return f"{(s[1] - s[0]) / m * 100:.0f}%" if s and m else "-"

            spread_rows.append([
                pair, label,
                rng(u, "iops", "iops"), pct(u), rng(r, "iops", "iops"), pct(r),
                rng(u, "p99", "us"), rng(r, "p99", "us"),
            ])

    say("Medians (u = ublkd, ref = null_blk for the null pair, loop with direct I/O for the file pairs;"
        " latencies are fio completion latency, µs)")
    say(table(["pair", "job", "u IOPS", "ref IOPS", "IOPS u/ref", "u MiB/s", "ref MiB/s",
               "u p50", "u p99", "ref p50", "ref p99", "p99 u/ref", "runs u/ref"], rows, 2))
    say("")
    say("Spread over the reps (min-max; % = (max-min)/median of IOPS)")
    say(table(["pair", "job", "u IOPS", "u %", "ref IOPS", "ref %", "u p99 µs", "ref p99 µs"],
              spread_rows, 2))

    errors = read_text(os.path.join(raw, "errors")).strip()
    if errors:
        say("")
        say("ERRORS:")
        say("\n".join("  " + e for e in errors.splitlines()))
    # Only what the kernel said while the benchmark ran: boot chatter is no finding.
    start = float(meta.get("start_uptime", 0) or 0)
    notable = []
    for l in read_text(os.path.join(raw, "dmesg")).splitlines():
        m = re.match(r"\[\s*(\d+\.\d+)\]", l)
        if m and float(m.group(1)) < start:
            continue
        if "detected capacity change" in l:
            continue
        if (re.search(r"ublk|I/O error|blk_update|hung_task|blocked for more than|timed out|null_blk|loop\d",
                      l, re.I) or re.search(r"BUG:|WARNING:|Call Trace|Oops", l)):
            notable.append(l)
    if notable:
        say("")
        say("guest kernel log during the runs, lines about block devices and errors:")
        say("\n".join("  " + l for l in notable[-40:]))
    if not os.path.exists(os.path.join(raw, "finished")):
        say("")
        say("INCOMPLETE: the guest did not finish its runs")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
