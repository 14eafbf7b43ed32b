"""Tests run on the host against a real ublkd inside the VM (scripts/vm-tests/live/run-live starts both).

They use what an operator would: the REST API, a Prometheus text parser, a real browser (Chromium), and
schemathesis against api/openapi.yaml. Device I/O comes from fio inside the guest, started through guest-serve's
control port. Environment (set by run-live): LIVE_URL, LIVE_CONTROL_PORT, LIVE_TOKEN, LIVE_OUT, LIVE_KERNEL,
LIVE_SPEC.
"""
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

URL = os.environ["LIVE_URL"]
CONTROL_PORT = int(os.environ["LIVE_CONTROL_PORT"])
TOKEN = os.environ["LIVE_TOKEN"]
OUT = os.environ["LIVE_OUT"]
KERNEL = os.environ.get("LIVE_KERNEL", "?")
SPEC = os.environ.get("LIVE_SPEC", "api/openapi.yaml")

session = requests.Session()
session.headers["Authorization"] = f"Bearer {TOKEN}"


def report(name, text):
    """Figures for the closing note: printed, and kept with the logs."""
    print(text)
    with open(os.path.join(OUT, name), "a") as file:
        file.write(text + "\n")


def control(command):
    """One command on guest-serve's control port; returns its answer lines."""
    with socket.create_connection(("127.0.0.1", CONTROL_PORT), timeout=30) as connection:
        # No shutdown of the sending side: socat would close the whole connection half a second after that EOF,
        # which can be before a slow (emulated) guest has answered.
        connection.sendall((command + "\n").encode())
        data = b""
        while chunk := connection.recv(4096):
            data += chunk
    return data.decode().split()


def kernel_devices():
    return sorted(int(x) for x in control("kernel-devices"))


def api(method, path, body=None, expect=None):
    response = session.request(method, URL + path, json=body, timeout=120)
    if expect is not None:
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
    return response


def stats(device_id):
    return api("GET", f"/devices/{device_id}/stats", expect=200).json()


def scrape():
    response = api("GET", "/metrics", expect=200)
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def sample(families, family, sample_name, **labels):
    for s in families[family].samples:
        if s.name == sample_name and all(s.labels.get(k) == str(v) for k, v in labels.items()):
            return s.value
    raise AssertionError(f"no sample {sample_name}{labels} in /metrics")


@pytest.fixture(scope="module")
def devices():
    """A file device with fio running on it, and an idle null device."""
    file_device = api("POST", "/devices", {"name": "live-file", "target": "file", "path": "/srv/files/live.img",
                                          "create": True, "size": "256MiB"}, expect=201).json()
    null_device = api("POST", "/devices", {"name": "live-null", "target": "null", "size": "1GiB"},
                      expect=201).json()
    assert control(f"fio {file_device['id']} 90") == ["started"]
    deadline = time.time() + 60
    while time.time() < deadline:
        current = stats(file_device["id"])
        if current["reads"] > 0 and current["writes"] > 0:
            break
        time.sleep(0.5)
    else:
        pytest.fail("fio did not start doing I/O on the file device")
    yield file_device, null_device


def test_metrics_match_stats_and_only_grow_while_fio_runs(devices):
    file_device, null_device = devices
    labels = {"id": file_device["id"], "name": "live-file", "target": "file"}
    pairs = [("ublkd_device_reads", "ublkd_device_reads_total", "reads"),
             ("ublkd_device_writes", "ublkd_device_writes_total", "writes"),
             ("ublkd_device_read_bytes", "ublkd_device_read_bytes_total", "read_bytes"),
             ("ublkd_device_written_bytes", "ublkd_device_written_bytes_total", "write_bytes")]
    previous = None
    first = last = None
    durations = []
    for _ in range(5):
        before = stats(file_device["id"])
        started = time.perf_counter()
        families = scrape()
        durations.append(time.perf_counter() - started)
        after = stats(file_device["id"])
        assert families["ublkd_device_reads"].type == "counter"
        assert families["ublkd_device_in_flight_requests"].type == "gauge"
        assert families["ublkd_http_request_duration_seconds"].type == "histogram"
        values = {}
        for family, name, key in pairs:
            value = sample(families, family, name, **labels)
            # The scrape read the same atomics /stats reads, between the two /stats calls.
            assert before[key] <= value <= after[key], f"{name}: {before[key]} <= {value} <= {after[key]}"
            values[name] = value
        if previous:
            for name, value in values.items():
                assert value >= previous[name], f"{name} went down: {previous[name]} -> {value}"
        previous = values
        first = first or values
        last = values
        assert sample(families, "ublkd_device_state", "ublkd_device_state", state="live", **labels) == 1
        assert sample(families, "ublkd_device_state", "ublkd_device_state", state="failed", **labels) == 0
        assert sample(families, "ublkd_device_size_bytes", "ublkd_device_size_bytes", **labels) == 256 << 20
        null_labels = {"id": null_device["id"], "name": "live-null", "target": "null"}
        assert sample(families, "ublkd_device_reads", "ublkd_device_reads_total", **null_labels) >= 0
        assert sample(families, "ublkd_driver_available", "ublkd_driver_available") == 1
        time.sleep(1)
    assert last["ublkd_device_writes_total"] > first["ublkd_device_writes_total"], "fio's writes were not counted"
    stats_requests = sample(scrape(), "ublkd_http_requests", "ublkd_http_requests_total", method="GET",
                            route="/devices/{id}/stats", status="200")
    assert stats_requests >= 10
    report("metrics.txt", f"{KERNEL}: /metrics with 2 devices under fio: median scrape "
                          f"{statistics.median(durations) * 1000:.1f} ms (5 scrapes, host side, through the forward)")


