#!/bin/sh
# One proposal (q=4, 50 obs, 5 params, 2 objectives): anodelab vs BayBE vs Ax, interleaved so that
# all three share the machine's load; each line = first call + 3 timed calls (see latency.py).
# Round A: every tool as shipped (torch's default thread count; anodelab sets 1 thread itself).
# Round B: OMP_NUM_THREADS=1 for all three (the same thread setting for everybody).
#   sh bench/optimization/latency_suite.sh > bench/optimization/results/latency.txt 2>/dev/null
cd "$(dirname "$0")/../.." || exit 1
M=.venv/bin/python
B=/work/venv-bench/bin/python
# each venv its own BoTorch kernel cache: a shared one is rebuilt (~50 s) on every venv switch
export TORCH_EXTENSIONS_DIR_BENCH=$HOME/.cache/torch_extensions/venv-bench
B="env TORCH_EXTENSIONS_DIR=$TORCH_EXTENSIONS_DIR_BENCH $B"
S=bench/optimization/latency.py
for round in 1 2; do
  echo "# round $round, default threads"
  $M $S anodelab; $B $S baybe; $B $S ax
  echo "# round $round, OMP_NUM_THREADS=1"
  OMP_NUM_THREADS=1 $M $S anodelab; OMP_NUM_THREADS=1 $B $S baybe; OMP_NUM_THREADS=1 $B $S ax
done
