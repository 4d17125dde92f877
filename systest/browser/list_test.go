package browser

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserListPages: the list page shows the newest 50 tournaments, "Show more" the rest (each
// once: the server's cursor, not an offset), the name box narrows the list as one types, and the
// format filter narrows it too.
func TestBrowserListPages(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := startHub(ctx, t, "--http-rate", "1000", "--http-burst", "1000")
	for i := range 60 {
		name := fmt.Sprintf("Alpha %02d", i)
		if i%4 == 0 {
			name = fmt.Sprintf("Beta %02d", i)
		}
		mustAPI(ctx, t, http.MethodPost, base+"/api/tournaments", "", map[string]any{"name": name, "format": "swiss"}, nil)
		// The list orders by creation time in ms, and tournaments of one ms by id: a ms apart,
		// the newest is the last created.
		time.Sleep(2 * time.Millisecond)
	}
	browser := newBrowser(ctx, t)
	list := newTab(t, browser, "list")
	rows := `document.querySelectorAll('[data-testid=tournament-row]')`
	count := func() int {
		n, _ := strconv.Atoi(list.eval("count the rows", `String(`+rows+`.length)`))
		return n
	}
	list.do("open the list", chromedp.Navigate(base+"/index.html"))
	list.wait("the first page", rows+`.length === 50 && !document.getElementById('more').hidden`)
	list.do("show more", chromedp.Click(chromedp.ID("more")))
	list.wait("the second page", rows+`.length === 60 && document.getElementById('more').hidden`)
	distinct := list.eval("distinct ids", `String(new Set([...`+rows+`].map(r => r.dataset.id)).size)`)
	if distinct != "60" {
		t.Errorf("60 rows with %s distinct tournaments; want each once", distinct)
	}
	// Newest first: the last created is on top.
	if first := list.eval("the first row", rows+`[0].querySelector('th').textContent`); first != "Alpha 59" {
		t.Errorf("first row %q; want the newest, Alpha 59", first)
	}

	list.do("type a name", chromedp.SendKeys(chromedp.ID("name-filter"), "bEtA"))
	list.wait("the Beta tournaments only", rows+`.length === 15 && [...`+rows+`].every(r => r.querySelector('th').textContent.startsWith('Beta'))`)
	if list.eval("show more hidden", `String(document.getElementById('more').hidden)`) != "true" {
		t.Error("show more offered after the last page")
	}
	list.do("a format none of them has", chromedp.SetValue(chromedp.ID("format-filter"), "round_robin"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('format-filter').dispatchEvent(new Event('change'))`))
	list.wait("no round robin", rows+`.length === 0 && !document.getElementById('list-empty').hidden`)
	list.do("any format again", chromedp.SetValue(chromedp.ID("format-filter"), ""),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('format-filter').dispatchEvent(new Event('change'))`))
	list.wait("the Beta tournaments again", rows+`.length === 15`)
	list.do("a name nobody has", chromedp.SendKeys(chromedp.ID("name-filter"), "zzz"))
	list.wait("no match", rows+`.length === 0 && !document.getElementById('list-empty').hidden`)
	if n := count(); n != 0 {
		t.Errorf("%d rows for a name nobody has", n)
	}
}
