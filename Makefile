# The whole test suite: installs redis-server and Chromium when missing, then vet and the race
# detector over every package (real sockets, real redis-server on free ports, real hub processes,
# headless Chromium).
.PHONY: test repeat run bench loadbench fuzz
test:
	bash .ci/deps
	go vet ./...
	go test -race -count=1 -timeout 30m ./...

# The whole suite N times in a row (default 20), stopping at the first failure: flaky tests show
# here. Logs of each run in OUT (default a new directory under /tmp).
repeat:
	bash .ci/repeat $(N)

run:
	go run ./cmd/hub

# Engine and hot-path micro-benchmarks (the socket benchmarks are bench/run, see BENCHMARKS.md).
bench:
	go test -run XXX -bench . -benchmem ./match/ ./hub/...

# The socket benchmark harness: Redis, three nodes, the standard scenarios and the baselines.
loadbench:
	bench/run

# Every fuzz target for FUZZTIME each (default 1m): the engine's commands, Swiss pairing, the
# fast readers of stored and published JSON, and a socket's client messages. `make test` runs
# their seeds only.
FUZZTIME ?= 1m
fuzz:
	go test -run XXX -fuzz '^FuzzApply$$' -fuzztime $(FUZZTIME) ./match
	go test -run XXX -fuzz '^FuzzPairSwiss$$' -fuzztime $(FUZZTIME) ./match
	go test -run XXX -fuzz '^FuzzDecoders$$' -fuzztime $(FUZZTIME) ./match
	go test -run XXX -fuzz '^FuzzFieldReaders$$' -fuzztime $(FUZZTIME) ./hub/redisstore
	go test -run XXX -fuzz '^FuzzClientMsgPlain$$' -fuzztime $(FUZZTIME) ./hub/ws
