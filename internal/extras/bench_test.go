package extras

import (
	"context"
	"fmt"
	"testing"
)

// benchFile returns the canonical encoding of a file with n entries.
func benchFile(n int) []byte {
	f := &File{Schema: "./extras.schema.json"}
	for i := range n {
		name := fmt.Sprintf("release_%03d", i)
		f.Set(Entry{
			Name: name,
			URLs: []string{
				"https://github.com/lowRISC/opentitan/releases/download/v1.0." + fmt.Sprint(i) + "/" + name + ".tar.gz",
				"https://mirror.example.com/opentitan/" + name + ".tar.gz",
			},
			SHA256:      testHex,
			Integrity:   testSRI,
			StripPrefix: name,
			Type:        "tar.gz",
			Provenance:  Provenance{Repository: "lowRISC/opentitan", Tag: "v1.0." + fmt.Sprint(i), Asset: name + ".tar.gz"},
		})
	}
	return f.Encode()
}

func BenchmarkParse(b *testing.B) {
	data := benchFile(200)
	if _, err := Parse(context.Background(), "bench.json", data, Options{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(context.Background(), "bench.json", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	f, err := Parse(context.Background(), "bench.json", benchFile(200), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		f.Encode()
	}
}
