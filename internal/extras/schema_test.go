package extras

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaPath is the JSON Schema that mirrors the rules of Parse.
var schemaPath = filepath.Join("..", "..", "skus", "extras.schema.json")

// compileSchema compiles the schema at schemaPath.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	abs, err := filepath.Abs(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	sch, err := c.Compile(abs)
	if err != nil {
		t.Fatalf("compiling %s: %v", schemaPath, err)
	}
	return sch
}

// schemaValidate validates data against sch. jsonschema.UnmarshalJSON, like
// encoding/json, keeps the last of duplicate keys.
func schemaValidate(sch *jsonschema.Schema, data []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// TestSchemaAgreement checks that the JSON Schema and Parse agree on the
// corpus: files in good pass both, files in bad fail both. Files in go_only
// break rules the schema cannot express (duplicate keys, disagreeing hashes,
// URLs that only look valid): the schema accepts them and Parse must not.
func TestSchemaAgreement(t *testing.T) {
	sch := compileSchema(t)
	for _, dir := range []string{"good", "bad", "go_only"} {
		for _, file := range goldenInputs(t, filepath.Join("testdata", "corpus", dir)) {
			t.Run(dir+"/"+filepath.Base(file), func(t *testing.T) {
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				schemaErr := schemaValidate(sch, data)
				_, parseErr := Parse(context.Background(), file, data, Options{})
				switch dir {
				case "good":
					if schemaErr != nil {
						t.Errorf("schema rejects a good file: %v", schemaErr)
					}
					if parseErr != nil {
						t.Errorf("Parse rejects a good file:\n%v", parseErr)
					}
				case "bad":
					if schemaErr == nil {
						t.Errorf("schema accepts a bad file")
					}
					if parseErr == nil {
						t.Errorf("Parse accepts a bad file")
					}
				case "go_only":
					if schemaErr != nil {
						t.Errorf("schema rejects a go_only file, move it to bad: %v", schemaErr)
					}
					if parseErr == nil {
						t.Errorf("Parse accepts a go_only file")
					}
				}
			})
		}
	}
}

// TestSchemaArchiveTypes checks that the schema's enum for "type" is
// ArchiveTypes.
func TestSchemaArchiveTypes(t *testing.T) {
	sch := compileSchema(t)
	for _, typ := range ArchiveTypes {
		in := `{"a": {"url": "https://a.example/a", "sha256": "` + testHex + `", "type": "` + typ + `"}}`
		if err := schemaValidate(sch, []byte(in)); err != nil {
			t.Errorf("schema rejects type %q: %v", typ, err)
		}
	}
}

// TestCheckedInFile checks skus/extras.json: it must be valid, canonical and
// accepted by the schema.
func TestCheckedInFile(t *testing.T) {
	path := filepath.Join("..", "..", "skus", "extras.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(context.Background(), "skus/extras.json", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Encode(); !bytes.Equal(got, data) {
		t.Errorf("skus/extras.json is not in canonical form; want:\n%s", got)
	}
	if err := schemaValidate(compileSchema(t), data); err != nil {
		t.Errorf("schema rejects skus/extras.json: %v", err)
	}
}
