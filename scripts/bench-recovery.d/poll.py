#!/usr/bin/env python3
"""Times one daemon start for scripts/bench-recovery (runs in the guest).

Started *before* the daemon it times: Python takes a second or more to start under TCG
over 9p, longer than some recoveries, so a poller started after the daemon could first
look when the devices were long live. It says it is ready (--ready), then waits for the
guest script to write --go: key=value lines (t_start, the epoch time just before the new
daemon was forked; optionally t_signal, t_exit, exit_status of the old one) ending with
"end". From then on it polls GET /devices until every expected device is live or none
can change any more, and appends one JSON line to --out with the timings and what the
daemon said about how each device came back. It judges nothing: the host's report does.
"""
import argparse
import json
import os
import time
import urllib.error
import urllib.request

# Short enough that the poll interval is small against any recovery seen under TCG,
# long enough that the poller does not take a vCPU from the daemon it measures.
POLL_S = 0.02
# States a device leaves without anyone's help (start-up reconciliation runs before the
# API answers, so normally the first answer is already final).
TRANSIENT = {"creating", "recovering", "quiesced"}


def get(url, timeout):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def read_go(path, deadline):
    while time.time() < deadline:
        try:
            with open(path) as f:
                text = f.read()
        except FileNotFoundError:
            text = ""
        lines = text.splitlines()
        if lines and lines[-1] == "end":
            return dict(l.split("=", 1) for l in lines[:-1] if "=" in l)
        time.sleep(0.005)
    return None


def dead(pid):
    # A dead child of the guest script stays a zombie until the script waits for it,
    # and kill(pid, 0) succeeds on a zombie.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, IndexError):
        return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--go", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--label", required=True, help="JSON object merged into the result")
    ap.add_argument("--ids", required=True, help="space-separated device ids that must come back")
    ap.add_argument("--timeout", type=float, default=180)
    a = ap.parse_args()

    res = json.loads(a.label)
    ids = [int(i) for i in a.ids.split()]
    res["ids"] = ids
    errors = []
    # Warm the code paths used while timing, so that their first use does not count.
    try:
        get(a.api + "/health", 0.5)
    except Exception:
        pass
    open(a.ready, "w").close()

    go = read_go(a.go, time.time() + a.timeout)
    if go is None:
        res["errors"] = ["the guest script never started the daemon"]
        with open(a.out, "a") as f:
            f.write(json.dumps(res) + "\n")
        return
    for k in ("t_signal", "t_exit", "t_start"):
        if go.get(k):
            res[k] = float(go[k])
    if go.get("exit_status"):
        res["exit_status"] = int(go["exit_status"])
    pid = int(go["pid"])
    t0 = res["t_start"]
    deadline = t0 + a.timeout
    states = {}
    devices = {}
    polls = 0
    while True:
        now = time.time()
        if now > deadline:
            errors.append(f"not every device live {a.timeout:.0f}s after the start")
            break
        try:
            body = get(a.api + "/devices", 10)
            polls += 1
            res.setdefault("t_api", time.time())
            devices = {d["id"]: d for d in body.get("devices", [])}
            states = {i: devices[i]["state"] if i in devices else "absent" for i in ids}
            if all(s == "live" for s in states.values()):
                res["t_live"] = time.time()
                break
            if not any(s in TRANSIENT for s in states.values()):
                # failed, stopped or absent: nothing will change by itself
                break
        except urllib.error.HTTPError as e:
            res.setdefault("t_api", time.time())
            msg = f"GET /devices answered {e.code}"
            if msg not in errors:
                errors.append(msg)
        except (urllib.error.URLError, ConnectionError, OSError, ValueError) as e:
            if "t_api" in res:
                msg = f"the API stopped answering after it had answered: {e}"
                if msg not in errors:
                    errors.append(msg)
            if dead(pid):
                errors.append("the daemon exited during start-up")
                break
        time.sleep(POLL_S)
    res["polls"] = polls
    res["states"] = {str(i): s for i, s in states.items()}
    hows = {}
    for i in ids:
        d = devices.get(i)
        if not d:
            continue
        lr = d.get("last_recovery") or {}
        key = f'{lr.get("kind", "none")}/{lr.get("outcome", "-")}: {lr.get("detail") or lr.get("error") or ""}'
        hows[key] = hows.get(key, 0) + 1
        if d.get("error"):
            errors.append(f'device {i}: {d["error"]}')
    res["how"] = hows
    try:
        res["last_start"] = get(a.api + "/health", 10).get("last_start")
    except Exception as e:
        errors.append(f"GET /health failed: {e}")
    res["errors"] = errors
    with open(a.out, "a") as f:
        f.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
