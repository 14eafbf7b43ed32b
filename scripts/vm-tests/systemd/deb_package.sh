#!/usr/bin/env bash
# The Debian package as an operator uses it, under systemd as PID 1 (vm-run --systemd: a writable root over the
# host's): `apt install` starts the service; two file devices; while fio verify writes to both, `apt install` of a
# higher version over it restarts the unit (SIGTERM: the old daemon hands the devices over, the new one takes them
# back), fio sees no error, the devices stay live under the same ids, and the journal shows both sides of the
# hand-over (a downgrade is the same restart, left out to keep the suite short). `apt remove`: the service stops,
# no kernel device is left, the state and the backing files stay. Installing again brings the devices back with
# their data; `apt purge` deletes the state.
# The packages are .build/deb/ublkd_<version>-1 and -2 (make deb-test builds them, as `make test` does first).
. "$(dirname "$0")/../lib.sh"

[ "${UBLKD_VM_SYSTEMD:-}" = 1 ] || { fail "not under systemd (run through vm-run --systemd)"; exit 1; }
version=$(sed -n 's/.*static let current = "\(.*\)"/\1/p' Sources/UblkdVersion/UblkdVersion.swift)
lower=$PWD/.build/deb/ublkd_$version-1_amd64.deb
higher=$PWD/.build/deb/ublkd_$version-2_amd64.deb
for deb in "$lower" "$higher"; do
    [ -s "$deb" ] || { fail "$deb missing: make deb-test builds it"; exit 1; }
done
[ -e /run/systemd/system/ublkd.service ] && { fail "a runtime ublkd.service would shadow the package's"; exit 1; }

# The host root is a container image's: its policy-rc.d forbids starting services (image builds), and man-db's
# trigger would index every man page on the machine (a minute under emulation); a real machine has neither. apt
# reads no package lists: the guest has no network, the host's 19 MB of lists would be parsed again by every apt
# call (10 s each here), and dependencies resolve against what is installed, as on a machine without a mirror.
rm -f /usr/sbin/policy-rc.d /var/lib/man-db/auto-update
mkdir -p /run/apt-lists/partial
step=0
apt_get() {  # apt-get ARGS...: its output in $OUT/apt-N.log, seconds taken in $TOOK
    step=$((step + 1))
    local started status
    started=$(date +%s.%N)
    DEBIAN_FRONTEND=noninteractive apt-get -o Dir::State::Lists=/run/apt-lists -y -q "$@" \
        >"$OUT/apt-$step.log" 2>&1
    status=$?
    TOOK=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $started }")
    say "apt-get $* took $TOOK s (exit $status)"
    [ $status -eq 0 ] || sed 's/^/    /' "$OUT/apt-$step.log" | tail -15
    return $status
}
teardown() {
    journalctl -u ublkd --no-pager -o short-monotonic >"$OUT/journal-ublkd.txt" 2>&1
    # Whatever a failure left: the devices deleted, the package purged (installed, or removed with its state).
    case $(dpkg-query -W -f='${db:Status-Abbrev}' ublkd 2>/dev/null) in
    ii*)
        api GET /devices
        local id
        for id in $(jq -r '.devices[]?.id' <<<"$BODY" 2>/dev/null); do api DELETE "/devices/$id"; done
        apt_get purge ublkd >/dev/null
        ;;
    rc*) apt_get purge ublkd >/dev/null ;;
    esac
}
main_pid() { systemctl show -p MainPID --value ublkd; }
# What a device that does not come back is waiting for: the daemon's threads in the kernel, and its last words.
diagnose() {
    local pid task
    pid=$(main_pid)
    say "devices: $(curl -s -m 5 "$API/devices" | jq -c '[.devices[] | {id, state, error}]')"
    for task in /proc/"$pid"/task/*; do
        say "thread ${task##*/} ($(cat "$task/comm")): $(tr '\n' ' ' <"$task/stack" 2>/dev/null | cut -c1-300)"
    done
    journalctl -u ublkd --no-pager -n 30 | sed 's/^/    /'
}
answering() {
    local i
    for ((i = 0; i < 300; i++)); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$API/health")" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}
# "id block_device state" of every device, one per line.
devices() { curl -s "$API/devices" | jq -r '.devices[] | "\(.id) \(.block_device) \(.state)"'; }
# Both sides of a hand-over in the journal: the stopped process handed each device over, the started one took
# each back with user recovery.
handed_over() {  # OLD_PID NEW_PID WHAT
    local gave took
    gave=$(journalctl -u ublkd --no-pager _PID="$1" | grep -c 'device handed over to the driver')
    took=$(journalctl -u ublkd --no-pager _PID="$2" | grep -c 'device live: user recovery (the driver held it QUIESCED)')
    expect_eq "$gave $took" "2 2" "$3: the journal shows pid $1 handing both devices over and pid $2 recovering them"
}

check "apt install the package" apt_get install "$lower"
install_took=$TOOK
expect_eq "$(systemctl is-active ublkd)" active "the package started the service"
expect_eq "$(systemctl is-enabled ublkd)" enabled "the package enabled the service"
check "the API answers" answering
expect_eq "$(/usr/bin/ublkd --version)" "$version" "/usr/bin/ublkd is the packaged one"
check "its man page is installed" test -s /usr/share/man/man8/ublkd.8.gz

