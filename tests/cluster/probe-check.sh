#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# src/cluster (corosync.c) against three real corosyncs on this machine, through cpg-probe.
#
#   tests/cluster/probe-check.sh [BUILD_DIR]      (root; BUILD_DIR defaults to $ACCELNET_BUILD_DIR)
#
# Three network namespaces (one per node) with a veth each to a bridge in a fourth, one
# corosync per node (knet, crypto none, token 300, votequorum, its own state_dir and a private
# /run), and one cpg-probe per node started BEFORE corosync (so the not-running path is
# exercised too). Checks, in order: all three quorate with membership [1,2,3] and one ring;
# the names from cmap; agreed order of two concurrent bursts (large enough for corosync to
# answer TRY_AGAIN, so the send queue is used); a second process on node 1 changes nobody's
# membership; node 2's probe stopped and restarted; kill -9 of node 3's corosync (its probe
# loses the connection and retries quietly, the others see [1,2] and stay quorate, a send
# on node 3 is ENOTCONN); node 3's corosync restarted (its probe reconnects by itself, all
# see [1,2,3]); node 3's link cut (it loses quorum, the others see [1,2], each side
# delivers inside itself) and restored; the probes exit 0 on SIGTERM with a clean stderr
# (build with -DACCELNET_SANITIZE=ON for the leak check). Prints what it checked with the
# times measured; exits non-zero on the first failed check, 77 when it cannot run here.
# Everything it made is removed on exit (the work folder with the logs is kept on failure
# or with KEEP=1). Names start with "glue<pid>" so that parallel runs and other people's
# tests do not collide. About 20 s.
set -euo pipefail

BUILD_DIR=${1:-${ACCELNET_BUILD_DIR:-}}
PROBE=${BUILD_DIR:+$BUILD_DIR/tests/cluster/cpg-probe}
BURST=${BURST:-1000} # messages per sender in the ordering check
PAD=${PAD:-16000}    # bytes of padding per message (16 MB per sender: corosync answers TRY_AGAIN)

skip() { echo "SKIP: $*"; exit 77; }
[[ $EUID -eq 0 ]] || skip "needs root (network namespaces, corosync)"
[[ -n $PROBE && -x $PROBE ]] || skip "no cpg-probe: give the build folder (tests/cluster/cpg-probe) as \$1"
command -v corosync >/dev/null || skip "corosync is not installed"
command -v jq >/dev/null || skip "jq is not installed"

P=glue$$
BRNS=${P}br
WORK=$(mktemp -d /tmp/glue-check.XXXXXX)
declare -a NS COROSYNC_PID PROBE_PID IN_FD
declare -a ALL_COROSYNC=()
START_MS=$(date +%s%3N)

now() { date +%s%3N; }
since() { echo "$(( $(now) - $1 )) ms"; }
ok() { printf '  ok   %-64s %s\n' "$1" "${2:-}"; }
fail() {
        echo "  FAIL $*" >&2
        echo "  (logs in $WORK; re-run with KEEP=1 to keep them)" >&2
        exit 1
}

