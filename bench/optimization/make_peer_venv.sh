#!/bin/sh
# The benchmark peers (BayBE, Ax) in their own venv, never in anodelab's:
#   sh bench/optimization/make_peer_venv.sh [/work/venv-bench]
# torch stays at the project's pin (the CPU wheel); baybe 0.15 and ax-platform 1.3 resolve with it
# (/work/shared/notes/optimization.md).  run.py and latency.py find it at PEER_PYTHON /
# ANODELAB_BENCH_PYTHON (default /work/venv-bench/bin/python).
set -e
DEST=${1:-/work/venv-bench}
PY=${PYTHON:-python3.11}
$PY -m venv "$DEST"
"$DEST/bin/pip" install -q "torch==2.13.0" baybe ax-platform
"$DEST/bin/python" -c "import baybe, ax, botorch; print('baybe', baybe.__version__, 'ax', ax.__version__, 'botorch', botorch.__version__)"
