package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Series is one line of a chart panel.
type Series struct {
	Name   string
	Color  string
	X, Y   []float64
	Bars   bool // draw as bars instead of a line
	Dashed bool
}

// Panel is one plot area with its own y axis.
type Panel struct {
	YLabel string
	LogY   bool // log10 y axis; values <= 0 are left out
	Series []Series
}

// Chart is a self-contained SVG: a title, a shared x axis and stacked panels.
type Chart struct {
	Title    string
	Subtitle string
	XLabel   string
	Panels   []Panel
}

const (
	chartW     = 1000
	panelH     = 300
	marginL    = 80
	marginR    = 170
	marginTop  = 85
	panelGap   = 60
	marginBot  = 50
	fontFamily = "DejaVu Sans, Arial, Helvetica, sans-serif"
)

// WriteSVG writes the chart as one SVG document with no external references.
func (c *Chart) WriteSVG(w io.Writer) error {
	h := marginTop + len(c.Panels)*panelH + (len(c.Panels)-1)*panelGap + marginBot
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s">`+"\n",
		chartW, h, chartW, h, fontFamily)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="20" font-weight="bold" fill="#222">%s</text>`+"\n", marginL, esc(c.Title))
	for i, line := range wrap(c.Subtitle, 120) {
		if i < 2 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" fill="#555">%s</text>`+"\n", marginL, 48+i*17, esc(line))
		}
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, p := range c.Panels {
		for _, s := range p.Series {
			for _, x := range s.X {
				xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
			}
		}
	}
	if math.IsInf(xmin, 0) {
		xmin, xmax = 0, 1
	}
	if xmax <= xmin {
		xmax = xmin + 1
	}
	pw := float64(chartW - marginL - marginR)
	xpix := func(x float64) float64 { return marginL + (x-xmin)/(xmax-xmin)*pw }
	xticks := niceTicks(xmin, xmax, 10)
	for i, p := range c.Panels {
		top := float64(marginTop + i*(panelH+panelGap))
		c.writePanel(&b, p, top, xpix, xticks, i == len(c.Panels)-1, xmin, xmax)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%d" font-size="13" fill="#333" text-anchor="middle">%s</text>`+"\n",
		marginL+pw/2, h-12, esc(c.XLabel))
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (c *Chart) writePanel(b *strings.Builder, p Panel, top float64, xpix func(float64) float64, xticks []float64, last bool, xmin, xmax float64) {
	ph := float64(panelH)
	pw := float64(chartW - marginL - marginR)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range p.Series {
		for _, y := range s.Y {
			if p.LogY && y <= 0 {
				continue
			}
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
	}
	var yticks []float64
	var ypix func(float64) float64
	if p.LogY {
		if math.IsInf(ymin, 0) {
			ymin, ymax = 1, 10
		}
		lo := math.Floor(math.Log10(ymin))
		hi := math.Ceil(math.Log10(ymax))
		if hi <= lo {
			hi = lo + 1
		}
		for e := lo; e <= hi; e++ {
			yticks = append(yticks, math.Pow(10, e))
		}
		ypix = func(y float64) float64 { return top + ph - (math.Log10(y)-lo)/(hi-lo)*ph }
	} else {
		if math.IsInf(ymin, 0) {
			ymin, ymax = 0, 1
		}
		ymin = math.Min(0, ymin)
		if ymax <= ymin {
			ymax = ymin + 1
		}
		yticks = niceTicks(ymin, ymax*1.05, 6)
		ymax = math.Max(ymax, yticks[len(yticks)-1])
		ypix = func(y float64) float64 { return top + ph - (y-ymin)/(ymax-ymin)*ph }
	}
	fmt.Fprintf(b, `<rect x="%d" y="%.0f" width="%.0f" height="%.0f" fill="#fafafa" stroke="#999"/>`+"\n", marginL, top, pw, ph)
	for _, t := range yticks {
		y := ypix(t)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#e2e2e2"/>`+"\n", marginL, y, marginL+pw, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" font-size="12" fill="#333" text-anchor="end">%s</text>`+"\n", marginL-6, y+4, fmtNum(t))
	}
	for _, t := range xticks {
		if t < xmin || t > xmax {
			continue
		}
		x := xpix(t)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#eeeeee"/>`+"\n", x, top, x, top+ph)
		if last {
			fmt.Fprintf(b, `<text x="%.1f" y="%.0f" font-size="12" fill="#333" text-anchor="middle">%s</text>`+"\n", x, top+ph+18, fmtNum(t))
		}
	}
	fmt.Fprintf(b, `<text transform="translate(%d,%.0f) rotate(-90)" font-size="13" fill="#333" text-anchor="middle">%s</text>`+"\n",
		22, top+ph/2, esc(p.YLabel))
	barW := pw / math.Max(1, (xmax-xmin+1)) * 0.8
	for si, s := range p.Series {
		if s.Bars {
			for i := range s.X {
				if i >= len(s.Y) || s.Y[i] <= 0 || (p.LogY && s.Y[i] <= 0) {
					continue
				}
				y := ypix(s.Y[i])
				base := top + ph
				fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.6"/>`+"\n",
					xpix(s.X[i])-barW/2, y, barW, base-y, s.Color)
			}
		} else {
			var pts []string
			for i := range s.X {
				if i >= len(s.Y) || (p.LogY && s.Y[i] <= 0) {
					continue
				}
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", xpix(s.X[i]), ypix(s.Y[i])))
			}
			if len(pts) == 1 {
				fmt.Fprintf(b, `<circle cx="%s" r="3" fill="%s"/>`+"\n", strings.Replace(pts[0], ",", `" cy="`, 1), s.Color)
			} else if len(pts) > 1 {
				dash := ""
				if s.Dashed {
					dash = ` stroke-dasharray="6 4"`
				}
				fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), s.Color, dash)
			}
		}
		ly := top + 16 + float64(si)*20
		lx := marginL + pw + 14
		fmt.Fprintf(b, `<rect x="%.0f" y="%.0f" width="14" height="4" fill="%s"/>`+"\n", lx, ly-6, s.Color)
		fmt.Fprintf(b, `<text x="%.0f" y="%.0f" font-size="12" fill="#222">%s</text>`+"\n", lx+20, ly, esc(s.Name))
	}
}

