#!/bin/sh
# The scheduler of compose.yaml: joins the Ray cluster at $1 (the head's address), then runs the
# group's day, `papersieve run --all --ray auto` (auto: the cluster this container has joined), at
# each of RUN_TIMES (UTC, Monday to Friday). RUN_TIMES are src/papersieve/schedule.py's
# RUN_TIMES_UTC (tests/test_deploy_files.py checks that, and runs this loop with stand-ins for
# `date`, `sleep`, `ray` and `papersieve`). A run that is missed (the container was down) is
# caught up by the next one: `papersieve run` with no date runs the days it missed.
set -u
RUN_TIMES="06:17 15:43"

ray start --address="$1" || exit 1
last=""
while :; do
    # shellcheck disable=SC2046
    set -- $(date -u '+%u %H:%M %F')
    weekday=$1 now=$2 today=$3
    if [ "$weekday" -le 5 ] && [ "$today $now" != "$last" ]; then
        for at in $RUN_TIMES; do
            if [ "$now" = "$at" ]; then
                last="$today $now"
                papersieve run --all --ray auto
                echo "papersieve-scheduler: run --all exited with $?"
            fi
        done
    fi
    sleep 20
done