def test_crash_recovery_is_counted_and_io_resumes(devices):
    """kill -9 under fio, a restart as systemd would do it: both devices come back by user recovery, the
    recoveries show in /metrics (counter and histogram) and in each device's last_recovery, and fio's I/O goes on."""
    file_device, null_device = devices
    assert control("crash") == ["restarted"]
    deadline = time.time() + 120
    while time.time() < deadline:
        views = api("GET", "/devices", expect=200).json()["devices"]
        if all(v["state"] == "live" for v in views if v["id"] in (file_device["id"], null_device["id"])):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the devices did not come back: {views}")
    families = scrape()
    recovered = sample(families, "ublkd_recoveries", "ublkd_recoveries_total", kind="crash_recovery", outcome="ok")
    assert recovered == 2
    assert sample(families, "ublkd_recovery_duration_seconds", "ublkd_recovery_duration_seconds_count",
                  kind="crash_recovery", outcome="ok") == 2
    for device in (file_device, null_device):
        view = api("GET", f"/devices/{device['id']}", expect=200).json()
        assert view["last_recovery"]["kind"] == "crash_recovery" and view["last_recovery"]["outcome"] == "ok"
    first = stats(file_device["id"])
    time.sleep(2)
    assert stats(file_device["id"])["writes"] > first["writes"], "fio's writes did not resume after recovery"
    report("metrics.txt", f"{KERNEL}: crash under fio: 2 devices recovered, "
                          f"recovery histogram sum {sample(families, 'ublkd_recovery_duration_seconds', 'ublkd_recovery_duration_seconds_sum', kind='crash_recovery', outcome='ok'):.3f} s")


def test_status_page_in_chromium(devices):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    file_device, null_device = devices
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1800,480"]:
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        browser.get(URL + "/")
        wait = WebDriverWait(browser, 60)
        # A daemon with a token: the page asks for it before it shows anything.
        login = wait.until(lambda b: b.find_element(By.ID, "login") if b.find_element(By.ID, "login").is_displayed()
                           else None)
        browser.find_element(By.ID, "token").send_keys(TOKEN)
        login.find_element(By.CSS_SELECTOR, "button").click()

        def row(device_id):
            rows = browser.find_elements(By.CSS_SELECTOR, f"#devices tbody tr[data-id='{device_id}']")
            return rows[0] if rows else None

        wait.until(lambda b: row(file_device["id"]) and row(null_device["id"]))
        assert len(browser.find_elements(By.CSS_SELECTOR, "#devices tbody tr")) >= 2
        file_row = row(file_device["id"])
        assert file_row.find_element(By.CSS_SELECTOR, "td.name").text == "live-file"
        assert file_row.find_element(By.CSS_SELECTOR, "td.state").text == "live"
        assert file_row.find_element(By.CSS_SELECTOR, "td.block").text == file_device["block_device"]
        assert row(null_device["id"]).find_element(By.CSS_SELECTOR, "td.target").text == "null"
        # The crash test before this one left its mark.
        assert file_row.find_element(By.CSS_SELECTOR, "td.recovery").text.startswith("crash_recovery, ok")

        def total_ios():
            value = row(file_device["id"]).find_element(By.CSS_SELECTOR, "td.ios").get_attribute("data-value")
            return int(value) if value else None

        wait.until(lambda b: total_ios() is not None)
        first = total_ios()
        wait.until(lambda b: total_ios() > first)
        # Rates need two samples; fio keeps both read and write IOPS above zero.
        wait.until(lambda b: row(file_device["id"]).find_element(By.CSS_SELECTOR, "td.riops").text not in ("", "–"))
        riops = float(row(file_device["id"]).find_element(By.CSS_SELECTOR, "td.riops").text.replace(",", ""))
        assert riops > 0
        wait.until(lambda b: b.find_element(By.ID, "health-status").text == "ok")
        assert not browser.find_element(By.ID, "message").is_displayed(), \
            browser.find_element(By.ID, "message").text
        time.sleep(3)  # a few chart points for the screenshot
        path = os.path.join(OUT, f"status-page-{KERNEL}.png")
        browser.save_screenshot(path)
        report("browser.txt", f"{KERNEL}: status page rendered 2 device rows, I/O counter {first} -> "
                              f"{total_ios()}, read IOPS shown {riops}; screenshot {path}")
    finally:
        browser.quit()


