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
    # Two submitters, one per CPU (only when BENCH_JOBS names them): the queues-per-CPU question.
    ("randread-4k-qd32-2j", "4k randread QD32 x2 jobs", "read", False),
    ("randwrite-4k-qd32-2j", "4k randwrite QD32 x2 jobs", "write", False),
    ("randread-4k-qd1-2j", "4k randread QD1 x2 jobs", "read", True),
]
PAIRS = {
    "null": "null: ublkd null target, ublksrv null / null_blk",
    "ext4": "file on ext4: ublkd file target, ublksrv loop / kernel loop with direct I/O",
    "tmpfs": "file on tmpfs: ublkd file target, ublksrv loop / kernel loop with direct I/O",
    "nbd": "nbdkit memory export on loopback TCP: ublkd nbd target / the kernel's nbd driver (nbd-client)",
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


def syscalls_per_io(pairdir, job, mode):
    """Per rep: delta(ring_enters) / delta(requests served) between the stats taken around the run."""
    per = []
    pat = re.compile(re.escape(f"{job}.{mode}.") + r"(\d+)\.stats-0$")
    try:
        names = sorted(os.listdir(pairdir))
    except OSError:
        return per
    for name in names:
        m = pat.match(name)
        if not m:
            continue
        try:
            with open(os.path.join(pairdir, name)) as f:
                a = json.load(f)
            with open(os.path.join(pairdir, name[:-1] + "1")) as f:
                b = json.load(f)
        except (OSError, ValueError):
            continue
        keys = ("reads", "writes", "flushes", "discards", "write_zeroes")
        ios = sum(b.get(k, 0) - a.get(k, 0) for k in keys)
        enters = b.get("ring_enters", 0) - a.get("ring_enters", 0)
        if ios > 0 and "ring_enters" in b:
            per.append(enters / ios)
    return per


# Issue 7's goals: (label, pair, job, measure, goal on newest, goal on stable, higher is better, against)
GOALS = [
    ("file 4k randread QD32 IOPS vs loop", "ext4", "randread-4k-qd32", "iops", 1.5, 1.3, True, "ref"),
    ("file 4k randwrite QD32 IOPS vs loop", "ext4", "randwrite-4k-qd32", "iops", 1.4, 1.2, True, "ref"),
    ("file 128k seq read bandwidth vs loop", "ext4", "read-128k-qd8", "mibs", 1.0, 0.9, True, "ref"),
    ("file 128k seq write bandwidth vs loop", "ext4", "write-128k-qd8", "mibs", 1.0, 0.9, True, "ref"),
    ("file 4k randread QD1 p99 latency vs loop", "ext4", "randread-4k-qd1", "p99", 1.0, 1.3, False, "ref"),
    ("file 4k randread QD32 IOPS vs ublksrv loop", "ext4", "randread-4k-qd32", "iops", 1.1, 1.1, True, "ublksrv"),
    ("file 4k randwrite QD32 IOPS vs ublksrv loop", "ext4", "randwrite-4k-qd32", "iops", 1.1, 1.1, True, "ublksrv"),
    ("null 4k randread QD32 IOPS vs ublksrv null", "null", "randread-4k-qd32", "iops", 1.1, 1.1, True, "ublksrv"),
    ("null 4k randwrite QD32 IOPS vs ublksrv null", "null", "randwrite-4k-qd32", "iops", 1.1, 1.1, True, "ublksrv"),
    ("nbd 4k randread QD32 IOPS vs kernel nbd", "nbd", "randread-4k-qd32", "iops", 1.3, 1.3, True, "ref"),
    ("nbd 4k randwrite QD32 IOPS vs kernel nbd", "nbd", "randwrite-4k-qd32", "iops", 1.3, 1.3, True, "ref"),
    ("nbd 4k randread QD1 p99 latency vs kernel nbd", "nbd", "randread-4k-qd1", "p99", 1.0, 1.0, False, "ref"),
]


def goals(say, kind, modes, has_srv, medians):
    say(f"Goals on this kernel ({kind}; 'file' = the backing file on ext4 on the virtio disk)")
    rows = []
    for label, pair, job, key, g_new, g_stable, higher, against in GOALS:
        goal = g_new if kind == "newest" else g_stable
        for m in modes:
            md = medians.get((pair, job))
            if against == "ublksrv" and not has_srv:
                rows.append([label, m, f"{'>=' if higher else '<='} {goal:.2f}", "-", "not measured"])
                continue
            r = ratio(md[m][key], md[against][key]) if md else None
            if r is None:
                verdict = "not measured"
            else:
                verdict = "met" if (r >= goal if higher else r <= goal) else "not met"
            rows.append([label, m, f"{'>=' if higher else '<='} {goal:.2f}", fnum(r, "ratio"), verdict])
    say(table(["goal", "ublkd io_mode", "goal ratio", "reached", "verdict"], rows, 2))


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
    say(f"{meta.get('reps', '?')} reps per job and device, the devices of a pair interleaved,"
        f" order rotated; figures are medians, spread table gives min-max")
    say(f"fio pinned to CPU {meta.get('fio_cpu', '?')} (taskset -c {meta.get('fio_cpu', '?')});"
        f" ublkd queue threads placed by the driver's queue affinity (pin_queues default; below)")
    say(f"null_blk module parameters: {meta.get('null_blk_params', '?').strip()}")
    feats = read_text(os.path.join(raw, "features")).split()
    if feats:
        say(f"driver features (ublkd features): {feats[1] if len(feats) > 1 else feats[0]}")
    say("")

    modes = read_text(os.path.join(raw, "modes")).split() or ["copy"]
    has_srv = bool(meta.get("ublksrv"))
    say(f"ublkd io_modes measured: {', '.join(modes)} (one daemon per mode, devices made through its REST API);"
        + (f" ublksrv: {meta['ublksrv']} {meta.get('ublksrv_args', '')}".rstrip() if has_srv else " ublksrv: not measured (BENCH_UBLKSRV unset)"))
    say("")
    for pair in pairs:
        d = os.path.join(raw, pair)
        setup = read_kv(os.path.join(d, "setup"))
        say(f"[{pair}] {PAIRS.get(pair, pair)}")
        if "sides" not in setup:
            say("  not measured (see ERRORS)")
            say("")
            continue
        if "backing_file" in setup:
            say(f"  backing file {setup['backing_file']} ({setup.get('backing_mib', '?')} MiB,"
                f" {setup.get('backing_fs', '?')}), written in full before measuring"
                + (f"; vda scheduler {setup['vda_scheduler']}" if "vda_scheduler" in setup else ""))
        for side in setup["sides"].split():
            if side == "direct":
                say(f"  file    {setup.get(side, '?')}: fio straight on the backing file (O_DIRECT)")
                continue
            label = {"ref": "ref    ", "ublksrv": "ublksrv"}.get(side, f"ublkd {side}")
            extra = ""
            if side in modes:
                try:
                    with open(os.path.join(d, f"device-{side}.json")) as f:
                        dev = json.load(f)
                    extra = (f", io_mode {dev.get('io_mode')}, batch_io {str(dev.get('batch_io', False)).lower()},"
                             f" queue_threads {dev.get('queue_threads', 1)},"
                             f" backing I/O {dev.get('backing_io')}, pin_queues {str(dev.get('pin_queues')).lower()}")
                except (OSError, ValueError):
                    extra = ", device JSON missing"
            if side == "ref" and "loop_dio" in setup:
                extra = f", loop dio={setup['loop_dio']}"
            say(f"  {label} {setup.get(side, '?')}: lbs {setup.get(side + '_lbs', '?')},"
                f" {setup.get(side + '_nr_hw_queues', '?')} hw queue(s),"
                f" max_sectors_kb {setup.get(side + '_max_sectors_kb', '?')},"
                f" scheduler {setup.get(side + '_scheduler', '?')}{extra}")
        if "ref_max_sectors_kb_default" in setup:
            say(f"  (ref max_sectors_kb raised from {setup['ref_max_sectors_kb_default']} to match ublkd)")
        for m in modes:
            after = proc_info(os.path.join(d, f"proc-{m}-after"))
            samples = {}
            for line in read_text(os.path.join(d, f"queue-cpu-{m}")).splitlines():
                parts = line.split()
                if len(parts) == 3:
                    samples[parts[2]] = samples.get(parts[2], 0) + 1
            where = ", ".join(f"CPU {c} in {n}" for c, n in sorted(samples.items()))
            for t in after.get("threads", []):
                if re.match(r"ublk\d+q\d+(t\d+)?$", t["name"]):
                    say(f"  {m} queue thread {t['name']}: allowed CPUs {t['allowed']}; mid-job it ran on"
                        f" {where or '?'} of {sum(samples.values())} jobs (fio on CPU {meta.get('fio_cpu', '?')})")
            workers = [t for t in after.get("threads", []) if t["name"].startswith("iou-wrk-")]
            if workers:
                say(f"  {m} daemon io_uring workers after the runs: {len(workers)}")
        say("")

    def runs(pair, job, side, direction):
        return runs_of(raw, pair, job, side, direction)

    # Throughput: every side against the kernel's driver, and ublkd against ublksrv.
    header = ["pair", "job", "ref IOPS"]
    for m in modes:
        header += [f"{m} IOPS", f"{m}/ref"]
    if has_srv:
        header += ["ublksrv IOPS", "ublksrv/ref"] + [f"{m}/ublksrv" for m in modes]
    header += ["runs"]
    rows, lat_rows, spread_rows, sys_rows = [], [], [], []
    medians = {}
    sides_all = ["ref"] + modes + (["ublksrv"] if has_srv else [])
    for pair in pairs:
        for job, label, direction, qd1 in JOBS:
            got = {side: runs(pair, job, side, direction) for side in sides_all}
            if not any(got.values()):
                continue
            m_ = {side: {k: med(got[side], k) for k in ("iops", "mibs", "p50", "p99")} for side in sides_all}
            medians[(pair, job)] = m_
            row = [pair, label, fnum(m_["ref"]["iops"], "iops")]
            for m in modes:
                row += [fnum(m_[m]["iops"], "iops"), fnum(ratio(m_[m]["iops"], m_["ref"]["iops"]), "ratio")]
            if has_srv:
                row += [fnum(m_["ublksrv"]["iops"], "iops"),
                        fnum(ratio(m_["ublksrv"]["iops"], m_["ref"]["iops"]), "ratio")]
                row += [fnum(ratio(m_[m]["iops"], m_["ublksrv"]["iops"]), "ratio") for m in modes]
            row.append("/".join(str(len(got[s])) for s in sides_all))
            rows.append(row)
            lrow = [pair, label, fnum(m_["ref"]["p50"], "us"), fnum(m_["ref"]["p99"], "us")]
            for m in modes:
                lrow += [fnum(m_[m]["p50"], "us"), fnum(m_[m]["p99"], "us"),
                         fnum(ratio(m_[m]["p99"], m_["ref"]["p99"]), "ratio")]
            if has_srv:
                lrow += [fnum(m_["ublksrv"]["p99"], "us")]
            lrow += [fnum(m_["ref"]["mibs"], "mibs")] + [fnum(m_[m]["mibs"], "mibs") for m in modes]
            lat_rows.append(lrow)

            def rng(rs, key, kind):
                sp = span(rs, key)
                return f"{fnum(sp[0], kind)}-{fnum(sp[1], kind)}" if sp else "-"

            def pct(rs):
                sp, mm = span(rs, "iops"), med(rs, "iops")
                return f"{(sp[1] - sp[0]) / mm * 100:.0f}%" if sp and mm else "-"

            srow = [pair, label]
            for side in sides_all:
                srow += [rng(got[side], "iops", "iops"), pct(got[side])]
            spread_rows.append(srow)
            syrow = [pair, label]
            for m in modes:
                per = syscalls_per_io(os.path.join(raw, pair), job, m)
                syrow += [f"{statistics.median(per):.2f}" if per else "-",
                          f"{min(per):.2f}-{max(per):.2f}" if per else "-"]
            sys_rows.append(syrow)

    say("IOPS medians (ref = null_blk for the null pair, loop with direct I/O for the file pairs, the kernel's nbd"
        " driver for the nbd pair;"
        " x/y = ratio of medians; for the 128k jobs the IOPS ratio is the bandwidth ratio)")
    say(table(header, rows, 2))
    say("")
    lheader = ["pair", "job", "ref p50", "ref p99"]
    for m in modes:
        lheader += [f"{m} p50", f"{m} p99", f"p99 {m}/ref"]
    if has_srv:
        lheader += ["ublksrv p99"]
    lheader += ["ref MiB/s"] + [f"{m} MiB/s" for m in modes]
    say("Completion latency medians (µs) and bandwidth")
    say(table(lheader, lat_rows, 2))
    say("")
    say("Syscalls per I/O of ublkd (io_uring_enter calls of the queue loop / requests served, from the stats'"
        " ring_enters before and after each run; median and min-max over the reps)")
    sheader = ["pair", "job"]
    for m in modes:
        sheader += [f"{m} syscalls/IO", f"{m} range"]
    say(table(sheader, sys_rows, 2))
    say("")
    say("Daemon memory per device (VmRSS of the mode's daemon after the pair's jobs, less its VmRSS just before"
        " the pair's device was created, over 1 device; queues 1 x depth 128, max I/O 512 KiB)")
    rss_rows = []
    for pair in pairs:
        for m in modes:
            before = proc_info(os.path.join(raw, pair, f"proc-{m}-before"))
            after = proc_info(os.path.join(raw, pair, f"proc-{m}-after"))
            if "VmRSS" not in after or "VmRSS" not in before:
                continue
            rss_rows.append([pair, m, mib(before["VmRSS"]), mib(after["VmRSS"]),
                             mib(after["VmRSS"] - before["VmRSS"]), mib(after.get("VmHWM")),
                             mib(after.get("AnonHugePages"))])
    say(table(["pair", "mode", "RSS before", "RSS after", "RSS per device", "peak VmHWM", "anon huge pages"],
              rss_rows, 2))
    say("")
    # The file pairs also ran each job straight on the backing file: how much of what the file gives does each
    # block device pass on? A device can pass the file's own figure only by skipping work (caching, merging).
    c_header = ["pair", "job", "file IOPS", "ref/file"] + [f"{m}/file" for m in modes]
    if has_srv:
        c_header += ["ublksrv/file"]
    c_rows = []
    for pair in pairs:
        for job, label, direction, _ in JOBS:
            direct = runs(pair, job, "direct", direction)
            md = medians.get((pair, job))
            if not direct or not md:
                continue
            d_iops = med(direct, "iops")
            row = [pair, label, fnum(d_iops, "iops"), fnum(ratio(md["ref"]["iops"], d_iops), "ratio")]
            row += [fnum(ratio(md[m]["iops"], d_iops), "ratio") for m in modes]
            if has_srv:
                row += [fnum(ratio(md["ublksrv"]["iops"], d_iops), "ratio")]
            c_rows.append(row)
    if c_rows:
        say("Against the backing file itself (file = the same job with fio straight on the backing file, O_DIRECT,"
            " interleaved with the others; x/file = share of the file's IOPS the block device passes on)")
        say(table(c_header, c_rows, 2))
        say("")
    say("Spread over the reps (IOPS min-max; % = (max-min)/median)")
    sp_header = ["pair", "job"]
    for side in sides_all:
        sp_header += [side, "%"]
    say(table(sp_header, spread_rows, 2))
    say("")
    goals(say, kind, modes, has_srv, medians)
    say("")

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
