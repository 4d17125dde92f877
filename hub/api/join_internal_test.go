package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/tourhub/tourhub/match"
)

// TestJoinResponseAsEncodingJSON: a join's answer is written, body and headers, byte for byte as
// echo's c.JSON writes it (encoding/json and a newline), for player ids and versions of every
// size and tokens that JSON must escape.
func TestJoinResponseAsEncodingJSON(t *testing.T) {
	e := echo.New()
	for _, r := range []joinResponse{
		{PlayerID: 1, Token: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0aWQiOiJ0X2EifQ.c2ln", Version: 2},
		{PlayerID: match.PlayerID(1 << 40), Token: "", Version: 1 << 62, Duplicate: true},
		{PlayerID: -3, Token: `<"quoted"> & \back ü` + "\u2028\x01", Version: -1},
	} {
		status := http.StatusCreated
		if r.Duplicate {
			status = http.StatusOK
		}
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		if err := e.NewContext(httptest.NewRequest(http.MethodPost, "/", nil), want).JSON(status, r); err != nil {
			t.Fatal(err)
		}
		if err := e.NewContext(httptest.NewRequest(http.MethodPost, "/", nil), got).JSONBlob(status, r.appendJSON(nil)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) || got.Code != want.Code {
			t.Errorf("%+v: %d %q; c.JSON writes %d %q", r, got.Code, got.Body, want.Code, want.Body)
		}
		for k, v := range want.Header() {
			if g := got.Header()[k]; len(g) != len(v) || (len(v) > 0 && g[0] != v[0]) {
				t.Errorf("%+v: header %s %q; c.JSON writes %q", r, k, g, v)
			}
		}
		var back joinResponse
		if err := json.Unmarshal(got.Body.Bytes(), &back); err != nil || back != r {
			t.Errorf("%+v: reads back as %+v, %v", r, back, err)
		}
	}
}
