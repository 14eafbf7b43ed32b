#!/usr/bin/env bash
# ublkd's own systemd unit (dist/systemd/ublkd.service, hardening and all) under a real systemd as PID 1
# (scripts/vm-run --systemd): Type=notify start, a kill -9 that Restart=always answers, a planned restart, and a
# stop, with a file device whose data must survive all of it. Nothing the sandbox denies may show in the journal.
. "$(dirname "$0")/../lib.sh"

[ "${UBLKD_VM_SYSTEMD:-}" = 1 ] || { fail "not under systemd (run through vm-run --systemd)"; exit 1; }
bindir=$PWD/.build/install/release
[ -x "$bindir/ublkd" ] || bindir=$PWD/.build/debug
unit=/run/systemd/system/ublkd.service
sed "s|@BINDIR@|$bindir|g" dist/systemd/ublkd.service >"$unit"
systemctl daemon-reload
say "ublkd from $bindir under $(systemctl --version | head -1)"

# The scenario's own ending: delete what it made, stop the unit, keep the journal.
teardown() {
    if systemctl -q is-active ublkd; then
        api GET /devices
        local id
        for id in $(jq -r '.devices[].id' <<<"$BODY" 2>/dev/null); do api DELETE "/devices/$id"; done
        systemctl stop ublkd
    fi
    journalctl -u ublkd --no-pager -o short-monotonic >"$OUT/journal-ublkd.txt" 2>&1
}
active_and_answering() {  # waits for the unit to be active (READY=1 seen) and the API up
    local i
    for ((i = 0; i < 600; i++)); do
        systemctl -q is-active ublkd && [ "$(curl -s -o /dev/null -w '%{http_code}' "$API/health")" = 200 ] &&
            return 0
        sleep 0.1
    done
    return 1
}
main_pid() { systemctl show -p MainPID --value ublkd; }

started=$(date +%s.%N)
check "systemctl start returns with the unit active (Type=notify, READY=1)" systemctl start ublkd
say "start took $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $started }") s"
expect_eq "$(systemctl show -p ActiveState --value ublkd)" active "active after start"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$API/health")" 200 "the API answers once systemctl start returned"
status_text=$(systemctl show -p StatusText --value ublkd)
expect_eq "${status_text%%;*}" "0 devices" "STATUS= from the daemon ($status_text)"

mkdir -p "$WORK"
create_device "{\"name\":\"unit\",\"target\":\"file\",\"path\":\"$WORK/disk.img\",\"create\":true,\"size\":\"64MiB\"}"
head -c 8M /dev/urandom >"$OUT/pattern"
dd if="$OUT/pattern" of="$DEV" bs=1M oflag=direct conv=fsync status=none
check "data written" test $? -eq 0
want=$(sha256sum <"$OUT/pattern" | cut -d' ' -f1)
data_intact() { [ "$(head -c 8M "$DEV" | sha256sum | cut -d' ' -f1)" = "$want" ]; }
expect_eq "$(cat "/sys/block/${DEV#/dev/}/queue/io_timeout")" 3000 "the sandbox lets ublkd shorten the request timeout"

# A crash: systemd restarts ublkd (Restart=always) and the new process recovers the device.
old=$(main_pid)
systemctl kill -s SIGKILL --kill-whom=main ublkd
for ((i = 0; i < 300; i++)); do
    [ "$(main_pid)" != "$old" ] && [ "$(main_pid)" != 0 ] && break
    sleep 0.1
done
check "systemd restarted ublkd after SIGKILL" active_and_answering
expect_eq "$(systemctl show -p NRestarts --value ublkd)" 1 "NRestarts counts the crash"
wait_state "$DEV_ID" live 60
api GET "/devices/$DEV_ID"
expect_eq "$(field .last_recovery.kind)" crash_recovery "the restarted daemon recovered the device"
check "data intact after the crash" data_intact

# A planned restart: SIGTERM hands the device over (STOPPING=1), the next start takes it back.
check "systemctl restart" systemctl restart ublkd
check "active after restart" active_and_answering
wait_state "$DEV_ID" live 60
check "data intact after the restart" data_intact
check "I/O works under the sandbox after restart" dd if=/dev/zero of="$DEV" bs=4k count=256 seek=4096 oflag=direct \
    status=none

# The sandbox denied nothing ublkd needed.
journal=$(journalctl -u ublkd --no-pager 2>&1)
denials=$(grep -iE "operation not permitted|permission denied|EPERM|EACCES|seccomp|read-only file system" \
    <<<"$journal" | head -5)
expect_eq "$denials" "" "no denial in ublkd's journal"
security=$(systemd-analyze security ublkd --no-pager 2>/dev/null | tail -1)
say "systemd-analyze security: $security"

check "systemctl stop" systemctl stop ublkd
expect_eq "$(systemctl show -p Result --value ublkd)" success "the stop ended in success (exit 0 on SIGTERM)"
expect_eq "$(kernel_devices)" "ublkc$DEV_ID " "the handed-over device stays in the kernel while ublkd is stopped"
systemctl start ublkd && active_and_answering
finish
