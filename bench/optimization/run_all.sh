#!/bin/sh
# The runs behind docs/performance-optimization.md (two background jobs on the 2-core machine).
#   nohup sh bench/optimization/run_all.sh ours  > /tmp/bench_ours.log  2>&1 &
#   nohup sh bench/optimization/run_all.sh peers > /tmp/bench_peers.log 2>&1 &
cd "$(dirname "$0")/../.." || exit 1
R="env OMP_NUM_THREADS=1 .venv/bin/python bench/optimization/run.py --seeds 10"
O=bench/optimization/results
case "$1" in
ours)
  $R --problems olymp_suzuki hartmann6 branin mixed virtual_lab --strategies anodelab --out $O/anodelab.csv
  $R --problems virtual_lab --strategies anodelab --transfer related --out $O/transfer.csv
  $R --problems virtual_lab --strategies anodelab --transfer unrelated --out $O/transfer.csv
  $R --problems direct_arylation olymp_hplc --strategies anodelab --out $O/anodelab.csv
  ;;
peers)
  $R --problems olymp_suzuki hartmann6 branin mixed virtual_lab direct_arylation olymp_hplc --strategies random sobol --out $O/baselines.csv
  $R --problems hartmann6 branin mixed olymp_suzuki --strategies baybe --out $O/peers.csv
  $R --problems hartmann6 branin mixed --strategies ax --out $O/peers.csv
  $R --problems virtual_lab direct_arylation --strategies baybe --out $O/peers.csv
  ;;
esac
