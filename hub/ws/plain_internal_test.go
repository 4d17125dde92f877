package ws

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestClientMsgPlainAsEncodingJSON: whatever decodePlain takes, encoding/json's Unmarshal takes
// too and reads as the same message. Messages are generated from every member, in any order and
// repeated, with names spelt otherwise, strings with escapes, control characters, other scripts
// and invalid UTF-8, numbers in every notation, null, lists of every shape and whitespace
// anywhere, and then altered byte by byte. It also checks that the messages the load tool and the
// browser client send are taken.
func TestClientMsgPlainAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 12))
	names := []string{"type", "ref", "token", "tournament", "epoch", "version", "rev", "match", "scores",
		"submission_id", "name", "rating", "games", "Type", "REF", "unknown", "", "type ", "Name"}
	strs := []string{`""`, `"report"`, `"t_9f86d081"`, `"Ünïcødé ✓"`, `"a\"b"`, `"a\\b"`, `"\u00e9"`, "\"a\tb\"",
		"\"\xff\xfe\"", `"<&>"`, `5`, `null`, `true`, `["x"]`}
	ints := []string{`0`, `7`, `-0`, `-12`, `01`, `1e2`, `1.5`, `9223372036854775807`, `9223372036854775808`,
		`-9223372036854775809`, `null`, `"3"`, `- 1`, `+1`}
	lists := []string{`[]`, `[1,0]`, `[ 2 , 1 ]`, `[1,0,3]`, `[1,]`, `[1 0]`, `["1",0]`, `[[1,0]]`, `null`, `{}`, `[1.0,2]`}
	space := func() string {
		if r.IntN(3) > 0 {
			return ""
		}
		return []string{" ", "\n", "\t ", "\r\n  ", "\v", "\u00a0"}[r.IntN(6)]
	}
	value := func(name string) string {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "version", "match", "rating":
			if r.IntN(4) > 0 {
				return ints[r.IntN(4)] // mostly plain integers
			}
			return ints[r.IntN(len(ints))]
		case "scores":
			if r.IntN(4) > 0 {
				return lists[r.IntN(3)]
			}
			return lists[r.IntN(len(lists))]
		case "games":
			return []string{`[[11,3],[8,11]]`, `[]`, `null`}[r.IntN(3)]
		}
		if r.IntN(4) > 0 {
			return strs[r.IntN(4)] // mostly plain strings
		}
		return strs[r.IntN(len(strs))]
	}
	message := func() string {
		var b strings.Builder
		b.WriteString(space() + "{")
		n := r.IntN(6)
		for i := range n {
			if i > 0 {
				b.WriteString(space() + ",")
			}
			name := names[r.IntN(len(names))]
			if r.IntN(3) > 0 {
				name = names[r.IntN(12)] // mostly exact names
			}
			b.WriteString(space() + `"` + name + `"` + space() + ":" + space() + value(name))
		}
		b.WriteString(space() + "}" + space())
		return b.String()
	}
	junk := []byte(`{}[]",:\ 0-1.e+nul` + "\x00\x7f\xc3")
	taken, checked := 0, 0
	check := func(data string) bool {
		checked++
		var plain clientMsg
		if !plain.decodePlain([]byte(data)) {
			return false
		}
		taken++
		var want clientMsg
		if err := json.Unmarshal([]byte(data), &want); err != nil {
			t.Fatalf("decodePlain took %q, which encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(plain, want) {
			t.Fatalf("%q: decodePlain read %+v; encoding/json %+v", data, plain, want)
		}
		return true
	}
	generated, plain := 20000, 0
	for range generated {
		msg := message()
		if check(msg) {
			plain++
		}
		for range 3 {
			i := r.IntN(len(msg))
			switch r.IntN(3) {
			case 0:
				check(msg[:i] + msg[i+1:])
			case 1:
				check(msg[:i] + string(junk[r.IntN(len(junk))]) + msg[i+1:])
			default:
				check(msg[:i] + string(junk[r.IntN(len(junk))]) + msg[i:])
			}
		}
	}
	t.Logf("decodePlain took %d of %d messages (%d of the %d generated unaltered)", taken, checked, plain, generated)
	if plain < generated/5 {
		t.Errorf("decodePlain took only %d of %d generated messages", plain, generated)
	}
	for _, sent := range []map[string]any{ // the load tool marshals maps; the browser client objects
		{"type": "report", "ref": "r12", "tournament": "t_ab12", "match": 3, "scores": []int{1, 0}, "submission_id": "s-1"},
		{"type": "auth", "token": "eyJhbGciOiJIUzI1NiJ9.e30.x"},
		{"type": "subscribe", "tournament": "t_ab12", "epoch": "e_1", "version": 12, "rev": "k3j"},
		{"type": "unsubscribe", "tournament": "t_ab12"},
		{"type": "join", "ref": "j3", "tournament": "t_ab12", "name": "p12", "submission_id": "g1-c2-p12-0123456789"},
		{"type": "ping"},
	} {
		b, _ := json.Marshal(sent)
		var m clientMsg
		if !m.decodePlain(b) {
			t.Errorf("decodePlain refused %s", b)
		}
	}
	var m clientMsg
	if !m.decodePlain([]byte(`{"type":"report","tournament":"t_1","match":3,"scores":[2,1],"ref":"7","submission_id":"a"}`)) {
		t.Error("decodePlain refused the browser client's report")
	}
}

// FuzzClientMsgPlain: nothing a client sends makes decodePlain panic, and whatever it takes,
// encoding/json takes and reads alike (as TestClientMsgPlainAsEncodingJSON, on the fuzzer's input).
// `go test -fuzz FuzzClientMsgPlain ./hub/ws` explores; plain `go test` runs the seeds.
func FuzzClientMsgPlain(f *testing.F) {
	for _, seed := range []string{
		`{"type":"report","ref":"r12","tournament":"t_ab12","match":3,"scores":[1,0],"submission_id":"s-1"}`,
		`{"type":"subscribe","tournament":"t_ab12","epoch":"e_1","version":12,"rev":"k3j"}`,
		` { "type" : "auth" , "token" : "x" } `, `{}`, `{"type":"join","tournament":"t_1","name":"Ada","rating":1500}`, `{"scores":[]}`, `{"match":-0}`, `{"version":01}`,
		`{"type":"a\"b"}`, "{\"ref\":\"\xff\"}", `{"Type":"ping"}`, `{"scores":[1,0,}`, `[]`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var plain clientMsg
		if !plain.decodePlain(data) {
			return
		}
		var want clientMsg
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("decodePlain took %q, which encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(plain, want) {
			t.Fatalf("%q: decodePlain read %+v; encoding/json %+v", data, plain, want)
		}
	})
}
