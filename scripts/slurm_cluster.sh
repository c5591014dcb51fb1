#!/usr/bin/env bash
# slurm_cluster.sh: a throwaway Slurm cluster on this machine, for testing the
# job scripts in jobs/ against a real Slurm (tests/slurm, labelled `slurm`).
#
#   scripts/slurm_cluster.sh start  DIR   start slurmctld + N slurmd (+ munged), wait until idle
#   scripts/slurm_cluster.sh stop   DIR   cancel jobs, stop every daemon by its recorded PID
#   scripts/slurm_cluster.sh status DIR   show daemons, nodes and queue
#   scripts/slurm_cluster.sh env    DIR   print the `export` lines a client shell needs
#
# Then talk to it with:   source DIR/env.sh; sbatch --wait ...; squeue; sinfo
#
# Everything lives under DIR (config, state, spool, logs, PID files), except
# the munge socket and key, which live in a private mktemp folder under /tmp
# (munged insists that every folder above its socket is world-executable,
# which a checkout under /root is not); its path is recorded in DIR.
# Nothing outside DIR and that folder is read or written: no /etc/slurm, no
# /etc/munge, no systemd. Daemons run as root (SlurmUser=root).
#
# Requirements: root, and the Debian 12 packages slurm-wlm (slurmctld, slurmd,
# slurm-client) and munge. This script does NOT install them; the CI script
# must run `apt-get install -y slurm-wlm munge` first (set
# SLURM_CLUSTER_INSTALL=1 to let `start` run apt-get itself when they are
# missing). Without munge installed, SLURM_CLUSTER_AUTH=none selects
# AuthType=auth/none (insecure: any local/remote user could submit as root
# for the cluster's lifetime; munge is the default).
#
# Knobs (environment, read by `start`):
#   SLURM_CLUSTER_NODES  number of slurmd (nodes n1..nN, one host)   default 2
#   SLURM_CLUSTER_CPUS   CPUs each node claims (may exceed the real
#                        core count: SlurmdParameters=config_overrides) default 4
#   SLURM_CLUSTER_PORT   first TCP port (ctld; slurmd use the next N)  default: first free from 16817
#   SLURM_CLUSTER_AUTH   munge | none                                 default munge
#   SLURM_CLUSTER_TIMEOUT seconds to wait for the nodes to become idle default 60
#
# Exit status: 0 ok; 1 failure (on a failed `start`, everything it started
# is stopped again before returning).

set -u
set -o pipefail

PROG=slurm_cluster.sh
SLURM_SBIN=${SLURM_SBIN:-/usr/sbin}

die() { echo "$PROG: error: $*" >&2; exit 1; }
note() { echo "$PROG: $*" >&2; }

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

[ $# -ge 2 ] || usage
CMD=$1
DIR=$2
case "$DIR" in /*) ;; *) DIR=$(pwd)/$DIR ;; esac
DIR=${DIR%/}

CONF=$DIR/slurm.conf

# ---------------------------------------------------------------- helpers

# Alive = exists and is not a zombie (PID 1 of a container may never reap).
pid_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  local st
  st=$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Processes left over by this cluster: Slurm daemons and slurmstepd whose
# working folder is inside DIR (slurmd and the slurmstepd it forks work in
# DIR/log; slurmstepd rewrites its environment for its process title),
# processes started with ATTN_SLURM_CLUSTER=DIR in their environment, and job
# processes (SLURM_CONF naming this cluster's config together with a
# SLURM_JOB_ID). Never this script or its ancestors (a shell that sourced
# env.sh is not a job).
cluster_pids() {
  local p f self=" " q=$$
  while [ -n "$q" ] && [ "$q" != 0 ]; do
    self="$self$q "
    q=$(awk '/^PPid:/ {print $2}' "/proc/$q/status" 2>/dev/null)
  done
  {
    for p in /proc/[0-9]*; do
      case "$(readlink "$p/exe" 2>/dev/null)" in
        */slurmstepd* | */slurmd | */slurmd-* | */slurmctld*)
          case "$(readlink "$p/cwd" 2>/dev/null)/" in
            "$DIR"/*) echo "${p#/proc/}" ;;
          esac ;;
      esac
    done
    grep -lzxF "ATTN_SLURM_CLUSTER=$DIR" /proc/[0-9]*/environ 2>/dev/null
    for f in $(grep -lzxF "SLURM_CONF=$CONF" /proc/[0-9]*/environ 2>/dev/null); do
      grep -qz '^SLURM_JOB_ID=' "$f" 2>/dev/null && echo "$f"
    done
  } | sed 's#^/proc/##; s#/environ$##' | sort -un | while read -r p; do
    case "$self" in *" $p "*) ;; *) echo "$p" ;; esac
  done
}

