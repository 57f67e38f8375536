#!/usr/bin/env bash
# W4 (examples/w4_cnn.json, the Fashion-MNIST CNN) trained data-parallel on 4 machines of a Slurm
# cluster: one loom-cli process (rank) a machine, each on its slice of every global batch, with
# gradients summed over Gloo (TCP). Data-parallel training runs on the CPU in this Loom.
#
#   cd LOOM_CHECKOUT && sbatch examples/slurm_train.sh [more loom-cli train options]
#
# Submit from a folder every node sees (the rendezvous folder, the checkpoint and the trained
# project are written there). Every node needs loom-cli and the data: Fashion-MNIST in
# /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist), or LOOM_DATA naming a
# copy on the shared file system, e.g. LOOM_DATA=fashion-mnist:/shared/fashion-mnist.
# Environment: LOOM_CLI (the program), LOOM_MODEL (the model or project to train), LOOM_DATA,
# LOOM_CHECKPOINT and LOOM_SAVE (where rank 0 writes; .loom files hold weights, optimizer
# state and the epoch reached).
#
# Resuming, here on 2 machines instead of 4, after a job that ended (time limit, scancel) with
# 6 of its 12 epochs in the checkpoint:
#
#   LOOM_MODEL=$PWD/loom-w4.checkpoint.loom sbatch --nodes=2 examples/slurm_train.sh \
#       --epochs 6 --batch 256
#
# A project continues where it stopped, with its optimizer state; --epochs counts the epochs
# still to train. --batch is each rank's share: 4 ranks x 128 = 512 samples a step before, so 2
# ranks take 256 each to keep the global batch and the learning rate's meaning. Without it
# the global batch would be 256.

# Directives for sbatch; it reads them up to the first command, so they come before any.
# The job's name in squeue and sacct.
#SBATCH --job-name=loom-w4
# Four machines...
#SBATCH --nodes=4
# ...with one rank each: Loom takes its rank and the number of ranks from srun's SLURM_PROCID
# and SLURM_NTASKS.
#SBATCH --ntasks-per-node=1
# Cores for each rank's compute threads (--threads below); Gloo's communication thread runs
# beside them.
#SBATCH --cpus-per-task=16
# Wall-clock limit. At the limit Slurm sends SIGTERM: every rank stops after the same step and
# rank 0 still writes --save (loom-cli exits with 143).
#SBATCH --time=00:30:00
# Everything rank 0 prints (the other ranks print only errors), %j being the job id.
#SBATCH --output=loom-w4-%j.out

set -euo pipefail

submit_dir=${SLURM_SUBMIT_DIR:?submit this script with sbatch (or run it inside salloc)}
loom_cli=${LOOM_CLI:-$(command -v loom-cli || echo "$submit_dir/build/engine/loom-cli")}
model=${LOOM_MODEL:-$submit_dir/examples/w4_cnn.json}
checkpoint=${LOOM_CHECKPOINT:-$submit_dir/loom-w4.checkpoint.loom}
save=${LOOM_SAVE:-$submit_dir/loom-w4.loom}
cpus=${SLURM_CPUS_PER_TASK:?give the job --cpus-per-task}

data=()
if [ -n "${LOOM_DATA:-}" ]; then
  data=(--data "$LOOM_DATA")
fi

# The ranks meet through a new, empty folder on a file system every node shares: each writes
# its address there and reads the others'. A new one for every job (and every requeue of it);
# removed when this script ends (a SIGKILL leaves it). LOOM_RENDEZVOUS=redis:HOST:PORT would
# use a Redis server instead.
rendezvous=$submit_dir/.loom-rendezvous-$SLURM_JOB_ID-${SLURM_RESTART_COUNT:-0}
mkdir "$rendezvous"
trap 'rm -rf -- "$rendezvous"' EXIT
export LOOM_RENDEZVOUS="file:$rendezvous"

# OpenMP threads that spin while idle take cycles from the communication thread (loom-cli
# --workers sets the same for its local workers).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

echo "loom-w4: ${SLURM_NTASKS:-?} ranks of $cpus cores on ${SLURM_JOB_NODELIST:-?}, meeting in $rendezvous"

# srun starts one loom-cli a task. Slurm 22.05 and later do not hand the job's --cpus-per-task
# on to srun by themselves, so it is passed explicitly. --kill-on-bad-exit ends every rank as
# soon as one fails; the others would otherwise stop after --collective-timeout with a message
# naming the rank.
#
# --device cpu: a GPU node would otherwise train on its GPU, which data-parallel training
#   refuses (no NCCL yet).
# --threads: compute threads a rank. One fewer than the cores, $((cpus - 1)), leaves a core to
#   the communication thread; see docs/scaling.md.
# --collective-timeout 120: how long a rank waits for the others, at the rendezvous and in
#   every all-reduce, before it stops with an error naming the missing rank (default 60 s).
# --checkpoint, --save: written by rank 0 only, after every epoch and at the end.
# Each rank tells its peers its host name (gethostname). Where that name does not lead to this
# node's cluster address (e.g. /etc/hosts maps it to 127.0.1.1), pass the address with --host,
# evaluated on each node, not here:
#   srun ... bash -c 'exec "$0" "$@" --host "$(hostname -f)"' "$loom_cli" train ...
# Arguments given to sbatch after the script's name come last and win (e.g. --epochs 2).
srun --kill-on-bad-exit=1 --cpus-per-task="$cpus" \
  "$loom_cli" train "$model" \
  --device cpu \
  --threads "$cpus" \
  --collective-timeout 120 \
  --checkpoint "$checkpoint" \
  --save "$save" \
  ${data[@]+"${data[@]}"} \
  "$@"
