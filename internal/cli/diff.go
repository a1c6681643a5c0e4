package cli

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
)

func (a *app) diffCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "diff REF1 REF2",
		Short: "Show what differs between two versions",
		Long: `Compare two versions, REF1 (from) and REF2 (to), and print what changed, section
by section: files (added, removed, changed, with sizes and digests), metrics
(with deltas), params, tags, label and description, lineage (datasets by role,
parent), source (git commit, branch, dirtiness; run) and, when both versions
were saved by the Python SDK, their modelry.json: flavor, library versions and
input/output schema. Lines start with + (only in REF2), - (only in REF1) or ~
(changed). Identical versions print "no differences". The exit status is 0
either way; the versions may belong to different models.

-o json prints one object whose shape is stable:
  from, to     {ref, model, version, label, digest}
  identical    true when no section has a difference
  files        {added, removed, changed: [{path, old_size, new_size,
               old_digest, new_digest, old_mode, new_mode, old_target,
               new_target}], unchanged: count}
  metrics      [{name, change, old, new, delta}]
  params, tags [{key, change, old, new}]
  metadata     the same, keys label and description
  source       the same, keys git.remote, git.commit, git.branch, git.dirty,
               git.diff_digest, run.system, run.id, run.uri
  lineage      [{role, change, old, new}], old and new {ref, name, version,
               digest}; role "parent" for the parent
  schema       null unless both have modelry.json, else {changes: [{key,
               change, old, new}], skipped: why it was not compared}
change is "added", "removed" or "changed"; lists hold differences only,
sorted, and are [] when there are none.

` + refGrammar,
		Example: `  # What changed since the version in production?
  modelry diff churn@production churn

  # Two numbered versions, as JSON for a script
  modelry diff churn/3 churn/4 -o json

  # Versions of two different models
  modelry diff churn:1.0 churn-distilled:1.0`,
		Args: exactArgs(2, "REF1 REF2"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			d, err := a.client().DiffRefs(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, d)
			}
			return writeDiff(a.stdout, d)
		}),
	}
}

// writeDiff prints a diff for people, one section per kind of difference.
func writeDiff(w io.Writer, d client.VersionDiff) error {
	t := newTable(w, "from:", d.From.Ref, orDash(d.From.Label), shortDigest(d.From.Digest))
	t.row("to:", d.To.Ref, orDash(d.To.Label), shortDigest(d.To.Digest))
	if err := t.flush(); err != nil {
		return err
	}
	if d.Identical {
		_, err := fmt.Fprintf(w, "\nno differences (%d file%s)\n", d.Files.Unchanged, plural(d.Files.Unchanged))
		return err
	}
	writeFiles(w, d.Files)
	if len(d.Metrics) > 0 {
		s := section(w, "metrics:")
		for _, m := range d.Metrics {
			s.row(marker(m.Change), m.Name, metricText(m))
		}
		s.flush()
	}
	writeValues(w, "params:", d.Params)
	writeValues(w, "tags:", d.Tags)
	writeValues(w, "metadata:", d.Metadata)
	if len(d.Lineage) > 0 {
		s := section(w, "lineage:")
		for _, c := range d.Lineage {
			s.row(marker(c.Change), c.Role, fromTo(pointerText(c.Old), pointerText(c.New)))
		}
		s.flush()
	}
	writeValues(w, "source:", d.Source)
	if sc := d.Schema; sc != nil {
		switch {
		case sc.Skipped != "":
			fmt.Fprintf(w, "\nschema (%s): not compared: %s\n", client.MetaFile, sc.Skipped)
		case len(sc.Changes) == 0:
			fmt.Fprintf(w, "\nschema (%s): no differences\n", client.MetaFile)
		default:
			writeValues(w, "schema ("+client.MetaFile+"):", sc.Changes)
		}
	}
	return nil
}

// section starts a titled block of aligned rows.
func section(w io.Writer, title string) *table {
	fmt.Fprintf(w, "\n%s\n", title)
	return &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
}

func marker(change string) string {
	switch change {
	case client.ChangeAdded:
		return "  +"
	case client.ChangeRemoved:
		return "  -"
	}
	return "  ~"
}

