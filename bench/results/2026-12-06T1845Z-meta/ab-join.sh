#!/bin/bash
# ab-join.sh N: interleaved pairs of the redisstore micro-benchmarks, old and new test binaries
for i in $(seq $1); do
  for v in old new; do
    ./rs-$v.test -test.run XXX -test.bench 'UnwatchedRoundRobin/join_16$|Apply/single_elimination_512$' -test.benchmem -test.benchtime 5000x 2>&1 | grep Benchmark | sed "s/^/$v $i /"
  done
done
