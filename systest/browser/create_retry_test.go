package browser

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// loseFirstCreateAnswer makes the page's first POST /api/tournaments reach the hub and then fail
// as if the connection dropped before the answer came back.
const loseFirstCreateAnswer = `(() => {
	const real = window.fetch;
	window.fetch = async (url, opts) => {
		const res = await real(url, opts);
		if (String(url).endsWith('/api/tournaments') && opts && opts.method === 'POST') {
			// Kept across the navigation to the organiser page.
			const sent = JSON.parse(sessionStorage.getItem('creates') || '[]');
			sent.push(JSON.parse(opts.body).submission_id || '');
			sessionStorage.setItem('creates', JSON.stringify(sent));
			if (sent.length === 1) throw new TypeError('Failed to fetch');
		}
		return res;
	};
})()`

// TestBrowserCreateRetried: the create form sends a submission id and repeats a create whose
// answer was lost with the same one, so the organiser lands on the one tournament it made,
// never two.
func TestBrowserCreateRetried(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := startHub(ctx, t)
	org := newTab(t, newBrowser(ctx, t), "organiser")
	if _, err := chromedp.Call(org.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: loseFirstCreateAnswer}); err != nil {
		t.Fatal(err)
	}
	org.do("create the tournament",
		chromedp.Navigate(base+"/index.html"),
		chromedp.WaitVisible(chromedp.ID("create-name")),
		chromedp.SetValue(chromedp.ID("create-name"), "Retry Cup"),
		chromedp.Click(chromedp.ID("create-submit")),
	)
	org.wait("the organiser view", `location.pathname.endsWith('organiser.html') && document.getElementById('org-view') && !document.getElementById('org-view').hidden && document.querySelector('[data-testid=tournament-status]')`)
	tid := org.text(`[data-testid="tournament-id"]`)
	if got := org.eval("the creates sent", `(() => { const s = JSON.parse(sessionStorage.getItem('creates') || '[]'); return s.length === 2 && s[0].length >= 16 && s[0] === s[1] ? 'same' : JSON.stringify(s); })()`); got != "same" {
		t.Errorf("creates sent (their submission ids): %s; want two with the same id", got)
	}

	var list struct {
		Tournaments []struct{ ID, Name string } `json:"tournaments"`
	}
	mustAPI(ctx, t, http.MethodGet, base+"/api/tournaments", "", nil, &list)
	if len(list.Tournaments) != 1 || list.Tournaments[0].ID != tid || list.Tournaments[0].Name != "Retry Cup" {
		t.Errorf("tournaments after a create whose answer was lost: %+v; want only %s, the one the page shows", list.Tournaments, tid)
	}
}
