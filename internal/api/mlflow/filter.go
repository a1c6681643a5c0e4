package mlflow

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/modelry/modelry/internal/registry"
)

// Clause is one comparison of a search filter: an attribute (name, run_id,
// source_path, version_number) or a tag, an operator, and its values.
type Clause struct {
	Tag     bool     // Key names a tag
	Kind    string   // "attr", "tag", "param" or "metric"
	Key     string   // attribute name, or tag, param or metric key
	Op      string   // =, !=, LIKE, ILIKE, IN, <, <=, >, >=
	Values  []string // one value; several for IN
	Numeric bool     // compared as numbers (version_number, times, metrics)
}

// Grammar says what a search accepts: its attributes, which of them are
// numbers, and whether params. and metrics. keys may be filtered on.
type Grammar struct {
	Attrs           []string
	Numeric         []string
	Params, Metrics bool
}

func (g Grammar) numeric(attr string) bool {
	for _, n := range g.Numeric {
		if n == attr {
			return true
		}
	}
	return false
}

// Filter is an AND of clauses; the empty filter matches everything.
type Filter []Clause

// ParseFilter parses MLflow's registry search grammar:
//
//	filter := "" | clause (AND clause)*
//	clause := ident op value
//	ident  := attr | (tag.|tags.)key | attribute.attr   key may be `quoted` or "quoted"
//	value  := 'string' | "string" | number | ('a', 'b', ...)
//
// attrs lists the attributes allowed (registered models: name; versions:
// name, run_id, source_path, version_number).
func ParseFilter(s string, attrs []string) (Filter, error) {
	return ParseFilterWith(s, Grammar{Attrs: attrs, Numeric: []string{"version_number"}})
}

// ParseFilterWith parses a filter in the same grammar with the keys g
// allows (runs: params.x, metrics.x > 0.5, attributes.status = 'FINISHED').
func ParseFilterWith(s string, g Grammar) (Filter, error) {
	p := &parser{toks: nil}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p.toks = toks
	var f Filter
	for p.more() {
		if len(f) > 0 {
			if t := p.next(); !strings.EqualFold(t.text, "AND") || t.quoted != 0 {
				return nil, invalid("Invalid clause(s) in filter string: '%s'. Search filter contained multiple expression '%s'. Provide AND-ed expression list.", s, t.text)
			}
		}
		c, err := p.clause(g)
		if err != nil {
			return nil, err
		}
		f = append(f, c)
	}
	return f, nil
}

type token struct {
	text   string
	quoted byte // quote character for strings and quoted identifiers, 0 otherwise
}

