package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MetaFile is the file the Python SDK's Registry.save writes into every
// model version: its flavor, library versions and input/output schema.
const MetaFile = "modelry.json"

// ModelMeta is the content of a version's modelry.json (format 1), as
// python/modelry/metadata.py writes it.
type ModelMeta struct {
	Format       int               `json:"format"`
	Flavor       string            `json:"flavor"`     // e.g. "sklearn"
	Serializer   string            `json:"serializer"` // e.g. "skops"
	ModelFiles   []string          `json:"model_files"`
	Python       string            `json:"python"`    // e.g. "3.11.7"
	Libraries    map[string]string `json:"libraries"` // import name -> version
	Options      map[string]any    `json:"options"`   // flavor-specific
	Signature    *Signature        `json:"signature"`
	InputExample *string           `json:"input_example"`
	SDK          string            `json:"sdk"`
}

// Signature is a model's input and output schema, taken from its input
// example and the prediction on it.
type Signature struct {
	Inputs  *Schema `json:"inputs"`
	Outputs *Schema `json:"outputs"`
}

// Schema describes a value: a tensor (DType and Shape, -1 for any batch
// size), a dataframe (Columns: name -> dtype), a dict (Fields), a list
// (Length), or another Python type named by Type.
type Schema struct {
	Type    string             `json:"type"`
	DType   string             `json:"dtype,omitempty"`
	Shape   []int64            `json:"shape,omitempty"`
	Columns map[string]string  `json:"columns,omitempty"`
	Fields  map[string]*Schema `json:"fields,omitempty"`
	Length  *int64             `json:"length,omitempty"`
}

// ParseModelMeta decodes a modelry.json and checks that it is format 1 with
// a flavor.
func ParseModelMeta(b []byte) (ModelMeta, error) {
	var m ModelMeta
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("%s is not the SDK's metadata: %w", MetaFile, err)
	}
	if m.Format != 1 || m.Flavor == "" {
		return m, errors.New(MetaFile + " has an unknown format (a newer SDK may have written it)")
	}
	return m, nil
}

// SchemaDiff compares two versions' modelry.json files. Changes use the keys
// flavor, serializer, python, sdk, model_files, input_example,
// libraries.NAME, options.NAME, and for the signature inputs and outputs
// with the path into the schema: inputs.dtype, inputs.shape,
// inputs.columns.NAME, inputs.fields.NAME.dtype, outputs.length... A schema
// that changes type is one change of its own path. Skipped says why the
// files could not be compared; Changes is then empty.
type SchemaDiff struct {
	Changes []ValueChange `json:"changes"`
	Skipped string        `json:"skipped,omitempty"`
}

// DiffSchema compares the contents of two modelry.json files.
func DiffSchema(from, to []byte) *SchemaDiff {
	a, err := ParseModelMeta(from)
	if err != nil {
		return &SchemaDiff{Changes: []ValueChange{}, Skipped: "the from version's " + err.Error()}
	}
	b, err := ParseModelMeta(to)
	if err != nil {
		return &SchemaDiff{Changes: []ValueChange{}, Skipped: "the to version's " + err.Error()}
	}
	return &SchemaDiff{Changes: DiffModelMeta(a, b)}
}

// DiffModelMeta lists the differences between two decoded modelry.json
// files, with the keys SchemaDiff describes, sorted by key.
func DiffModelMeta(a, b ModelMeta) []ValueChange {
	out := diffStrings(metaFields(a), metaFields(b))
	out = append(out, prefixed("libraries.", diffStrings(a.Libraries, b.Libraries))...)
	out = append(out, prefixed("options.", diffStrings(jsonValues(a.Options), jsonValues(b.Options)))...)
	var sa, sb Signature
	if a.Signature != nil {
		sa = *a.Signature
	}
	if b.Signature != nil {
		sb = *b.Signature
	}
	diffSchemaValue(&out, "inputs", sa.Inputs, sb.Inputs)
	diffSchemaValue(&out, "outputs", sa.Outputs, sb.Outputs)
	slices.SortStableFunc(out, func(x, y ValueChange) int { return strings.Compare(x.Key, y.Key) })
	return out
}

func metaFields(m ModelMeta) map[string]string {
	f := map[string]string{}
	setNonEmptyKey(f, "flavor", m.Flavor)
	setNonEmptyKey(f, "serializer", m.Serializer)
	setNonEmptyKey(f, "python", m.Python)
	setNonEmptyKey(f, "sdk", m.SDK)
	setNonEmptyKey(f, "model_files", strings.Join(m.ModelFiles, ", "))
	if m.InputExample != nil {
		setNonEmptyKey(f, "input_example", *m.InputExample)
	}
	return f
}

func jsonValues(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprint(v))
		}
		out[k] = string(b)
	}
	return out
}

func prefixed(prefix string, changes []ValueChange) []ValueChange {
	for i := range changes {
		changes[i].Key = prefix + changes[i].Key
	}
	return changes
}

// diffSchemaValue appends the differences between two schemas at path.
func diffSchemaValue(out *[]ValueChange, path string, a, b *Schema) {
	switch {
	case a == nil && b == nil:
	case a == nil:
		*out = append(*out, ValueChange{Key: path, Change: ChangeAdded, New: b.summary()})
	case b == nil:
		*out = append(*out, ValueChange{Key: path, Change: ChangeRemoved, Old: a.summary()})
	case a.Type != b.Type:
		*out = append(*out, ValueChange{Key: path, Change: ChangeChanged, Old: a.summary(), New: b.summary()})
	default:
		changed := func(key, o, n string) {
			if o != n {
				*out = append(*out, ValueChange{Key: path + "." + key, Change: ChangeChanged, Old: o, New: n})
			}
		}
		changed("dtype", a.DType, b.DType)
		changed("shape", shapeString(a.Shape), shapeString(b.Shape))
		changed("length", lengthString(a.Length), lengthString(b.Length))
		*out = append(*out, prefixed(path+".columns.", diffStrings(a.Columns, b.Columns))...)
		for _, k := range unionKeys(a.Fields, b.Fields) {
			diffSchemaValue(out, path+".fields."+k, a.Fields[k], b.Fields[k])
		}
	}
}

// summary renders a schema in a few words: "tensor float32 [-1, 4]",
// "dataframe (3 columns)", "dict (2 fields)", "list of 5", "str".
func (s *Schema) summary() string {
	switch s.Type {
	case "tensor":
		return strings.TrimSpace("tensor " + s.DType + " " + shapeString(s.Shape))
	case "dataframe":
		return fmt.Sprintf("dataframe (%d column%s)", len(s.Columns), pluralS(len(s.Columns)))
	case "dict":
		return fmt.Sprintf("dict (%d field%s)", len(s.Fields), pluralS(len(s.Fields)))
	case "list":
		if s.Length != nil {
			return "list of " + strconv.FormatInt(*s.Length, 10)
		}
	}
	return s.Type
}

func shapeString(shape []int64) string {
	if shape == nil {
		return ""
	}
	parts := make([]string, len(shape))
	for i, n := range shape {
		parts[i] = strconv.FormatInt(n, 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func lengthString(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