def test_scrape_time_with_32_devices(devices):
    present = len(api("GET", "/devices", expect=200).json()["devices"])
    made = []
    for n in range(32 - present):
        made.append(api("POST", "/devices", {"name": f"scrape-{n}", "target": "null", "size": "1GiB",
                                             "queue_depth": 16}, expect=201).json()["id"])
    assert len(api("GET", "/devices", expect=200).json()["devices"]) == 32
    durations = []
    for _ in range(20):
        started = time.perf_counter()
        text = api("GET", "/metrics", expect=200).text
        durations.append(time.perf_counter() - started)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert len({s.labels["id"] for s in families["ublkd_device_reads"].samples}) == 32
    # The same path for the lightest request, so the figure can be read apart from emulation and forwarding.
    baseline = []
    for _ in range(20):
        started = time.perf_counter()
        api("GET", "/health", expect=200)
        baseline.append(time.perf_counter() - started)
    durations.sort()
    report("metrics.txt", f"{KERNEL}: /metrics with 32 devices: median {statistics.median(durations) * 1000:.1f} ms,"
                          f" max {durations[-1] * 1000:.1f} ms over 20 scrapes, {len(text)} bytes; GET /health "
                          f"median {statistics.median(baseline) * 1000:.1f} ms (TCG guest, host side through the "
                          f"forward)")
    for device_id in made:
        api("DELETE", f"/devices/{device_id}", expect=204)


def test_schemathesis_contract(devices):
    """The spec, fuzzed: no 5xx, every answer as documented, and nothing left half-made."""
    control_before = kernel_devices()
    stored_before = {d["id"]: d for d in api("GET", "/devices", expect=200).json()["devices"]}
    report_path = os.path.join(OUT, f"schemathesis-{KERNEL}.xml")
    command = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run", SPEC, "--url", URL,
        "-H", f"Authorization: Bearer {TOKEN}", "--max-examples", "30", "--seed", "20261126",
        "--checks", "all",
        # The schema cannot say "the backing file exists", "a multiple of the block size", "at most the CPU count"
        # or "at most half the RAM"; those valid-looking requests are refused with typed 4xx errors on purpose.
        "--exclude-checks", "positive_data_acceptance",
        "--workers", "1", "--no-color", "--generation-database", "none", "--request-timeout", "120",
        "--report", "junit", "--report-junit-path", report_path,
    ]
    started = time.time()
    result = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    with open(os.path.join(OUT, f"schemathesis-{KERNEL}.txt"), "w") as file:
        file.write(result.stdout + result.stderr)
    summary = re.search(r"(\d+) generated, (\d+) found (\d+) unique failure|(\d+) generated, (\d+) passed",
                        result.stdout)
    report("schemathesis.txt", f"{KERNEL}: schemathesis exit {result.returncode} in {time.time() - started:.0f} s: "
                               f"{summary.group(0) if summary else 'no summary line'}")
    assert result.returncode == 0, result.stdout[-6000:]

    # Nothing half-made: every stored device is live (with its kernel device) or stopped (without one), and the
    # kernel holds no device the store does not know. (The fuzzer may have deleted the fio devices and reused
    # their ids; that is allowed.)
    stored = {d["id"]: d for d in api("GET", "/devices", expect=200).json()["devices"]}
    for device_id, device in stored.items():
        assert device["state"] in ("live", "stopped"), f"device {device_id} left {device['state']}: {device}"
    assert sorted(i for i, d in stored.items() if d["state"] == "live") == kernel_devices()
    assert api("GET", "/health", expect=200).json()["unmanaged_devices"] == []
    report("schemathesis.txt", f"{KERNEL}: after the run: {len(stored)} stored device(s) "
                               f"({len(set(stored) - set(stored_before))} new), kernel devices {kernel_devices()} "
                               f"(before: {control_before})")
    # Everything the run made goes; the kernel ends with no ublk device.
    for device_id in stored:
        api("DELETE", f"/devices/{device_id}", expect=204)
    assert api("GET", "/devices", expect=200).json()["devices"] == []
    assert kernel_devices() == []
