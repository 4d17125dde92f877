#!/bin/bash
# run.sh MODE N ROUNDS [BATCH]
M=$1; N=${2:-5000}; R=${3:-100}
./exp -mode $M -n $N -rounds $R -batch ${4:-256} 2> addr.$M &
W=$!
sleep 0.3
./exp -mode reader -n $N -addr $(head -1 addr.$M) & RD=$!
wait $W; kill $RD