func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"' || c == '`':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, invalid("Invalid filter string '%s': unterminated quote", s)
			}
			toks = append(toks, token{text: s[i+1 : i+1+j], quoted: c})
			i += j + 2
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, token{text: string(c)})
			i++
		case c == '=' || c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			toks = append(toks, token{text: s[i:j]})
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n'\"`(),=!<>", rune(s[j])) {
				j++
			}
			toks = append(toks, token{text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) more() bool { return p.pos < len(p.toks) }

func (p *parser) next() token {
	if !p.more() {
		return token{}
	}
	t := p.toks[p.pos]
	p.pos++
	return t
}

func (p *parser) clause(g Grammar) (Clause, error) {
	c, err := p.ident(g)
	if err != nil {
		return c, err
	}
	op := p.next()
	c.Op = strings.ToUpper(op.text)
	if op.quoted != 0 || !validOp(c.Op) {
		return c, invalid("Invalid comparator '%s' in filter; use =, !=, LIKE, ILIKE, IN, <, <=, >, >=", op.text)
	}
	if err := checkOp(c); err != nil {
		return c, err
	}
	if c.Op == "IN" {
		c.Values, err = p.list()
		return c, err
	}
	v := p.next()
	if v.text == "" && v.quoted == 0 {
		return c, invalid("Invalid filter: missing value after '%s %s'", c.Key, c.Op)
	}
	if c.Numeric {
		if _, err := strconv.ParseFloat(v.text, 64); err != nil || v.quoted == '`' {
			return c, invalid("Invalid value for %s: '%s'; expected a number", describe(c), v.text)
		}
	} else if v.quoted != '\'' && v.quoted != '"' {
		return c, invalid("Expected a quoted string value for %s (e.g. 'my-value'). Got value %s", describe(c), v.text)
	}
	c.Values = []string{v.text}
	return c, nil
}

// prefixes maps key prefixes to clause kinds.
var prefixes = []struct{ prefix, kind string }{
	{"tags.", "tag"}, {"tag.", "tag"}, {"params.", "param"}, {"param.", "param"},
	{"metrics.", "metric"}, {"metric.", "metric"},
}

func (p *parser) ident(g Grammar) (Clause, error) {
	t := p.next()
	if t.quoted == '\'' {
		return Clause{}, invalid("Invalid identifier '%s' in filter: identifiers are not single-quoted", t.text)
	}
	text := t.text
	for _, pf := range prefixes {
		if !strings.HasPrefix(strings.ToLower(text), pf.prefix) || t.quoted != 0 {
			continue
		}
		if pf.kind == "param" && !g.Params || pf.kind == "metric" && !g.Metrics {
			return Clause{}, invalid("Invalid filter: '%s' keys are not supported in this search", strings.TrimSuffix(pf.prefix, "."))
		}
		key := text[len(pf.prefix):]
		if key == "" && p.more() && p.toks[p.pos].quoted != 0 && p.toks[p.pos].quoted != '\'' {
			key = p.next().text
		}
		if key == "" {
			return Clause{}, invalid("Invalid filter: %s key is empty in '%s'", pf.kind, text)
		}
		return Clause{Tag: pf.kind == "tag", Kind: pf.kind, Key: key, Numeric: pf.kind == "metric"}, nil
	}
	if t.quoted == 0 {
		for _, pf := range []string{"attributes.", "attribute.", "attr.", "run."} {
			text, _ = strings.CutPrefix(text, pf)
		}
	}
	for _, a := range g.Attrs {
		if text == a {
			return Clause{Kind: "attr", Key: a, Numeric: g.numeric(a)}, nil
		}
	}
	return Clause{}, invalid("Invalid attribute key '%s' specified. Valid keys are '%v'", text, g.Attrs)
}

func (p *parser) list() ([]string, error) {
	if p.next().text != "(" {
		return nil, invalid("Invalid filter: IN expects a parenthesised list of quoted strings")
	}
	var vs []string
	for {
		v := p.next()
		if v.quoted != '\'' && v.quoted != '"' {
			return nil, invalid("While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: %s", v.text)
		}
		vs = append(vs, v.text)
		switch sep := p.next(); sep.text {
		case ",":
		case ")":
			return vs, nil
		default:
			return nil, invalid("Invalid filter: unterminated IN list")
		}
	}
}

func validOp(op string) bool {
	switch op {
	case "=", "!=", "LIKE", "ILIKE", "IN", "<", "<=", ">", ">=":
		return true
	}
	return false
}

func checkOp(c Clause) error {
	numeric := c.Numeric
	switch {
	case c.Op == "IN" && (c.Kind != "attr" || c.Key != "run_id"):
		return invalid("Invalid comparator for %s: IN", describe(c))
	case strings.ContainsAny(c.Op, "<>") && !numeric:
		return invalid("Invalid comparator '%s' for %s", c.Op, describe(c))
	case numeric && (c.Op == "LIKE" || c.Op == "ILIKE" || c.Op == "IN"):
		return invalid("Invalid comparator '%s' for %s", c.Op, describe(c))
	}
	return nil
}

func describe(c Clause) string {
	if c.Kind == "attr" || c.Kind == "" {
		return fmt.Sprintf("attribute '%s'", c.Key)
	}
	return fmt.Sprintf("%s '%s'", c.Kind, c.Key)
}

// Mentions reports whether the filter has a clause on tag key.
func (f Filter) Mentions(key string) bool {
	for _, c := range f {
		if c.Tag && c.Key == key {
			return true
		}
	}
	return false
}

// Match reports whether an object with these attributes and tags passes
// every clause. A missing tag fails every clause except that a missing
// prompt marker counts as "false".
func (f Filter) Match(attr func(string) string, tags map[string]string) bool {
	return f.MatchWith(func(c Clause) (string, bool) {
		if c.Kind == "tag" {
			v, ok := tags[c.Key]
			if !ok && c.Key == promptTag {
				return "false", true
			}
			return v, ok
		}
		return attr(c.Key), true
	})
}

// MatchWith matches with a lookup that returns a clause's left-hand value,
// or false when the object has no such key (the clause then fails).
func (f Filter) MatchWith(get func(Clause) (string, bool)) bool {
	for _, c := range f {
		got, ok := get(c)
		if !ok || !c.match(got) {
			return false
		}
	}
	return true
}

func (c Clause) match(got string) bool {
	if c.Numeric {
		g, err1 := strconv.ParseFloat(got, 64)
		w, err2 := strconv.ParseFloat(c.Values[0], 64)
		return err1 == nil && err2 == nil && compareNum(c.Op, g, w)
	}
	switch c.Op {
	case "=":
		return got == c.Values[0]
	case "!=":
		return got != c.Values[0]
	case "LIKE":
		return like(c.Values[0], got, false)
	case "ILIKE":
		return like(c.Values[0], got, true)
	case "IN":
		for _, v := range c.Values {
			if got == v {
				return true
			}
		}
	}
	return false
}

func compareNum(op string, g, w float64) bool {
	switch op {
	case "=":
		return g == w
	case "!=":
		return g != w
	case "<":
		return g < w
	case "<=":
		return g <= w
	case ">":
		return g > w
	case ">=":
		return g >= w
	}
	return false
}

// like matches SQL LIKE: % is any run, _ any one character.
func like(pattern, s string, fold bool) bool { return registry.MatchLike(pattern, s, fold) }