// niceTicks returns about n round tick values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	span := hi - lo
	if span <= 0 {
		return []float64{lo}
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	stepSize := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			stepSize = m * mag
			break
		}
	}
	var out []float64
	for t := math.Floor(lo/stepSize) * stepSize; t <= hi+stepSize*1e-9; t += stepSize {
		out = append(out, math.Round(t/stepSize)*stepSize)
	}
	if out[len(out)-1] < hi {
		out = append(out, out[len(out)-1]+stepSize)
	}
	return out
}

func fmtNum(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e9:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.1f", v)
	default:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
	}
}

func esc(s string) string { return html.EscapeString(s) }

// WriteHTML wraps the SVG in a minimal self-contained HTML page.
func (c *Chart) WriteHTML(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head><body style=\"margin:0;background:#fff\">\n", esc(c.Title)); err != nil {
		return err
	}
	if err := c.WriteSVG(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "</body></html>\n")
	return err
}

// latencyChart draws per-second cross-node latency and the result rate.
func latencyChart(title, sub string, pts []Point) *Chart {
	var x, p50, p99, mx, sent, acked, errs []float64
	for _, p := range pts {
		x = append(x, p.T)
		sent = append(sent, float64(p.Sent))
		acked = append(acked, float64(p.Acked))
		errs = append(errs, float64(p.Errs))
		if p.N > 0 {
			p50 = append(p50, p.P50)
			p99 = append(p99, p.P99)
			mx = append(mx, p.Max)
		} else {
			p50, p99, mx = append(p50, 0), append(p99, 0), append(mx, 0)
		}
	}
	return &Chart{
		Title:    title,
		Subtitle: sub,
		XLabel:   "seconds since the first result (by send time)",
		Panels: []Panel{
			{YLabel: "notification latency (ms, log scale)", LogY: true, Series: []Series{
				{Name: "max", Color: "#d62728", X: x, Y: mx},
				{Name: "p99", Color: "#ff7f0e", X: x, Y: p99},
				{Name: "p50", Color: "#1f77b4", X: x, Y: p50},
			}},
			{YLabel: "results per second", Series: []Series{
				{Name: "errors", Color: "#d62728", X: x, Y: errs, Bars: true},
				{Name: "answered", Color: "#2ca02c", X: x, Y: acked},
				{Name: "sent", Color: "#555555", X: x, Y: sent, Dashed: true},
			}},
		},
	}
}

// fanoutChart draws each publish's completion time.
func fanoutChart(title, sub string, completions []float64) *Chart {
	var x []float64
	for i := range completions {
		x = append(x, float64(i+1))
	}
	return &Chart{
		Title:    title,
		Subtitle: sub,
		XLabel:   "publish number",
		Panels: []Panel{{YLabel: "time until the last spectator had it (ms)", Series: []Series{
			{Name: "completion", Color: "#1f77b4", X: x, Y: completions},
		}}},
	}
}

// wrap splits s at "; " or spaces into lines of at most n characters.
func wrap(s string, n int) []string {
	var lines []string
	for len(s) > n {
		i := strings.LastIndex(s[:n], "; ")
		if i < n/2 {
			i = strings.LastIndex(s[:n], " ")
		}
		if i <= 0 {
			i = n
		}
		lines = append(lines, strings.TrimSpace(s[:i+1]))
		s = strings.TrimSpace(s[i+1:])
	}
	if s != "" {
		lines = append(lines, s)
	}
	return lines
}
