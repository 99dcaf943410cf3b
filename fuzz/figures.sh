#!/bin/sh
# Prints the last run's figures of each target from fuzz/logs/<target>.log:
# executions, exec/s, the last coverage line (cov:, ft:, corp:), the corpus
# size on disk and the run's exit (0: no finding in the whole run).
cd "$(dirname "$0")"
for log in logs/*.log; do
    t=$(basename "$log" .log)
    case $t in *.*|*-[0-9]*) continue ;; esac
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9a-zA-Z]*' "$log" | tail -1)
    n=$(ls "corpus/$t" 2>/dev/null | wc -l)
    rc=$(tail -1 "$log")
    echo "$t: execs=$execs exec/s=$rate $cov corpus=$n files, $rc"
done
