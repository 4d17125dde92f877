package fanout

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tourhub/tourhub/hub/store"
)

// TestSubscribedAsEncodingJSON: the subscribed answer is written byte for byte as encoding/json
// writes it, with and without a ref, with strings JSON must escape and versions of every size.
func TestSubscribedAsEncodingJSON(t *testing.T) {
	type subscribedMsg struct {
		Type       string `json:"type"`
		Ref        string `json:"ref,omitempty"`
		Tournament string `json:"tournament"`
		Epoch      string `json:"epoch"`
		Version    int64  `json:"version"`
		Rev        string `json:"rev"`
		Recovered  bool   `json:"recovered"`
	}
	for _, c := range []struct {
		ref, id   string
		at        store.Position
		recovered bool
	}{
		{"r1", "t_ab12", store.Position{Epoch: "e_0123456789abcdef", Version: 17, Rev: "r_0123456789abcdef"}, false},
		{"", "t_ab12", store.Position{}, true},
		{`<"&\>` + "\u2028\x01ü", "t_\xff", store.Position{Epoch: "e", Version: -1 << 62, Rev: `"`}, true},
	} {
		want, err := json.Marshal(subscribedMsg{"subscribed", c.ref, c.id, c.at.Epoch, c.at.Version, c.at.Rev, c.recovered})
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeSubscribed(c.ref, c.id, c.at, c.recovered); !bytes.Equal(got.Data, want) || got.Kind != "subscribed" {
			t.Errorf("%+v:\n%s (%s)\nwant\n%s", c, got.Data, got.Kind, want)
		}
	}
}
