package redisstore

import jsonv2 "github.com/go-json-experiment/json"

// decode reads JSON that nodes of this package wrote with encoding/json: the state hash's fields,
// the recent list's and published commits' fields, and the log's and published commits' events.
// It is encoding/json/v2's implementation (go-json-experiment/json, the module that Go's
// GOEXPERIMENT=jsonv2 aliases): about half the CPU and a third of the allocations of
// encoding/json's Unmarshal for a followed commit (BenchmarkFollow). Its stricter defaults
// (member names matched exactly, duplicate names and invalid UTF-8 refused) hold for anything
// encoding/json's Marshal writes, so nothing a node stored reads differently. What clients send
// is still read by encoding/json, whose leniency the protocol documents.
func decode(data []byte, v any) error { return jsonv2.Unmarshal(data, v) }