func writeFiles(w io.Writer, f client.FilesDiff) {
	var counts []string
	for _, c := range []struct {
		n    int
		what string
	}{{len(f.Added), "added"}, {len(f.Removed), "removed"}, {len(f.Changed), "changed"}, {f.Unchanged, "unchanged"}} {
		if c.n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(counts) == 0 {
		counts = []string{"none in either version"}
	}
	s := section(w, "files: "+strings.Join(counts, ", "))
	for _, c := range f.Added {
		s.row("  +", c.Path, fileText(c.NewSize, c.NewDigest, c.NewTarget))
	}
	for _, c := range f.Removed {
		s.row("  -", c.Path, fileText(c.OldSize, c.OldDigest, c.OldTarget))
	}
	for _, c := range f.Changed {
		s.row("  ~", c.Path, changedFileText(c))
	}
	s.flush()
}

func fileText(size int64, digest, target string) string {
	if target != "" {
		return "link to " + strconv.Quote(target)
	}
	return humanBytes(size) + "  " + shortDigest(digest)
}

func changedFileText(c client.FileChange) string {
	switch {
	case c.OldTarget != "" && c.NewTarget != "":
		return "link target " + fromTo(strconv.Quote(c.OldTarget), strconv.Quote(c.NewTarget))
	case c.OldTarget != "" || c.NewTarget != "":
		return fromTo(kindText(c.OldSize, c.OldTarget), kindText(c.NewSize, c.NewTarget))
	}
	var parts []string
	if c.OldDigest != c.NewDigest || c.OldSize != c.NewSize {
		size := humanBytes(c.OldSize) + ", same size"
		if c.OldSize != c.NewSize {
			size = fromTo(humanBytes(c.OldSize), humanBytes(c.NewSize)) + " (" + signedBytes(c.NewSize-c.OldSize) + ")"
		}
		parts = append(parts, size, fromTo(shortDigest(c.OldDigest), shortDigest(c.NewDigest)))
	}
	if c.OldMode != c.NewMode {
		parts = append(parts, fmt.Sprintf("mode %04o -> %04o", c.OldMode, c.NewMode))
	}
	return strings.Join(parts, ", ")
}

func kindText(size int64, target string) string {
	if target != "" {
		return "link to " + strconv.Quote(target)
	}
	return "file of " + humanBytes(size)
}

func signedBytes(n int64) string {
	if n < 0 {
		return "-" + humanBytes(-n)
	}
	return "+" + humanBytes(n)
}

func fromTo(old, new string) string {
	switch {
	case old == "":
		return new
	case new == "":
		return old
	}
	return old + " -> " + new
}

func metricText(m client.MetricChange) string {
	num := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', -1, 64)
	}
	s := fromTo(num(m.Old), num(m.New))
	if m.Delta != nil {
		s += "  (" + signed(num(m.Delta))
		if *m.Old != 0 {
			s += fmt.Sprintf(", %+.1f%%", *m.Delta/math.Abs(*m.Old)*100)
		}
		s += ")"
	}
	return s
}

func signed(num string) string {
	if strings.HasPrefix(num, "-") {
		return num
	}
	return "+" + num
}

func pointerText(p *client.VersionPointer) string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf("%s/%d (%s)", p.Name, p.Version, shortDigest(p.Digest))
}

func writeValues(w io.Writer, title string, changes []client.ValueChange) {
	if len(changes) == 0 {
		return
	}
	s := section(w, title)
	for _, c := range changes {
		old, new := showValue(c.Old), showValue(c.New)
		switch c.Change {
		case client.ChangeAdded:
			old = ""
		case client.ChangeRemoved:
			new = ""
		}
		s.row(marker(c.Change), c.Key, fromTo(old, new))
	}
	s.flush()
}

// showValue prints a value as it is when that reads unambiguously, else
// quoted (empty, space at either end, line breaks, quotes, an arrow), cut to
// 80 characters.
func showValue(s string) string {
	if r := []rune(s); len(r) > 80 {
		s = string(r[:77]) + "..."
	}
	if s == "" || strings.TrimSpace(s) != s || strings.Contains(s, "->") ||
		strings.ContainsFunc(s, func(r rune) bool { return r == '"' || !unicode.IsPrint(r) }) {
		return strconv.Quote(s)
	}
	return s
}