mkdir -p "$WORK"
for name in one two; do
    create_device "{\"name\":\"$name\",\"target\":\"file\",\"path\":\"$WORK/$name.img\",\"create\":true,\"size\":\"256MiB\"}"
done
before=$(devices)
expect_eq "$(wc -l <<<"$before")" 2 "two devices live: $(echo $before)"
mapfile -t nodes < <(awk '{ print $2 }' <<<"$before")

# fio verify on both devices through the upgrade. It runs until stopped (SIGINT ends it cleanly
# with status 128); an I/O or verify error would end it at once with status 1 and the error in its report.
jobs=()
for node in "${nodes[@]}"; do
    jobs+=(--name="${node##*/}" --filename="$node")
done
# Rate-limited: unthrottled, fio verifying two devices takes both emulated CPUs, and dpkg then needs minutes.
fio --ioengine=io_uring --direct=1 --rw=randwrite --bsrange=4k-64k --iodepth=4 --rate_iops=200 --size=64M \
    --verify=crc32c \
    --verify_fatal=1 --verify_backlog=256 --time_based --runtime=600 --output-format=json \
    --output="$OUT/fio.json" "${jobs[@]}" &
fio_pid=$!
for ((i = 0; i < 100; i++)); do
    [ "$(curl -s "$API/devices/0/stats" | jq '.writes // 0')" -gt 100 ] 2>/dev/null && break
    sleep 0.1
done

first=$(main_pid)
check "apt install of the higher version over it, under fio" apt_get install "$higher"
upgrade_took=$TOOK
second=$(main_pid)
check "the upgrade restarted the daemon (pid $first -> $second)" test "$second" != "$first" -a "$second" != 0
expect_eq "$(dpkg-query -W -f='${Version}' ublkd)" "$version-2" "version $version-2 installed"
expect_eq "$(devices)" "$before" "after the upgrade: the same devices, ids and block devices, live" || diagnose
handed_over "$first" "$second" "upgrade"
check "fio still runs after the upgrade" kill -0 "$fio_pid"

check "fio ran through the upgrade" kill -INT "$fio_pid"
for ((i = 0; i < 300; i++)); do kill -0 "$fio_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$fio_pid" 2>/dev/null; then
    fail "fio still waits for I/O 30 s after SIGINT"
    diagnose
fi
wait "$fio_pid"
fio_status=$?
expect_eq "$fio_status" 128 "fio ended by the test's SIGINT, not by an error"
# fio puts its "terminating on signal" note in front of the JSON.
report=$(sed -n '/^{/,$p' "$OUT/fio.json")
expect_eq "$(jq -c '[.jobs[].error]' <<<"$report")" "[0,0]" "fio: err=0 on both devices"
check "fio wrote and verified on both devices" \
    jq -e '[.jobs[] | .write.io_bytes > 0 and .read.io_bytes > 0] | all' <<<"$report"
say "fio: $(jq -r '[.jobs[] | "\(.jobname) \(.write.io_bytes / 1048576 | floor) MiB written, \(.read.io_bytes / 1048576 | floor) MiB verified"] | join("; ")' <<<"$report")"

# Data that must survive the removal and the reinstall.
head -c 4M /dev/urandom >"$OUT/pattern"
want=$(sha256sum <"$OUT/pattern" | cut -d' ' -f1)
dd if="$OUT/pattern" of="${nodes[0]}" bs=1M seek=128 oflag=direct conv=fsync status=none
check "a pattern written to ${nodes[0]}" test $? -eq 0

check "apt remove" apt_get remove ublkd
remove_took=$TOOK
expect_eq "$(systemctl is-active ublkd)" inactive "the service is stopped"
expect_eq "$(kernel_devices)" "" "no kernel device is left without its server"
check "the removal says what it released" grep -q 'ublkd release: device 0 (one): kernel device removed' \
    "$OUT/apt-$step.log"
check "the state stays (/var/lib/ublkd/ublkd.sqlite)" test -s /var/lib/ublkd/ublkd.sqlite
check "the backing files stay" test -s "$WORK/one.img" -a -s "$WORK/two.img"
check "the binaries are gone" test ! -e /usr/bin/ublkd

check "apt install again" apt_get install "$higher"
reinstall_took=$TOOK
check "the API answers" answering
expect_eq "$(devices)" "$before" "the devices are back: same ids and block devices, live"
expect_eq "$(curl -s "$API/devices/0" | jq -r .last_recovery.kind)" recreate "built again under the same id"
check "the data written before the removal is intact" \
    test "$(dd if="${nodes[0]}" bs=1M skip=128 count=4 iflag=direct status=none | sha256sum | cut -d' ' -f1)" = "$want"

check "apt purge" apt_get purge ublkd
purge_took=$TOOK
expect_eq "$(kernel_devices)" "" "no kernel device left"
check "the state is gone" test ! -e /var/lib/ublkd
check "the purge says so" grep -q 'ublkd: removed /var/lib/ublkd' "$OUT/apt-$step.log"
check "the backing files stay" test -s "$WORK/one.img" -a -s "$WORK/two.img"
say "apt took: install $install_took s, upgrade $upgrade_took s, remove $remove_took s," \
    "install again $reinstall_took s, purge $purge_took s"
rm -rf "$WORK"
finish
