#!/bin/bash
# CPU instructions per unit of work, counted by valgrind (deterministic, unlike wall-clock
# time on a shared machine): the workload at two sizes, the difference divided by the
# difference in units, so start-up and imports drop out.  PYTHONHASHSEED=0: the hash seed
# alone moves the figure by a few thousand.
#   tools/perf/instructions.sh conn|rt|ipv4|ipv6 [tree]
#   conn: per connect/accept/close cycle; rt: per round trip; ipv4/ipv6: per KB of bulk.
set -eu
kind=$1
tree=$(cd "${2:-.}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
py=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')  # (not a pyenv shim: valgrind runs it)
case $kind in
  conn) n1=300; n2=1300 ;;
  rt) n1=2000; n2=12000 ;;
  *) n1=1000; n2=6000 ;;
esac
run() {
  cd "$tree" && PYTHONHASHSEED=0 PYTHONPATH="$tree" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$py" "$here/workloads.py" "$kind" "$1" 2>&1 | grep Collected | awk '{print $4}'
}
a=$(run $n1)
b=$(run $n2)
echo "$kind: $(( (b - a) / (n2 - n1) )) instructions per unit ($tree)"
