package sock

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// inflate undoes AppendDeflate as a client does (RFC 7692, 7.2.2): the 4 bytes back, then
// DEFLATE.
func inflate(t *testing.T, p []byte) []byte {
	t.Helper()
	r := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
	var out bytes.Buffer
	if _, err := io.Copy(&out, r); err != nil && err != io.ErrUnexpectedEOF {
		t.Fatalf("inflate: %v", err)
	}
	return out.Bytes()
}

// noise is n bytes that deflate cannot shrink.
func noise(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

func TestAppendDeflate(t *testing.T) {
	var match strings.Builder
	for i := range 500 {
		fmt.Fprintf(&match, `{"id":%d,"bracket":"winners","round":1,"status":"pending","players":[null,null],"scores":[0,0]},`, i)
	}
	for _, tc := range []struct {
		name       string
		msg        string
		compressed bool
	}{
		{"short", `{"type":"subscribed"}`, false},
		{"small event", `{"type":"event","tournament":"t_31ea6b760d632190","epoch":"e_9d20d05173ed","version":67,"rev":"1m2t6g21lmfch","events":[{"type":"match_completed","match":{"id":1,"bracket":"winners","round":1,"status":"completed","players":[1,64],"filled":[true,true],"scores":[1,0],"winner":1,"loser":64,"winner_to":33}},{"type":"player_eliminated","player":64}]}`, false},
		{"snapshot", `{"matches":[` + match.String() + `{}]}`, true},
		{"incompressible", noise(4096), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("head")
			out, ok := AppendDeflate(prefix, []byte(tc.msg))
			if ok != tc.compressed {
				t.Fatalf("compressed %v; want %v (%d bytes)", ok, tc.compressed, len(tc.msg))
			}
			if !bytes.HasPrefix(out, prefix) {
				t.Fatalf("dst lost: %q", out[:4])
			}
			if !ok {
				if len(out) != len(prefix) {
					t.Fatalf("not compressed but %d bytes appended", len(out)-len(prefix))
				}
				return
			}
			z := out[len(prefix):]
			if len(z) >= len(tc.msg) {
				t.Errorf("%d bytes compressed to %d", len(tc.msg), len(z))
			}
			if got := inflate(t, z); string(got) != tc.msg {
				t.Errorf("inflates to %q; want %q", got, tc.msg)
			}
		})
	}
}

// TestAppendDeflateIndependent: each message is compressed on its own (no context taken over
// from the one before), so that it can go to every connection whatever it was sent before.
func TestAppendDeflateIndependent(t *testing.T) {
	msg := []byte(strings.Repeat(`{"type":"event","version":1},`, 100))
	a, _ := AppendDeflate(nil, msg)
	b, _ := AppendDeflate(nil, msg)
	if !bytes.Equal(a, b) {
		t.Fatal("the same message compressed twice differs: state was carried over")
	}
}
