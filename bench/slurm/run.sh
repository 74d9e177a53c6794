#!/usr/bin/env bash
# The whole pipeline on a real, single-node Slurm cluster, compared byte for byte with a local
# run (README, "Run on a Slurm cluster").
#
#     bash bench/slurm/run.sh            # as root on Debian/Ubuntu; `make slurm-check` runs it
#
# 1. Installs Debian's slurm-wlm and munge (apt-get) where sbatch is missing, writes a one-node
#    /etc/slurm/slurm.conf (only where there is none) and starts munged, slurmctld and slurmd.
#    The cluster has no accounting database (no slurmdbd): the plugin's documented settings
#    for that are --slurm-status-command=squeue (with MinJobAge well above the status-check
#    interval) and --slurm-no-account.
# 2. Builds a separate environment, .venv-slurm: the run pins, the `slurm` extra
#    (requirements/slurm.lock) and the project. Not .venv: with the plugin installed, every
#    snakemake start runs `scontrol show config`, which waits 10 s when no slurmctld answers
#    (measured: `snakemake --version` 10.4 s instead of 1.0 s once the daemons were stopped).
# 3. Runs the pipeline twice in fresh copies of the repository under $WORK: locally, and with
#    `--profile profiles/slurm` (every job an sbatch job), then compares every file under the
#    two results/ folders (manifest included) with cmp.
# Prints the job count, the wall time of both runs and whether the bytes are identical; exits
# non-zero if any step fails or any byte differs. Leaves the daemons running (they are this
# script's; `bash bench/slurm/run.sh --stop` stops them).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${SLURM_VENV:-$ROOT/.venv-slurm}"
BIN="$VENV/bin"
WORK="${WORK:-/tmp/invitesurvey-slurm}"
CONF=/etc/slurm/slurm.conf
MARK="# written by invitesurvey bench/slurm/run.sh"
STATE=/var/lib/invitesurvey-slurm

say() { printf 'slurm-check: %s\n' "$*"; }

if [ "${1:-}" = "--stop" ]; then
  for pidfile in "$STATE"/slurmd.pid "$STATE"/slurmctld.pid /run/munge/munged.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  say "stopped slurmd, slurmctld and munged"
  exit 0
fi

# --- 1. the cluster ---------------------------------------------------------------------------
if ! command -v sbatch >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "slurm-check: run as root to install slurm-wlm and munge" >&2; exit 1; }
  say "installing slurm-wlm and munge (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurm-wlm munge >/dev/null
fi

host="$(hostname -s)"
if [ ! -f "$CONF" ] || grep -q "^$MARK" "$CONF"; then
  cpus="$(nproc)"
  # Leave 1 GiB of the node's memory to the operating system and the daemons.
  mem="$(awk '/MemTotal/ {print int($2 / 1024) - 1024}' /proc/meminfo)"
  mkdir -p "$STATE/spool" "$STATE/slurmd" /etc/slurm
  cat >"$CONF" <<EOF
$MARK
ClusterName=invitesurvey
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/spool
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to squeue for 10 minutes (the plugin's status checks).
MinJobAge=600
SchedulerType=sched/backfill
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
fi

if ! pgrep -x munged >/dev/null; then
  say "starting munged"
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  [ -f /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || /usr/sbin/create-munge-key -f; }
  runuser -u munge -- /usr/sbin/munged
fi
if ! pgrep -x slurmctld >/dev/null; then
  say "starting slurmctld"
  /usr/sbin/slurmctld
fi
if ! pgrep -x slurmd >/dev/null; then
  say "starting slurmd"
  /usr/sbin/slurmd
fi
for _ in $(seq 60); do
  state="$(sinfo -h -n "$host" -o %t 2>/dev/null || true)"
  case "$state" in idle*|mix*|alloc*) break ;; esac
  sleep 1
done
case "$state" in idle*|mix*|alloc*) ;;
  *) scontrol update nodename="$host" state=resume 2>/dev/null || true; sleep 2
     state="$(sinfo -h -n "$host" -o %t)" ;;
esac
say "node $host is $state ($(sinfo -h -o '%c CPUs, %m MiB' -n "$host"))"

# --- 2. the plugin ----------------------------------------------------------------------------
if ! "$BIN/python" -c "import snakemake_executor_plugin_slurm" 2>/dev/null; then
  say "building $VENV: the run pins, the slurm extra (requirements/slurm.lock), the project"
  python3 -m venv "$VENV"
  "$BIN/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements/slurm.lock"
  "$BIN/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$ROOT"
fi

# --- 3. two runs, compared --------------------------------------------------------------------
rm -rf "$WORK"
mkdir -p "$WORK"
"$BIN/python" - "$ROOT" "$WORK" <<'EOF'
import sys
from pathlib import Path
sys.path.insert(0, str(Path(sys.argv[1]) / "tests"))
from project import copy_project
for name in ("local", "slurm"):
    copy_project(Path(sys.argv[2]) / name)
EOF
export PATH="$BIN:$PATH"
# Each run imports its own copy's library (src/), whatever folder the .venv's editable install
# points to, so both runs use the same code even while the checkout is being edited.

start=$(date +%s.%N)
(cd "$WORK/local" && PYTHONPATH="$WORK/local/src" snakemake >"$WORK/local.out" 2>&1) \
  || { tail -40 "$WORK/local.out"; say "FAILED: the local run"; exit 1; }
local_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
say "local run: $(printf '%.1f' "$local_s") s"

start=$(date +%s.%N)
(cd "$WORK/slurm" && PYTHONPATH="$WORK/slurm/src" snakemake --profile profiles/slurm --slurm-no-account \
   --slurm-status-command squeue --slurm-init-seconds-before-status-checks 2 \
   >"$WORK/slurm.out" 2>&1) \
  || { tail -60 "$WORK/slurm.out"; say "FAILED: the Slurm run (log: $WORK/slurm.out)"; exit 1; }
slurm_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
submitted=$(grep -c "has been submitted with SLURM jobid" "$WORK/slurm.out" || true)
say "Slurm run: $(printf '%.1f' "$slurm_s") s, $submitted sbatch jobs" \
    "($(grep -m1 -o 'total *[0-9]*' "$WORK/slurm.out" | tr -s ' ') in the DAG, 'all' runs locally)"
sacct_ids=$(grep -o "SLURM jobid [0-9]*" "$WORK/slurm.out" | awk '{print $3}' | sort -n | tr '\n' ' ')
say "Slurm job ids: $sacct_ids"

files=0
differ=0
while IFS= read -r -d '' file; do
  rel="${file#"$WORK/local/"}"
  files=$((files + 1))
  if ! cmp -s "$file" "$WORK/slurm/$rel"; then
    say "DIFFERS: $rel"
    differ=$((differ + 1))
  fi
done < <(find "$WORK/local/results" -type f -print0)
extra=$(comm -13 <(cd "$WORK/local" && find results -type f | sort) \
                 <(cd "$WORK/slurm" && find results -type f | sort) | wc -l)
if [ "$differ" -ne 0 ] || [ "$extra" -ne 0 ]; then
  say "FAILED: $differ of $files file(s) differ, $extra file(s) only in the Slurm run"
  exit 1
fi
say "identical bytes: all $files files under results/ (manifest.tsv included) match the local run"
