package download_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
)

var (
	body      = bytes.Repeat([]byte("release archive bytes\n"), 1000)
	bodySHA   = hexSHA(body)
	otherBody = []byte("something else entirely")
)

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// newServer returns a loopback server whose paths misbehave in the ways
// the tests need: files of testtools.Server, and handlers of their own for
// the failures that are not among its modes.
func newServer(t *testing.T) *testtools.Server {
	t.Helper()
	s := testtools.StartServer(t, "")
	s.SetFile("ok.tar.gz", body)
	s.SetFile("mirror/ok.tar.gz", body)
	s.SetFile("wrong.tar.gz", otherBody)
	serve := func(w http.ResponseWriter, b []byte) {
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Write(b)
	}
	s.HandleFunc("/forbidden.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	})
	s.HandleFunc("/flaky.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		if s.Requests("/flaky.tar.gz") == 1 {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		serve(w, body)
	})
	s.HandleFunc("/busy.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		if s.Requests("/busy.tar.gz") == 1 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		serve(w, body)
	})
	s.HandleFunc("/down.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	s.HandleFunc("/truncated.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte("short"))
	})
	s.HandleFunc("/reset.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		if s.Requests("/reset.tar.gz") == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // no response at all
			}
			return
		}
		serve(w, body)
	})
	s.HandleFunc("/redirect.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/mirror/ok.tar.gz", http.StatusFound)
	})
	s.HandleFunc("/redirect-away.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.com/ok.tar.gz?token=s3cret", http.StatusFound)
	})
	s.HandleFunc("/slow-headers.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(2 * time.Second):
		}
		serve(w, body)
	})
	s.HandleFunc("/slow-body.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body[:100])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(2 * time.Second):
		}
		w.Write(body[100:])
	})
	s.HandleFunc("/gzip-encoded.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		// A misconfigured server: the hash must be over the bytes served.
		w.Header().Set("Content-Encoding", "gzip")
		serve(w, body)
	})
	return s
}

// testOptions are fast options for the loopback server.
func testOptions(t *testing.T) download.Options {
	return download.Options{
		Timeout:       200 * time.Millisecond,
		Retries:       3,
		Backoff:       time.Millisecond,
		MaxBackoff:    5 * time.Millisecond,
		AllowInsecure: true,
		Dir:           t.TempDir(),
	}
}

// assertEmptyDir fails if dir holds any file: no temporary file may be
// left behind.
func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in %s: %s", dir, e.Name())
	}
}