# pid_is PID NAME: PID runs the program NAME (slurmd, slurmctld, munged;
# Debian's binaries are slurmd-wlm etc.). Guards against a recycled PID in a
# stale PID file.
pid_is() {
  local exe
  exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
  case "${exe##*/}" in "$2" | "$2"-*) return 0 ;; esac
  return 1
}

# Stop one daemon: TERM, wait up to $3 seconds, then KILL. Only if PID is
# alive and runs the program NAME.
stop_pid() {
  local pid=$1 prog=$2 wait_s=${3:-10} name=${4:-$2} i
  pid_alive "$pid" || return 0
  pid_is "$pid" "$prog" || { note "pid $pid is no longer $prog; left alone"; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < wait_s * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  note "$name (pid $pid) ignored SIGTERM for ${wait_s}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null
  sleep 0.2
  return 0
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
  local n=$1 p=${SLURM_CLUSTER_PORT:-} k ok
  if [ -n "$p" ]; then echo "$p"; return; fi
  for ((p = 16817; p < 17817; p += n + 1)); do
    ok=1
    for ((k = 0; k <= n; k++)); do
      if port_busy $((p + k)); then ok=0; break; fi
    done
    if [ $ok = 1 ]; then echo "$p"; return; fi
  done
  die "no free port range found in 16817..17817"
}

ensure_packages() {
  local missing=()
  [ -x "$SLURM_SBIN/slurmctld" ] || missing+=(slurmctld)
  [ -x "$SLURM_SBIN/slurmd" ] || missing+=(slurmd)
  command -v sbatch >/dev/null || missing+=(slurm-client)
  if [ "$AUTH" = munge ]; then
    [ -x /usr/sbin/munged ] || missing+=(munge)
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "${SLURM_CLUSTER_INSTALL:-0}" = 1 ]; then
    note "installing slurm-wlm munge with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge >&2 ||
      die "apt-get install slurm-wlm munge failed"
  else
    die "missing: ${missing[*]}. Install with: apt-get install -y slurm-wlm munge (or set SLURM_CLUSTER_INSTALL=1)"
  fi
}

write_env() {
  cat >"$DIR/env.sh" <<EOF
# source this file to talk to the throwaway cluster in $DIR
export SLURM_CONF=$CONF
# several slurmd share one host: Open MPI must not use shared memory between "nodes"
export OMPI_MCA_btl=self,tcp
# Open MPI's mpirun refuses root without these
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# the nodes claim more CPUs than the machine has
export OMPI_MCA_rmaps_base_oversubscribe=1
# ... so waiting ranks must yield the core (srun-launched ranks cannot know)
export OMPI_MCA_mpi_yield_when_idle=1
export HDF5_USE_FILE_LOCKING=FALSE
EOF
}

# ---------------------------------------------------------------- stop

