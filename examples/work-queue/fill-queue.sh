#!/bin/sh
# Puts N work items (default 12) in the queue directory the work-queue Job drains.
# Usage: sh examples/work-queue/fill-queue.sh [N] [QUEUE_DIR]
set -eu
n="${1:-12}"
q="${2:-/tmp/skiff-demo/queue}"
mkdir -p "$q/todo" "$q/done"
i=1
while [ "$i" -le "$n" ]; do
  printf '%s\n' "$i" > "$q/todo/item-$(printf '%03d' "$i")"
  i=$((i + 1))
done
echo "queued $n items in $q/todo"
