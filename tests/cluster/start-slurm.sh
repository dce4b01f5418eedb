#!/usr/bin/env bash
# Start a single-node SLURM cluster on this machine (Debian's slurm-wlm and munge), for the
# cluster test in tests/test_slurm.py.  Run as root; idempotent: installs what is missing, writes
# the configuration, starts munged, slurmctld and slurmd unless they already answer, and waits
# until the node is idle.  Prints the partition's name on its last line.
set -euo pipefail

PARTITION=${SLURM_PARTITION:-ci}
CONF=/etc/slurm/slurm.conf

if [ "$(id -u)" != 0 ]; then
  echo "start-slurm.sh: must run as root" >&2
  exit 1
fi

# Another process may hold the dpkg lock (e.g. installing a browser): wait for it, never kill it.
apt_get() {
  apt-get -o DPkg::Lock::Timeout=600 "$@"
}

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1 \
    || ! command -v slurmd >/dev/null 2>&1 || ! command -v sinfo >/dev/null 2>&1; then
  for attempt in 1 2; do
    (apt_get update -qq && DEBIAN_FRONTEND=noninteractive apt_get install -y -qq \
        slurm-wlm munge >/dev/null) && break
    [ "$attempt" = 2 ] && { echo "start-slurm.sh: could not install slurm-wlm and munge" >&2; exit 1; }
    sleep 10
  done
fi

# munge: the package generates /etc/munge/munge.key; the daemon runs as user munge.
if [ ! -s /etc/munge/munge.key ]; then
  /usr/sbin/mungekey --create --force >/dev/null 2>&1 || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge /etc/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi

HOST=$(hostname -s)
CPUS=$(nproc)
# Leave memory for the controller and the launching process.
MEM_MB=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > "$CONF.new" <<CONFEOF
# Written by tests/cluster/start-slurm.sh: one node, one partition.
ClusterName=local
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=$PARTITION Nodes=$HOST Default=YES MaxTime=30 State=UP
CONFEOF
changed=1
if [ -f "$CONF" ] && cmp -s "$CONF" "$CONF.new"; then changed=0; fi
mv "$CONF.new" "$CONF"
chmod 0644 "$CONF"

running() { pgrep -x "$1" >/dev/null 2>&1; }
if [ "$changed" = 1 ]; then
  # A new configuration: restart what runs with the old one.
  for daemon in slurmd slurmctld; do
    if [ -f "/run/$daemon.pid" ] && kill -0 "$(cat /run/$daemon.pid)" 2>/dev/null; then
      kill "$(cat /run/$daemon.pid)"
      for _ in $(seq 50); do kill -0 "$(cat /run/$daemon.pid)" 2>/dev/null || break; sleep 0.1; done
    fi
  done
fi
[ -f /run/slurmctld.pid ] && kill -0 "$(cat /run/slurmctld.pid)" 2>/dev/null || /usr/sbin/slurmctld
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
[ -f /run/slurmd.pid ] && kill -0 "$(cat /run/slurmd.pid)" 2>/dev/null || /usr/sbin/slurmd

# Wait for the node to be idle (a node left DOWN by an earlier start is resumed).
for _ in $(seq 150); do
  state=$(sinfo -h -N -n "$HOST" -o %t 2>/dev/null | head -1)
  case "$state" in
    idle*|mix*|alloc*) break ;;
    down*|drain*) scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true ;;
  esac
  sleep 0.2
done
state=$(sinfo -h -N -n "$HOST" -o %t 2>/dev/null | head -1)
case "$state" in
  idle*|mix*|alloc*) ;;
  *) echo "start-slurm.sh: node $HOST is '$state', not idle; see /var/log/slurm/" >&2
     tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
     exit 1 ;;
esac
echo "$PARTITION"