do_stop() {
  [ -d "$DIR" ] || { note "nothing to stop in $DIR"; return 0; }
  local pid f i
  unset ATTN_SLURM_CLUSTER   # (set when called from a failed start) not for our own children

  # 1. Cancel jobs while the controller is still alive, so slurmd/slurmstepd
  #    kill the job processes themselves.
  pid=$(cat "$DIR/run/slurmctld.pid" 2>/dev/null)
  if [ -f "$CONF" ] && pid_alive "$pid" && pid_is "$pid" slurmctld; then
    export SLURM_CONF=$CONF
    local jobs
    jobs=$(timeout 10 squeue -h -o %i 2>/dev/null | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
      note "cancelling jobs: $jobs"
      timeout 10 scancel $jobs 2>/dev/null
      for ((i = 0; i < 100; i++)); do
        [ -z "$(timeout 5 squeue -h -o %i -t PD,R,CG,CF,S 2>/dev/null)" ] && break
        sleep 0.2
      done
    fi
  fi

  # 2. Daemons, by the PIDs they recorded: slurmd first, then the controller.
  for f in "$DIR"/run/slurmd-*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null)
    stop_pid "$pid" slurmd 10 "slurmd $(basename "$f" .pid)"
    rm -f "$f"
  done
  if [ -f "$DIR/run/slurmctld.pid" ]; then
    stop_pid "$(cat "$DIR/run/slurmctld.pid")" slurmctld 10
    rm -f "$DIR/run/slurmctld.pid"
  fi

  # 3. munged and its private folder.
  local mdir
  mdir=$(cat "$DIR/run/munge_dir" 2>/dev/null)
  if [ -n "$mdir" ] && [ -d "$mdir" ]; then
    if [ -f "$mdir/munged.pid" ]; then
      stop_pid "$(cat "$mdir/munged.pid")" munged 10
    fi
  fi
  # 4. Anything else of this cluster (stray job steps, a daemon whose PID
  #    file was never written).
  local left
  left=$(cluster_pids | tr '\n' ' ')
  if [ -n "${left// /}" ]; then
    note "killing leftover processes of this cluster: $left"
    kill -KILL $left 2>/dev/null
  fi

  case "$mdir" in /tmp/attn-slurm-munge.*) rm -rf "$mdir" ;; esac
  rm -f "$DIR/run/munge_dir"
  note "stopped cluster in $DIR"
  return 0
}

# ---------------------------------------------------------------- start

start_fail() {
  local msg=$1 f
  shift
  for f in "$@"; do
    [ -s "$f" ] && { echo "---- $f (last lines)" >&2; tail -n 15 "$f" >&2; }
  done
  note "start failed: $msg; tearing down"
  do_stop
  exit 1
}

do_start() {
  [ "$(id -u)" = 0 ] || die "must run as root (SlurmUser=root, no systemd)"
  NODES=${SLURM_CLUSTER_NODES:-2}
  CPUS=${SLURM_CLUSTER_CPUS:-4}
  AUTH=${SLURM_CLUSTER_AUTH:-munge}
  TIMEOUT=${SLURM_CLUSTER_TIMEOUT:-60}
  case "$AUTH" in munge | none) ;; *) die "SLURM_CLUSTER_AUTH must be munge or none" ;; esac
  ensure_packages

  # A cluster left behind by an earlier, interrupted run: stop it first.
  if [ -d "$DIR/run" ]; then
    do_stop
  fi
  # Always a fresh cluster: no jobs, node state or logs carried over (a
  # slurmctld that finds saved jobs would requeue and rerun them).
  rm -rf "$DIR"/{run,state,log,spool,tmp} "$CONF" "$DIR/env.sh"
  mkdir -p "$DIR"/{run,state,log,spool,tmp} || die "cannot create $DIR"
  # From here on, a failure (or an interrupt) stops whatever was started.
  trap 'start_fail "interrupted"' INT TERM HUP

  local port host
  port=$(pick_port "$NODES")
  host=$(uname -n); host=${host%%.*}

  export SLURM_CONF=$CONF
  export ATTN_SLURM_CLUSTER=$DIR   # marks every daemon started here (and slurmstepd) for `stop`

  # ---- munge: own key, socket, pid, log; nothing in /etc/munge or /run/munge.
  local auth_lines
  if [ "$AUTH" = munge ]; then
    local mdir
    mdir=$(mktemp -d /tmp/attn-slurm-munge.XXXXXX)
    echo "$mdir" >"$DIR/run/munge_dir"
    chmod 755 "$mdir"   # munged: every folder above the socket must be world-executable
    dd if=/dev/urandom of="$mdir/munge.key" bs=1024 count=1 status=none
    chmod 600 "$mdir/munge.key"
    /usr/sbin/munged --socket="$mdir/munge.socket" --key-file="$mdir/munge.key" \
      --pid-file="$mdir/munged.pid" --log-file="$DIR/log/munged.log" \
      --seed-file="$mdir/munged.seed" </dev/null >>"$DIR/log/munged.log" 2>&1 ||
      start_fail "munged did not start" "$DIR/log/munged.log"
    auth_lines="AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$mdir/munge.socket"
  else
    auth_lines="AuthType=auth/none
