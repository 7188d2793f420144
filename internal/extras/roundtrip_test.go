package extras

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignorePos compares entries without their positions, which change when a
// file is re-encoded.
var ignorePos = cmpopts.IgnoreFields(Entry{}, "Pos")

// acceptedInputs returns every test file that Parse accepts, with the
// options to parse it with.
func acceptedInputs(t *testing.T) map[string]Options {
	t.Helper()
	inputs := map[string]Options{filepath.Join("..", "..", "skus", "extras.json"): {}}
	for _, dir := range []string{"corpus/good", "canonical"} {
		for _, file := range goldenInputs(t, filepath.Join("testdata", dir)) {
			inputs[file] = optionsFor(file)
		}
	}
	return inputs
}

// TestRoundTrip checks Parse -> Encode -> Parse over all accepted inputs:
// the model survives the trip, and Encode is idempotent.
func TestRoundTrip(t *testing.T) {
	for file, opts := range acceptedInputs(t) {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			checkRoundTrip(t, data, opts)
		})
	}
}

// checkRoundTrip checks that data, which Parse accepts with opts, survives
// encoding: Parse(Encode(f)) equals f but for positions, and encoding again
// gives the same bytes.
func checkRoundTrip(t *testing.T, data []byte, opts Options) {
	t.Helper()
	f1, err := Parse(context.Background(), "in.json", data, opts)
	if err != nil {
		t.Fatalf("Parse(input): %v", err)
	}
	enc1 := f1.Encode()
	f2, err := Parse(context.Background(), "canonical.json", enc1, opts)
	if err != nil {
		t.Fatalf("Parse(Encode(input)): %v\ncanonical form:\n%s", err, enc1)
	}
	if diff := cmp.Diff(f1, f2, ignorePos, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("Parse(Encode(f)) != f (-f +Parse(Encode(f))):\n%s", diff)
	}
	if enc2 := f2.Encode(); !bytes.Equal(enc1, enc2) {
		t.Fatalf("Encode is not idempotent:\nfirst:\n%s\nsecond:\n%s", enc1, enc2)
	}
}
