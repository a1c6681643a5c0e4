//go:build linux

package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one line of the results: a measurement (the median of its runs),
// optionally compared with a ceiling or peer measured in the same run and
// judged against a target.
type Row struct {
	Bench   string    `json:"bench"` // transfer, memory or metadata
	Name    string    `json:"name"`
	Unit    string    `json:"unit"`
	Value   float64   `json:"value"` // median of Runs
	Runs    []float64 `json:"runs,omitempty"`
	Against string    `json:"against,omitempty"` // what Ratio divides by
	Ratio   float64   `json:"ratio,omitempty"`   // Value / the Against value
	Target  string    `json:"target,omitempty"`
	Result  string    `json:"result,omitempty"` // PASS, MISS or empty
	Note    string    `json:"note,omitempty"`
}

// Report is everything one run of the program produced.
type Report struct {
	Command  string        `json:"command"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Machine  Machine       `json:"machine"`
	Rows     []Row         `json:"rows"`
	Errors   []string      `json:"errors,omitempty"` // benchmarks that failed
}

// passMiss turns a judgement into the word printed next to a target.
func passMiss(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// format renders a value in its unit with a sensible precision.
func format(v float64, unit string) string {
	switch unit {
	case "ops/s", "bytes":
		return fmt.Sprintf("%.0f", v)
	case "GB/s", "ms", "s":
		return fmt.Sprintf("%.3g", v)
	case "MiB":
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%g", v)
}

func formatRuns(r Row) string {
	if len(r.Runs) < 2 {
		return ""
	}
	s := make([]string, len(r.Runs))
	for i, v := range r.Runs {
		s[i] = format(v, r.Unit)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func formatRatio(r Row) string {
	if r.Against == "" || r.Ratio == 0 || math.IsNaN(r.Ratio) || math.IsInf(r.Ratio, 0) {
		return ""
	}
	if r.Ratio < 0.1 {
		return fmt.Sprintf("%.2g× %s", r.Ratio, r.Against)
	}
	return fmt.Sprintf("%.2f× %s", r.Ratio, r.Against)
}

// WriteTable prints the report as an aligned text table.
func (rep *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "\n%s\n", rep.Machine.Summary())
	fmt.Fprintf(w, "command: %s\n", rep.Command)
	fmt.Fprintf(w, "started %s, took %s\n\n", rep.Started.Format(time.RFC3339), rep.Duration.Round(time.Second))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BENCH\tMEASUREMENT\tMEDIAN\tUNIT\tRUNS\tRATIO\tTARGET\tRESULT\tNOTE")
	for _, r := range rep.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Bench, r.Name, format(r.Value, r.Unit), r.Unit,
			formatRuns(r), formatRatio(r), r.Target, r.Result, r.Note)
	}
	tw.Flush()
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "ERROR: %s\n", e)
	}
}

// WriteMarkdown prints the rows as a Markdown table, for docs/benchmarks.md.
func (rep *Report) WriteMarkdown(w io.Writer) {
	for line := range strings.Lines(rep.Machine.Summary()) {
		fmt.Fprintf(w, "%s  \n", strings.TrimRight(line, "\n"))
	}
	fmt.Fprintf(w, "command: `%s`  \nstarted %s, took %s\n\n", rep.Command, rep.Started.Format(time.RFC3339), rep.Duration.Round(time.Second))
	fmt.Fprintf(w, "| Bench | Measurement | Median | Runs | Ratio | Target | Result | Note |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.Rows {
		fmt.Fprintf(w, "| %s | %s | %s %s | %s | %s | %s | %s | %s |\n", r.Bench, mdEscape(r.Name), format(r.Value, r.Unit), r.Unit,
			formatRuns(r), mdEscape(formatRatio(r)), mdEscape(r.Target), bold(r.Result), mdEscape(r.Note))
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "\nERROR: %s\n", e)
	}
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func bold(s string) string {
	if s == "" {
		return ""
	}
	return "**" + s + "**"
}

// WriteJSON writes the report as indented JSON to path.
func (rep *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
