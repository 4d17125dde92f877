package api

import (
	"strconv"
	"testing"

	"github.com/tourhub/tourhub/hub/store"
)

// TestAnswersBound: the kept answers stay within their bound in bytes, evicting others than the
// one just put; an answer over an eighth of the bound is not kept; an older version does not
// replace a newer one of the same epoch.
func TestAnswersBound(t *testing.T) {
	a := newAnswers(8000)
	body := make([]byte, 900)
	for i := range 20 {
		id := "t" + strconv.Itoa(i)
		a.put(id, answer{head: store.Position{Epoch: "e", Version: 1}, body: body})
		if _, ok := a.get(id, store.Position{Epoch: "e", Version: 1}); !ok {
			t.Fatalf("%s: not kept", id)
		}
		sum := 0
		for _, e := range a.m {
			sum += len(e.body)
		}
		if a.bytes != sum || a.bytes > a.max {
			t.Fatalf("after %d puts: %d bytes counted, %d kept; want at most %d", i+1, a.bytes, sum, a.max)
		}
	}
	a.put("big", answer{head: store.Position{Epoch: "e", Version: 1}, body: make([]byte, 1001)})
	if _, ok := a.get("big", store.Position{Epoch: "e", Version: 1}); ok {
		t.Error("an answer over an eighth of the bound was kept")
	}
	a.put("t19", answer{head: store.Position{Epoch: "e", Version: 3}, body: body})
	a.put("t19", answer{head: store.Position{Epoch: "e", Version: 2}, body: body})
	if _, ok := a.get("t19", store.Position{Epoch: "e", Version: 3}); !ok {
		t.Error("an older version replaced the newer one")
	}
	a.put("t19", answer{head: store.Position{Epoch: "f", Version: 1}, body: body})
	if _, ok := a.get("t19", store.Position{Epoch: "f", Version: 1}); !ok {
		t.Error("another epoch did not replace the kept answer")
	}
}
