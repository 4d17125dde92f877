#!/usr/bin/env bash
# scratch: idle background, old vs new hub, interleaved pairs
for r in 1 2 3; do
  for v in O N; do
    HUB=/tmp/p/hub$v WAIT=60s ./idle.sh /tmp/p/iab-$v-$r > /dev/null 2>&1
    echo "$v $r $(grep 'CPU while' /tmp/p/iab-$v-$r/lt.out)"
  done
done
