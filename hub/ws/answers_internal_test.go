package ws

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/wire"
)

// TestAnswersAsEncodingJSON: the answers to auth and unsubscribe are written byte for byte as
// encoding/json writes them, with and without a ref and a player id, with strings JSON must
// escape.
func TestAnswersAsEncodingJSON(t *testing.T) {
	type authOK struct {
		Type       string       `json:"type"`
		Ref        string       `json:"ref,omitempty"`
		Tournament string       `json:"tournament"`
		Role       command.Role `json:"role"`
		PlayerID   int          `json:"player_id,omitempty"`
	}
	type unsubscribed struct {
		Type       string `json:"type"`
		Ref        string `json:"ref,omitempty"`
		Tournament string `json:"tournament"`
	}
	odd := `<"&\>` + "\u2028\x01ü\xff"
	for _, c := range []struct{ ref string }{{"a1"}, {""}, {odd}} {
		for _, cl := range []command.Claims{
			{Tournament: "t_ab12", Role: command.RolePlayer, Player: 12},
			{Tournament: "t_ab12", Role: command.RoleSpectator},
			{Tournament: odd, Role: command.Role(odd), Player: -1 << 40},
		} {
			want, err := json.Marshal(authOK{"auth_ok", c.ref, cl.Tournament, cl.Role, cl.Player})
			if err != nil {
				t.Fatal(err)
			}
			if got := appendAuthOK(nil, c.ref, cl); !bytes.Equal(got, want) {
				t.Errorf("auth_ok %q %+v:\n%s\nwant\n%s", c.ref, cl, got, want)
			}
			want, err = json.Marshal(unsubscribed{"unsubscribed", c.ref, cl.Tournament})
			if err != nil {
				t.Fatal(err)
			}
			if got := append(wire.AppendHead(nil, "unsubscribed", c.ref, cl.Tournament), '}'); !bytes.Equal(got, want) {
				t.Errorf("unsubscribed %q %q:\n%s\nwant\n%s", c.ref, cl.Tournament, got, want)
			}
		}
	}
}