func TestFetch(t *testing.T) {
	s := newServer(t)
	u := func(p string) string { return s.URL + p }
	tests := []struct {
		name      string
		urls      []string
		sha256    string
		size      int64
		wantURL   string // the URL that served it; "" for an error
		wantBody  []byte
		wantErr   string // the error, or its start when it ends with "…"
		wantCount map[string]int
		failed    int // len(Result.Failed)
	}{
		{name: "200", urls: []string{u("/ok.tar.gz")}, wantURL: u("/ok.tar.gz"), wantBody: body,
			wantCount: map[string]int{"/ok.tar.gz": 1}},
		{name: "200 verified", urls: []string{u("/ok.tar.gz")}, sha256: bodySHA, size: int64(len(body)),
			wantURL: u("/ok.tar.gz"), wantBody: body},
		{name: "404", urls: []string{u("/missing.tar.gz")},
			wantErr: u("/missing.tar.gz") + ": 404 Not Found", wantCount: map[string]int{"/missing.tar.gz": 1}},
		{name: "403 is not retried", urls: []string{u("/forbidden.tar.gz")},
			wantErr: u("/forbidden.tar.gz") + ": 403 Forbidden", wantCount: map[string]int{"/forbidden.tar.gz": 1}},
		{name: "500 then 200", urls: []string{u("/flaky.tar.gz")}, wantURL: u("/flaky.tar.gz"), wantBody: body,
			wantCount: map[string]int{"/flaky.tar.gz": 2}},
		{name: "429 then 200", urls: []string{u("/busy.tar.gz")}, wantURL: u("/busy.tar.gz"), wantBody: body,
			wantCount: map[string]int{"/busy.tar.gz": 2}},
		{name: "connection closed then 200", urls: []string{u("/reset.tar.gz")}, wantURL: u("/reset.tar.gz"), wantBody: body,
			wantCount: map[string]int{"/reset.tar.gz": 2}},
		{name: "503 until the retries run out", urls: []string{u("/down.tar.gz")},
			wantErr:   u("/down.tar.gz") + ": 503 Service Unavailable (gave up after 4 attempts)",
			wantCount: map[string]int{"/down.tar.gz": 4}},
		{name: "truncated body", urls: []string{u("/truncated.tar.gz")},
			wantErr:   u("/truncated.tar.gz") + ": truncated download: got 5 of 100 bytes (gave up after 4 attempts)",
			wantCount: map[string]int{"/truncated.tar.gz": 4}},
		{name: "hash mismatch is not retried", urls: []string{u("/wrong.tar.gz")}, sha256: bodySHA,
			wantErr:   fmt.Sprintf("%s: sha256 mismatch: got %s (%d bytes), want %s", u("/wrong.tar.gz"), hexSHA(otherBody), len(otherBody), bodySHA),
			wantCount: map[string]int{"/wrong.tar.gz": 1}},
		{name: "size mismatch", urls: []string{u("/ok.tar.gz")}, size: 7,
			wantErr: fmt.Sprintf("%s: size mismatch: got %d bytes, want 7", u("/ok.tar.gz"), len(body))},
		{name: "redirect to a mirror", urls: []string{u("/redirect.tar.gz")}, sha256: bodySHA,
			wantURL: u("/redirect.tar.gz"), wantBody: body,
			wantCount: map[string]int{"/redirect.tar.gz": 1, "/mirror/ok.tar.gz": 1}},
		{name: "redirect to an insecure host", urls: []string{u("/redirect-away.tar.gz")},
			wantErr: u("/redirect-away.tar.gz") + `: redirected from ` + u("/redirect-away.tar.gz") + `: URL http://example.com/ok.tar.gz?token=REDACTED uses http:// with the non-loopback host "example.com" (only loopback hosts may use http://): insecure URL`},
		{name: "slow headers", urls: []string{u("/slow-headers.tar.gz")},
			wantErr:   u("/slow-headers.tar.gz") + ": timed out: no response within 200ms (gave up after 4 attempts)",
			wantCount: map[string]int{"/slow-headers.tar.gz": 4}},
		{name: "stalled body", urls: []string{u("/slow-body.tar.gz")},
			wantErr:   fmt.Sprintf("%s: timed out: no data for 200ms after 100 of %d bytes (gave up after 4 attempts)", u("/slow-body.tar.gz"), len(body)),
			wantCount: map[string]int{"/slow-body.tar.gz": 4}},
		{name: "first URL 404 then mirror works", urls: []string{u("/missing.tar.gz"), u("/mirror/ok.tar.gz")}, sha256: bodySHA,
			wantURL: u("/mirror/ok.tar.gz"), wantBody: body, failed: 1,
			wantCount: map[string]int{"/missing.tar.gz": 1, "/mirror/ok.tar.gz": 1}},
		{name: "wrong first mirror is skipped", urls: []string{u("/wrong.tar.gz"), u("/ok.tar.gz")}, sha256: bodySHA,
			wantURL: u("/ok.tar.gz"), wantBody: body, failed: 1},
		{name: "all mirrors fail", urls: []string{u("/missing.tar.gz"), u("/forbidden.tar.gz")},
			wantErr: fmt.Sprintf("all 2 URLs failed: %s: 404 Not Found; %s: 403 Forbidden", u("/missing.tar.gz"), u("/forbidden.tar.gz"))},
		{name: "content-encoding is not decoded", urls: []string{u("/gzip-encoded.tar.gz")}, sha256: bodySHA,
			wantURL: u("/gzip-encoded.tar.gz"), wantBody: body},
		{name: "https only", urls: []string{"http://example.com/a.tar.gz"},
			wantErr: `URL http://example.com/a.tar.gz uses http:// with the non-loopback host "example.com" (only loopback hosts may use http://): insecure URL`},
		{name: "bad expected digest", urls: []string{u("/ok.tar.gz")}, sha256: "ABC",
			wantErr: `download: expected sha256 "ABC" is not 64 lower-case hex digits`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := map[string]int{}
			for p := range tt.wantCount {
				before[p] = s.Requests(p)
			}
			opts := testOptions(t)
			opts.SHA256, opts.Size = tt.sha256, tt.size
			res, err := download.Fetch(context.Background(), tt.urls, opts)
			for p, n := range tt.wantCount {
				if got := s.Requests(p) - before[p]; got != n {
					t.Errorf("%d requests for %s, want %d", got, p, n)
				}
			}
			if tt.wantErr != "" {
				if err == nil {
					res.Remove()
					t.Fatalf("Fetch succeeded, want error %q", tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Errorf("Fetch error:\n got %s\nwant %s", err, tt.wantErr)
				}
				assertEmptyDir(t, opts.Dir)
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			got, err := os.ReadFile(res.Path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.wantBody) {
				t.Errorf("file holds %d bytes, want %d", len(got), len(tt.wantBody))
			}
			sum := sha256.Sum256(tt.wantBody)
			want := &download.Result{
				Path:      res.Path,
				URL:       tt.wantURL,
				SHA256:    hex.EncodeToString(sum[:]),
				Integrity: "sha256-" + base64.StdEncoding.EncodeToString(sum[:]),
				Size:      int64(len(tt.wantBody)),
			}
			if diff := cmp.Diff(want, res, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Failed" }, cmp.Ignore()), cmpopts.IgnoreUnexported(download.Result{})); diff != "" {
				t.Errorf("Result (-want +got):\n%s", diff)
			}
			if len(res.Failed) != tt.failed {
				t.Errorf("Result.Failed = %v, want %d errors", res.Failed, tt.failed)
			}
			if filepath.Dir(res.Path) != opts.Dir {
				t.Errorf("temporary file %s is not in %s", res.Path, opts.Dir)
			}
			if err := res.Remove(); err != nil {
				t.Fatal(err)
			}
			assertEmptyDir(t, opts.Dir)
		})
	}
}

func TestFetchErrorTypes(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	opts.SHA256 = bodySHA
	_, err := download.Fetch(context.Background(), []string{s.URL + "/wrong.tar.gz"}, opts)
	var mm *download.MismatchError
	if !errors.Is(err, download.ErrMismatch) || !errors.As(err, &mm) || mm.GotSHA256 != hexSHA(otherBody) {
		t.Errorf("Fetch(wrong) = %v, want a *MismatchError", err)
	}
	_, err = download.Fetch(context.Background(), []string{s.URL + "/truncated.tar.gz"}, testOptions(t))
	if !errors.Is(err, download.ErrTruncated) {
		t.Errorf("Fetch(truncated) = %v, want ErrTruncated", err)
	}
	var de *download.Error
	_, err = download.Fetch(context.Background(), []string{s.URL + "/missing.tar.gz"}, testOptions(t))
	if !errors.As(err, &de) || de.Status != http.StatusNotFound || de.Attempts != 1 {
		t.Errorf("Fetch(missing) = %#v, want a *download.Error with status 404", err)
	}
	_, err = download.Fetch(context.Background(), []string{"http://example.com/x.tar.gz"}, download.Options{})
	if !errors.Is(err, download.ErrInsecure) {
		t.Errorf("Fetch(http) = %v, want ErrInsecure", err)
	}
}

func TestRetryLog(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	var logs []string
	opts.Logf = func(format string, args ...any) { logs = append(logs, fmt.Sprintf(format, args...)) }
	res, err := download.Fetch(context.Background(), []string{s.URL + "/flaky.tar.gz"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	res.Remove()
	want := []string{s.URL + "/flaky.tar.gz: 500 Internal Server Error; retrying in 1ms (attempt 2 of 4)"}
	if diff := cmp.Diff(want, logs); diff != "" {
		t.Errorf("retry log (-want +got):\n%s", diff)
	}
}

func TestNoRetries(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	opts.Retries = 0
	_, err := download.Fetch(context.Background(), []string{s.URL + "/down.tar.gz"}, opts)
	if want := s.URL + "/down.tar.gz: 503 Service Unavailable"; err == nil || err.Error() != want {
		t.Errorf("Fetch = %v, want %s", err, want)
	}
}

func TestCancel(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	opts.Timeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := download.Fetch(ctx, []string{s.URL + "/slow-headers.tar.gz", s.URL + "/ok.tar.gz"}, opts)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Fetch = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Fetch took %s after the context ended", d)
	}
	assertEmptyDir(t, opts.Dir)
}

func TestVerify(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	opts.SHA256 = bodySHA
	res, err := download.Verify(context.Background(), s.URL+"/redirect.tar.gz", opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Path != "" || res.SHA256 != bodySHA || res.Size != int64(len(body)) {
		t.Errorf("Verify = %+v", res)
	}
	_, err = download.Verify(context.Background(), s.URL+"/wrong.tar.gz", opts)
	if !errors.Is(err, download.ErrMismatch) {
		t.Errorf("Verify(wrong) = %v, want ErrMismatch", err)
	}
	assertEmptyDir(t, opts.Dir)
}

func TestFileURL(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a b.tar.gz")
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
	fileURL := (&url.URL{Scheme: "file", Path: p}).String()
	opts := testOptions(t)
	opts.SHA256 = bodySHA
	res, err := download.Fetch(context.Background(), []string{fileURL}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Remove()
	if res.SHA256 != bodySHA || res.URL != fileURL {
		t.Errorf("Fetch(file) = %+v", res)
	}
	opts.AllowInsecure = false
	_, err = download.Fetch(context.Background(), []string{fileURL}, opts)
	if want := "URL " + fileURL + " is a local file, not https: insecure URL"; err == nil || err.Error() != want {
		t.Errorf("Fetch(file, secure) = %v, want %s", err, want)
	}
	opts.AllowInsecure = true
	_, err = download.Fetch(context.Background(), []string{"file:///nonexistent/x.tar.gz"}, opts)
	if want := "file:///nonexistent/x.tar.gz: open /nonexistent/x.tar.gz: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("Fetch(missing file) = %v, want %s", err, want)
	}
}

func TestProgress(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	var last download.Progress
	calls := 0
	opts.Progress = func(p download.Progress) { last = p; calls++ }
	res, err := download.Fetch(context.Background(), []string{s.URL + "/ok.tar.gz"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	res.Remove()
	want := download.Progress{URL: s.URL + "/ok.tar.gz", Attempt: 1, Done: int64(len(body)), Total: int64(len(body))}
	if calls < 2 || last != want {
		t.Errorf("after %d calls the last progress is %+v, want %+v", calls, last, want)
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url      string
		insecure bool
		want     string // "" for no error
	}{
		{"https://example.com/a.tar.gz", false, ""},
		{"http://127.0.0.1:8080/a.tar.gz", true, ""},
		{"http://localhost/a.tar.gz", true, ""},
		{"http://[::1]/a.tar.gz", true, ""},
		{"file:///tmp/a.tar.gz", true, ""},
		{"http://127.0.0.1/a.tar.gz", false, "URL http://127.0.0.1/a.tar.gz is not https: insecure URL"},
		{"file:///tmp/a.tar.gz", false, "URL file:///tmp/a.tar.gz is a local file, not https: insecure URL"},
		{"file:tmp/a.tar.gz", true, "file URL file:tmp/a.tar.gz has no absolute local path; write it as file:///absolute/path"},
		{"https://user:pw@example.com/a", false, "URL https://REDACTED@example.com/a contains user information; never put credentials in a URL"},
		{"ftp://example.com/a", false, `URL ftp://example.com/a has the unsupported scheme "ftp"; use https://`},
		{"example.com/a", false, "URL example.com/a has no scheme; write the full https:// URL"},
		{"https:///a", false, "URL https:///a has no host"},
		{"https://example.com:port/a", false, "URL https://example.com:port/a does not parse"},
	}
	for _, tt := range tests {
		err := download.CheckURL(tt.url, tt.insecure)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckURL(%q, %v) = %q, want %q", tt.url, tt.insecure, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := map[string]string{
		"https://example.com/a.tar.gz":                                   "https://example.com/a.tar.gz",
		"https://user:secret@example.com/a":                              "https://REDACTED@example.com/a",
		"https://x.com/a?access_token=abc&v=1":                           "https://x.com/a?access_token=REDACTED&v=1",
		"https://objects.example.com/a?X-Amz-Signature=abc&X-Amz-Date=1": "https://objects.example.com/a?X-Amz-Date=REDACTED&X-Amz-Signature=REDACTED",
		"https://x.com/a?sig=1&se=2":                                     "https://x.com/a?se=2&sig=REDACTED",
		"https://u:p@x.com:bad/a?token=1":                                "https://REDACTED@x.com:bad/a",
	}
	for in, want := range tests {
		if got := download.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResultRemove(t *testing.T) {
	var r *download.Result
	if err := r.Remove(); err != nil {
		t.Errorf("nil Remove: %v", err)
	}
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, nil, 0o644)
	r = &download.Result{Path: p}
	if err := r.Remove(); err != nil || r.Path != "" {
		t.Errorf("Remove = %v, Path %q", err, r.Path)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file still there: %v", err)
	}
}

// The error for a body cut short must be the one the brief names.
func TestTruncatedMessage(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	opts.Retries = 0
	_, err := download.Fetch(context.Background(), []string{s.URL + "/truncated.tar.gz"}, opts)
	if err == nil || !strings.HasSuffix(err.Error(), "truncated download: got 5 of 100 bytes") {
		t.Errorf("Fetch = %v", err)
	}
}