# stop_probe PID: SIGTERM, then up to 5 s for it to exit; its exit status in STOPPED
# ("timeout" when it hung and was killed). Not in a subshell: wait needs the parent.
stop_probe() {
        local pid=$1 k
        kill -TERM "$pid" 2>/dev/null
        for k in $(seq 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.05
        done
        if kill -0 "$pid" 2>/dev/null; then
                kill -KILL "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
                STOPPED=timeout
                return 0
        fi
        STOPPED=0
        wait "$pid" || STOPPED=$?
}

cleanup() {
        local rc=$? pid i
        set +e
        for pid in "${PROBE_PID[@]}"; do stop_probe "$pid"; done
        for pid in "${ALL_COROSYNC[@]}"; do kill -KILL "$pid" 2>/dev/null; done
        for pid in "${PROBE_PID[@]}" "${ALL_COROSYNC[@]}"; do wait "$pid" 2>/dev/null; done
        for pid in "${ALL_COROSYNC[@]}" "${PROBE_PID[@]}"; do rm -rf /dev/shm/qb-"$pid"-* /dev/shm/qb-corosync-"$pid"-*; done
        for i in 1 2 3; do [[ -n ${NS[i]:-} ]] && ip netns del "${NS[i]}" 2>/dev/null; done
        ip netns del "$BRNS" 2>/dev/null
        if [[ ${KEEP:-0} == 1 || $rc -ne 0 ]] && [[ $rc -ne 77 ]]; then
                echo "work folder kept: $WORK"
        else
                rm -rf "$WORK"
        fi
        exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS WHAT COMMAND...: polls COMMAND every 50 ms.
wait_for() {
        local secs=$1 what=$2 deadline
        shift 2
        deadline=$(( $(now) + secs * 1000 ))
        until "$@"; do
                (( $(now) < deadline )) || fail "$what (not within ${secs} s)"
                sleep 0.05
        done
}

out() { echo "$WORK/n$1/probe.out"; }
err() { echo "$WORK/n$1/probe.err"; }
# last NODE FILTER [SINCE_MS]: the last event matching the jq filter, compact ("" if none).
last() {
        jq -c --argjson t "${3:-0}" "select(.t_ms >= \$t) | select($2)" "$(out "$1")" 2>/dev/null | tail -n 1
}
count() { jq -c --argjson t "${3:-0}" "select(.t_ms >= \$t) | select($2)" "$(out "$1")" 2>/dev/null | wc -l; }
members() { last "$1" '.event=="membership"' "${2:-0}" | jq -c '.members // empty' 2>/dev/null; }
ring() { last "$1" '.event=="membership"' "${2:-0}" | jq -r '.ring // empty' 2>/dev/null; }
quorate() { last "$1" '.event=="quorum"' "${2:-0}" | jq -r '.quorate' 2>/dev/null; }
test_count_ge() { (( $(count "$1" "$2" "$3") >= $4 )); } # NODE FILTER SINCE N
send() { echo "$2" >&"${IN_FD[$1]}"; }

has_members() { # has_members LIST SINCE NODE...
        local want=$1 t=$2 i
        shift 2
        for i in "$@"; do [[ $(members "$i" "$t") == "$want" ]] || return 1; done
}
is_quorate() { # is_quorate true|false SINCE NODE...
        local want=$1 t=$2 i
        shift 2
        for i in "$@"; do [[ $(quorate "$i" "$t") == "$want" ]] || return 1; done
}
has_event() { [[ -n $(last "$@") ]]; } # has_event NODE FILTER [SINCE]
same_ring() { # same_ring NODE... : prints the ring when all agree
        local r0 i
        r0=$(ring "$1")
        for i in "$@"; do [[ -n $r0 && $(ring "$i") == "$r0" ]] || return 1; done
        echo "$r0"
}

start_corosync() {
        local i=$1
        ip netns exec "${NS[i]}" sh -c "mount --bind '$WORK/n$i/run' /run && exec corosync -f -c '$WORK/n$i/corosync.conf'" \
                >>"$WORK/n$i/corosync.stderr" 2>&1 &
        COROSYNC_PID[i]=$!
        ALL_COROSYNC+=("$!")
}

if ldd "$PROBE" 2>/dev/null | grep -q libasan; then
        echo "cpg-probe: $PROBE (AddressSanitizer build: leaks are checked at exit)"
else
        echo "cpg-probe: $PROBE (no sanitizer: leaks are not checked)"
fi
echo "== setup: namespaces ${P}n1..3 and $BRNS, corosync.conf per node"
ip netns add "$BRNS"
ip -n "$BRNS" link set lo up
ip -n "$BRNS" link add br0 type bridge
ip -n "$BRNS" link set br0 up
for i in 1 2 3; do
        NS[i]=${P}n$i
        ip netns add "${NS[i]}"
        ip -n "${NS[i]}" link set lo up
        ip -n "$BRNS" link add "v$i" type veth peer name eth0 netns "${NS[i]}"
        ip -n "$BRNS" link set "v$i" master br0 up
        ip -n "${NS[i]}" addr add "10.231.0.$i/24" dev eth0
        ip -n "${NS[i]}" link set eth0 up
        mkdir -p "$WORK/n$i/run" "$WORK/n$i/state"
        cat >"$WORK/n$i/corosync.conf" <<EOF
totem {
        version: 2
        cluster_name: accelnet-test
        transport: knet
        crypto_cipher: none
        crypto_hash: none
        token: 300
}
nodelist {
        node {
                nodeid: 1
                name: n1
                ring0_addr: 10.231.0.1
        }
        node {
                nodeid: 2
                name: n2
                ring0_addr: 10.231.0.2
        }
        node {
                nodeid: 3
                ring0_addr: 10.231.0.3
        }
}
quorum {
        provider: corosync_votequorum
}
logging {
        to_stderr: no
        to_syslog: no
        to_logfile: yes
        logfile: $WORK/n$i/corosync.log
        timestamp: hires
}
system {
        state_dir: $WORK/n$i/state
        sched_rr: no
}
EOF
done
# Node 3 has no name in the nodelist on purpose: its name is its ring0_addr.

echo "== start: three probes, then three corosyncs"
for i in 1 2 3; do
        mkfifo "$WORK/n$i/in"
        exec {fd}<>"$WORK/n$i/in" # held open read-write: the probe never sees EOF
        IN_FD[i]=$fd
        ip netns exec "${NS[i]}" "$PROBE" -v -t 32 <"$WORK/n$i/in" >"$(out "$i")" 2>"$(err "$i")" &
        PROBE_PID[i]=$!
done
sleep 0.3
T0=$(now)
for i in 1 2 3; do start_corosync "$i"; done

all_up() { has_members '[1,2,3]' "$1" 1 2 3 && is_quorate true "$2" "${@:3}"; }
wait_for 15 "three probes see quorum and membership [1,2,3]" all_up 0 0 1 2 3
T_ALL=$(now)
for i in 1 2 3; do
        tq=$(last "$i" '.event=="quorum" and .quorate==true' | jq -r .t_ms)
        tc=$(last "$i" '.event=="connection" and .connected==true' | jq -r .t_ms)
        ok "node $i: connected, quorate, members [1,2,3]" \
                "connected $((tc - T0)) ms, quorate $((tq - T0)) ms after corosync start"
done
RING1=$(same_ring 1 2 3) || fail "the rings differ: $(ring 1) $(ring 2) $(ring 3)"
ok "one ring on all three" "ring $RING1"
for i in 1 2 3; do
        c=$(last "$i" '.event=="connection" and .connected==true')
        [[ $(jq -r .nodeid <<<"$c") == "$i" ]] || fail "node $i: nodeid in $c"
        [[ $(jq -r .cluster <<<"$c") == accelnet-test ]] || fail "node $i: cluster name in $c"
        [[ $(jq -c .nodes <<<"$c") == '[{"id":1,"name":"n1"},{"id":2,"name":"n2"},{"id":3,"name":"10.231.0.3"}]' ]] ||
                fail "node $i: nodes in $c"
done
ok "cmap: local node id, cluster name, nodes (name, else ring0_addr)"
grep -q "$WORK" /proc/self/mountinfo && fail "a per-node /run bind mount leaked into the host's mount namespace"
ok "per-node /run bind mounts are private (ip netns exec's own mount namespace)"

echo "== agreed order: $BURST messages ($((PAD + 7)) bytes or so) from node 1 and $BURST from node 2 at once"
T=$(now)
q1=$(grep -c "queuing sends" "$(err 1)" || true)
q2=$(grep -c "queuing sends" "$(err 2)" || true)
pad=$(head -c "$PAD" /dev/zero | tr '\0' x)
seq -f "a%g-$pad" 1 "$BURST" >"$WORK/burst-a"
seq -f "b%g-$pad" 1 "$BURST" >"$WORK/burst-b"
cat "$WORK/burst-a" >&"${IN_FD[1]}" &
wa=$!
cat "$WORK/burst-b" >&"${IN_FD[2]}" &
wb=$!
wait "$wa" "$wb"
for i in 1 2 3; do
        wait_for 30 "node $i receives all $((2 * BURST)) messages" \
                test_count_ge "$i" '.event=="message"' "$T" $((2 * BURST))
done
T_BURST=$(since "$T")
for i in 1 2 3; do
        jq -r --argjson t "$T" 'select(.t_ms >= $t and .event=="message") | "\(.from) \(.data) \(.len)"' \
                "$(out "$i")" >"$WORK/order-$i"
done
cmp -s "$WORK/order-1" "$WORK/order-2" && cmp -s "$WORK/order-1" "$WORK/order-3" ||
        fail "the three nodes delivered the bursts in different orders (see $WORK/order-*)"
[[ $(wc -l <"$WORK/order-1") -eq $((2 * BURST)) ]] || fail "more messages than were sent"
# The probes print the first 32 bytes of each message and its length.
expect() { awk '{ print substr($0, 1, 32), length($0) }' "$1"; }
diff -q <(awk '$1==1 {print $2, $3}' "$WORK/order-1") <(expect "$WORK/burst-a") >/dev/null ||
        fail "node 1's messages out of order or wrong"
diff -q <(awk '$1==2 {print $2, $3}' "$WORK/order-1") <(expect "$WORK/burst-b") >/dev/null ||
        fail "node 2's messages out of order or wrong"
switches=$(awk '{ if (NR > 1 && $1 != prev) n++; prev = $1 } END { print n + 0 }' "$WORK/order-1")
q1=$(( $(grep -c "queuing sends" "$(err 1)" || true) - q1 ))
q2=$(( $(grep -c "queuing sends" "$(err 2)" || true) - q2 ))
ok "same order on all three, each sender's in its own order" \
        "$((2 * BURST)) msgs in $T_BURST, $switches sender switches"
if ((q1 + q2 > 0)); then
        ok "the send queue was used (CS_ERR_TRY_AGAIN), order kept" "node 1: $q1 time(s), node 2: $q2 time(s)"
else
        echo "  note: corosync never answered TRY_AGAIN in this burst: the send queue was not exercised"
fi
((switches > 0)) || fail "the two bursts did not interleave: the order check proved nothing"

echo "== a second process on node 1 joins and leaves; node 2's probe is restarted"
T=$(now)
ip netns exec "${NS[1]}" "$PROBE" -t 32 </dev/null >"$WORK/n1/second.out" 2>"$WORK/n1/second.err" &
PROBE_PID[4]=$!
wait_for 10 "the second probe on node 1 sees [1,2,3]" grep -q '"members":\[1,2,3\]' "$WORK/n1/second.out"
sleep 0.3
stop_probe "${PROBE_PID[4]}"
rc=$STOPPED
unset 'PROBE_PID[4]'
[[ $rc == 0 ]] || fail "the second probe exited with $rc: $(tail -n 20 "$WORK/n1/second.err")"
sleep 0.3
for i in 1 2 3; do
        (( $(count "$i" '.event=="membership"' "$T") == 0 )) || fail "node $i: a membership callback for node 1's second process"
done
ok "node 1's second process joining and leaving: no membership callback"
T=$(now)
R0=$(ring 1)
stop_probe "${PROBE_PID[2]}"
rc=$STOPPED
[[ $rc == 0 ]] || fail "node 2's probe exited with $rc: $(tail -n 20 "$(err 2)")"
wait_for 5 "nodes 1 and 3 see [1,3]" has_members '[1,3]' "$T" 1 3
R1=$(ring 1)
ok "node 2's probe stopped: nodes 1, 3 see [1,3]" "after $(since "$T")"
T=$(now)
ip netns exec "${NS[2]}" "$PROBE" -v -t 32 <"$WORK/n2/in" >>"$(out 2)" 2>>"$(err 2)" &
PROBE_PID[2]=$!
wait_for 5 "all see [1,2,3] again" has_members '[1,2,3]' "$T" 1 2 3
R2=$(same_ring 1 2 3) || fail "the rings differ: $(ring 1) $(ring 2) $(ring 3)"
ok "node 2's probe back: all see [1,2,3], one ring" "after $(since "$T")"
echo "  note: rings $R0 -> $R1 -> $R2: a process leaving or joining without a totem change keeps the ring"
RING1=$R2

echo "== kill -9 node 3's corosync"
ERR3_LINES=$(grep -vc '^cpg-probe: corosync: ' "$(err 3)" || true)
T=$(now)
kill -KILL "${COROSYNC_PID[3]}"
wait "${COROSYNC_PID[3]}" 2>/dev/null || true
T_DEAD=$(now)
rm -rf /dev/shm/qb-"${COROSYNC_PID[3]}"-* /dev/shm/qb-corosync-"${COROSYNC_PID[3]}"-*
wait_for 5 "node 3's probe sees connection false" has_event 3 '.event=="connection" and .connected==false' "$T"
ok "node 3: connection false" "after $(( $(last 3 '.event=="connection" and .connected==false' "$T" | jq -r .t_ms) - T )) ms (corosync gone after $((T_DEAD - T)) ms)"
wait_for 10 "nodes 1 and 2 see membership [1,2]" has_members '[1,2]' "$T" 1 2
T_M=$(last 1 '.event=="membership"' "$T" | jq -r .t_ms)
RING2=$(same_ring 1 2) || fail "nodes 1 and 2 disagree on the ring: $(ring 1) $(ring 2)"
((RING2 > RING1)) || fail "the ring did not grow: $RING1 -> $RING2"
ok "nodes 1, 2: membership [1,2], one ring, grown" "after $((T_M - T)) ms, ring $RING1 -> $RING2"
send 3 "during-outage"
wait_for 3 "a send on node 3 fails with ENOTCONN" \
        has_event 3 '.event=="send-error" and .data=="during-outage" and .error=="ENOTCONN"'
ok "node 3: cluster_send while disconnected is ENOTCONN"
sleep 3.5 # four retries (0.5 + 1 + 2 s)
for i in 1 2; do
        (( $(count "$i" '.event=="quorum" and .quorate==false' "$T") == 0 )) || fail "node $i lost quorum with 2 of 3"
        [[ $(quorate "$i") == true ]] || fail "node $i: not quorate"
done
ok "nodes 1, 2 stay quorate (2 of 3 votes)"
retries=$(grep -c "connecting failed again" "$(err 3)" || true)
loud=$(( $(grep -vc '^cpg-probe: corosync: ' "$(err 3)" || true) - ERR3_LINES ))
((loud == 1)) || fail "node 3: $loud lines above debug level while corosync is away (want 1): $(tail -n 5 "$(err 3)")"
((retries >= 3)) || fail "node 3: only $retries retries in 3.5 s"
ok "node 3 retries quietly" "1 info line, $retries debug retries so far"

echo "== restart node 3's corosync"
T=$(now)
start_corosync 3
wait_for 20 "node 3's probe reconnects and all see [1,2,3]" all_up "$T" 0 3
T_C=$(last 3 '.event=="connection" and .connected==true' "$T" | jq -r .t_ms)
[[ -n $T_C ]] || fail "node 3: no connection true after the restart"
RING3=$(same_ring 1 2 3) || fail "the rings differ: $(ring 1) $(ring 2) $(ring 3)"
((RING3 > RING2)) || fail "the ring did not grow: $RING2 -> $RING3"
ok "node 3 reconnected by itself" "connection true $((T_C - T)) ms after corosync restart"
ok "all three: membership [1,2,3], one ring" "after $(since "$T"), ring $RING3"
T=$(now)
send 3 "after-rejoin"
for i in 1 2 3; do
        wait_for 5 "node $i receives node 3's message after the rejoin" \
                has_event "$i" '.event=="message" and .from==3 and .data=="after-rejoin"'
done
ok "node 3's message after the rejoin reaches all three" "$(since "$T")"

echo "== cut node 3's link"
T=$(now)
ip -n "${NS[3]}" link set eth0 down
split_seen() { is_quorate false "$1" 3 && has_members '[1,2]' "$1" 1 2 && has_members '[3]' "$1" 3; }
wait_for 10 "node 3 loses quorum, nodes 1 and 2 see [1,2]" split_seen "$T"
for i in 1 2; do
        (( $(count "$i" '.event=="quorum" and .quorate==false' "$T") == 0 )) || fail "node $i lost quorum"
done
T_Q=$(last 3 '.event=="quorum" and .quorate==false' "$T" | jq -r .t_ms)
ok "isolated node 3: not quorate, membership [3]" "quorum lost after $((T_Q - T)) ms"
ok "nodes 1, 2: membership [1,2], still quorate" "after $(( $(last 1 '.event=="membership"' "$T" | jq -r .t_ms) - T )) ms"
[[ $(last 3 '.event=="connection"' "$T") == "" ]] || fail "node 3's probe lost its corosync connection on a link cut"
send 3 "inside-split"
wait_for 3 "node 3 delivers its own message inside the split" \
        has_event 3 '.event=="message" and .data=="inside-split"'
sleep 0.5
for i in 1 2; do
        [[ $(count "$i" '.event=="message" and .data=="inside-split"') -eq 0 ]] || fail "node $i got node 3's message across the cut"
done
ok "each side delivers inside itself only"

echo "== restore node 3's link"
T=$(now)
ip -n "${NS[3]}" link set eth0 up
wait_for 15 "all see [1,2,3] again and node 3 is quorate" all_up "$T" "$T" 3
RING4=$(same_ring 1 2 3) || fail "the rings differ after the merge: $(ring 1) $(ring 2) $(ring 3)"
ok "merged: membership [1,2,3] on all, node 3 quorate" "after $(since "$T"), ring $RING4"

echo "== stop the probes (SIGTERM): clean exit, nothing reported by the sanitizers"
for i in 1 2 3; do
        stop_probe "${PROBE_PID[i]}"
        rc=$STOPPED
        [[ $rc == 0 ]] || fail "node $i: the probe exited with $rc: $(tail -n 20 "$(err "$i")")"
        grep -q -e 'Sanitizer' -e 'runtime error' "$(err "$i")" && fail "node $i: sanitizer report in $(err "$i")"
done
PROBE_PID=()
ok "three probes exited 0 (cluster_free), stderr clean"
echo "PASS ($(since "$START_MS") in all)"
