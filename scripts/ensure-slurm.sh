#!/bin/sh
# A one-node Slurm cluster on this machine for the multi-host test (test/distributed/slurm.test.ts):
# Debian's slurm-wlm and munge, installed with apt-get when missing (as root), slurmctld and slurmd
# started with a private slurm.conf (ports 16817/16818, state under the cache dir).
#   scripts/ensure-slurm.sh        start (or reuse) it; prints the SLURM_CONF path on stdout
#   scripts/ensure-slurm.sh stop   stop the daemons it started
# Exits 1 with the reason on stderr when it cannot (the test then skips, loudly).
set -u
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/llm-loadgen/slurm"
CONF="$DIR/slurm.conf"
say() { echo "ensure-slurm: $*" >&2; }

if [ "${1:-}" = "stop" ]; then
  for pidfile in "$DIR/slurmd.pid" "$DIR/slurmctld.pid"; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    if ! command -v slurmctld >/dev/null 2>&1; then
      say "slurm-wlm is not installed and installing it needs root: run 'apt-get install -y slurm-wlm munge' as root"
      exit 1
    fi
    say "slurmd must run as root to start jobs; run the tests as root or with passwordless sudo"
    exit 1
  fi
fi
PATH="$PATH:/usr/sbin:/sbin"

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "slurm-wlm is missing and this is not a Debian/Ubuntu host (no apt-get)"
    exit 1
  fi
  LOG="$(mktemp)"
  say "installing slurm-wlm and munge with apt-get (once; about a minute)"
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends slurm-wlm munge >"$LOG" 2>&1; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get update >>"$LOG" 2>&1
    if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends slurm-wlm munge >>"$LOG" 2>&1; then
      say "apt-get install slurm-wlm munge failed:"
      tail -5 "$LOG" >&2
      exit 1
    fi
  fi
fi

# munge: authentication between srun, slurmctld and slurmd.
if [ ! -s /etc/munge/munge.key ]; then
  $SUDO sh -c 'dd if=/dev/urandom of=/etc/munge/munge.key bs=128 count=1 2>/dev/null && chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key'
fi
if ! munge -n >/dev/null 2>&1; then
  $SUDO mkdir -p /run/munge && $SUDO chown munge:munge /run/munge
  $SUDO runuser -u munge -- /usr/sbin/munged || { say "munged would not start"; exit 1; }
  sleep 1
  munge -n >/dev/null 2>&1 || { say "munge does not work after starting munged"; exit 1; }
fi

mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log"
HOST="$(hostname)"
cat >"$CONF.tmp" <<CONF
ClusterName=llmloadgen
SlurmctldHost=$HOST
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=$HOST CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
mv "$CONF.tmp" "$CONF"
export SLURM_CONF="$CONF"

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
running "$DIR/slurmctld.pid" || $SUDO env SLURM_CONF="$CONF" slurmctld || { say "slurmctld would not start: see $DIR/log/slurmctld.log"; exit 1; }
running "$DIR/slurmd.pid" || $SUDO env SLURM_CONF="$CONF" slurmd || { say "slurmd would not start: see $DIR/log/slurmd.log"; exit 1; }

i=0
while [ $i -lt 40 ]; do
  state="$(sinfo -h -o %T 2>/dev/null | head -1)"
  case "$state" in
    idle*|mixed*|alloc*) echo "$CONF"; exit 0 ;;
  esac
  i=$((i + 1))
  sleep 0.5
done
say "the node did not come up (state: ${state:-none}); see $DIR/log/"
exit 1
