package download_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
)

// benchSize is the body size of the benchmarks, a large release archive.
const benchSize = 64 << 20

func benchBody() []byte {
	b := make([]byte, benchSize)
	r := rand.NewChaCha8([32]byte{1})
	r.Read(b)
	return b
}

// BenchmarkFetch measures Fetch's download, hash and temporary-file write
// of a 64 MiB body from a loopback server. Compare its MB/s with
// BenchmarkSHA256 to see the overhead over hashing alone.
func BenchmarkFetch(b *testing.B) {
	data := benchBody()
	want := fmt.Sprintf("%x", sha256.Sum256(data))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data)
	}))
	defer srv.Close()
	opts := download.Options{AllowInsecure: true, SHA256: want, Dir: b.TempDir()}
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		res, err := download.Fetch(context.Background(), []string{srv.URL + "/a.tar.gz"}, opts)
		if err != nil {
			b.Fatal(err)
		}
		res.Remove()
	}
}

// BenchmarkVerify is BenchmarkFetch without the temporary file.
func BenchmarkVerify(b *testing.B) {
	data := benchBody()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data)
	}))
	defer srv.Close()
	opts := download.Options{AllowInsecure: true}
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := download.Verify(context.Background(), srv.URL+"/a.tar.gz", opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSHA256 measures crypto/sha256 alone over the same 64 MiB, the
// upper bound for BenchmarkFetch.
func BenchmarkSHA256(b *testing.B) {
	data := benchBody()
	b.SetBytes(benchSize)
	for b.Loop() {
		sha256.Sum256(data)
	}
}