CredType=cred/none"
  fi

  : >"$DIR/plugstack.conf"
  {
    cat <<EOF
# Throwaway single-host Slurm cluster written by scripts/slurm_cluster.sh.
ClusterName=attnci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
$auth_lines
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/%n
TmpFS=$DIR/tmp/%n
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd-%n.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$DIR/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
SlurmctldTimeout=60
SlurmdTimeout=60
InactiveLimit=0
KillWait=2
# sbatch --wait polls every 8 s only when MinJobAge <= 16 (else 2, 8, 32, 32... s)
MinJobAge=16
MessageTimeout=20
EOF
    local i
    for ((i = 1; i <= NODES; i++)); do
      echo "NodeName=n$i NodeHostname=localhost NodeAddr=127.0.0.1 Port=$((port + i)) CPUs=$CPUS Sockets=1 CoresPerSocket=$CPUS ThreadsPerCore=1 RealMemory=1000 State=UNKNOWN"
    done
    echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
  } >"$CONF"
  write_env

  note "slurmctld on port $port, $NODES node(s) x $CPUS CPUs, auth $AUTH, config $CONF"
  # -c: start from a clean state. Daemon mode: each daemon writes its PID
  # file, which is what `stop` uses.
  "$SLURM_SBIN/slurmctld" -c -f "$CONF" </dev/null >>"$DIR/log/slurmctld.out" 2>&1 ||
    start_fail "slurmctld did not start" "$DIR/log/slurmctld.log" "$DIR/log/slurmctld.out"
  for ((i = 1; i <= NODES; i++)); do
    mkdir -p "$DIR/spool/n$i" "$DIR/tmp/n$i"
    "$SLURM_SBIN/slurmd" -c -N "n$i" -f "$CONF" </dev/null >>"$DIR/log/slurmd-n$i.out" 2>&1 ||
      start_fail "slurmd n$i did not start" "$DIR/log/slurmd-n$i.log" "$DIR/log/slurmd-n$i.out"
  done

  # Wait until every node is idle.
  local t0=$SECONDS states
  while :; do
    states=$(timeout 10 sinfo -h -N -o '%N %T' 2>/dev/null | sort -u)
    if [ -n "$states" ] && [ "$(printf '%s\n' "$states" | grep -c ' idle$')" -ge "$NODES" ]; then
      break
    fi
    if ((SECONDS - t0 > TIMEOUT)); then
      start_fail "nodes not idle after ${TIMEOUT}s: ${states:-no answer from slurmctld}" "$DIR"/log/*.log
    fi
    sleep 0.5
  done
  trap - INT TERM HUP
  note "cluster ready in $((SECONDS - t0))s; use: source $DIR/env.sh"
  return 0
}

do_status() {
  [ -f "$CONF" ] || { echo "no cluster in $DIR"; return 1; }
  local f pid rc=0
  for f in "$DIR"/run/slurmctld.pid "$DIR"/run/slurmd-*.pid "$(cat "$DIR/run/munge_dir" 2>/dev/null)/munged.pid"; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if pid_alive "$pid"; then echo "$(basename "$f" .pid): running (pid $pid)"
    else echo "$(basename "$f" .pid): DEAD (pid $pid)"; rc=1; fi
  done
  export SLURM_CONF=$CONF
  timeout 10 sinfo -N -o '%N %T %c' || rc=1
  timeout 10 squeue || rc=1
  return $rc
}

case "$CMD" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  env) cat "$DIR/env.sh" ;;
  *) usage ;;
esac
