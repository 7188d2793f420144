package download_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
)

// Paths of newLimitServer, with testtools.Server's failure modes.
const (
	// endlessPath has no Content-Length (chunked), and a body without end
	// (testtools.EndlessCap, far more than the limits the tests set, so
	// that reaching it means the limit was ignored).
	endlessPath = "/endless/chunk.tar.gz"
	// lyingSmallPath has a Content-Length below the limit, then a body
	// without end: the client must not believe the header.
	lyingSmallPath = "/lying-small.tar.gz"
	// lyingLargePath has a Content-Length far above the limit: refused
	// without reading.
	lyingLargePath = "/hang/10737418240/chunk.tar.gz"
	// tricklePath sends one byte every 100ms: never idle long enough for
	// the idle timeout.
	tricklePath = "/trickle/trickle.tar.gz"
	// unavailablePath is always 503.
	unavailablePath = "/status/503/unavailable.tar.gz"
	// exactPath and exactChunkedPath are 4096 bytes, with and without a
	// Content-Length.
	exactPath        = "/exact.tar.gz"
	exactChunkedPath = "/chunked/exact.tar.gz"
	// trickleLen is the size of the trickling body: 20s in all.
	trickleLen = 200
)

// newLimitServer returns a server that misbehaves in the ways that the
// size limit and the deadline are for. Every handler gives up when the
// client goes away, and the endless ones stop on their own after a bounded
// amount, so that the tests end even against code that does not enforce
// the limits.
func newLimitServer(t *testing.T) *testtools.Server {
	t.Helper()
	s := testtools.StartServer(t, "")
	chunk := bytes.Repeat([]byte("endless archive "), 4096) // 64 KiB
	s.SetFile("chunk.tar.gz", chunk)
	s.SetFile("trickle.tar.gz", bytes.Repeat([]byte("x"), trickleLen))
	s.SetFile("exact.tar.gz", bytes.Repeat([]byte("e"), 4096))
	s.HandleFunc(lyingSmallPath, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		// HTTP/1.0 with no length: the body runs to the end of the
		// connection; the small Content-Length comes through a
		// hijacked connection, which net/http's server would not send.
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n")
		for n := 0; n < testtools.EndlessCap; n += len(chunk) {
			if _, err := buf.Write(chunk); err != nil {
				return
			}
			s.AddSent(int64(len(chunk)))
		}
		buf.Flush()
	})
	return s
}

// limitOptions has a long idle timeout and retries, so that only the
// limit under test can end a download early.
func limitOptions(t *testing.T) download.Options {
	return download.Options{
		Timeout:       time.Minute,
		Retries:       3,
		Backoff:       time.Millisecond,
		MaxBackoff:    5 * time.Millisecond,
		AllowInsecure: true,
		Dir:           t.TempDir(),
	}
}

// TestMaxSize checks that bodies above Options.MaxSize fail as soon as
// they cross it (or, if their Content-Length says so, before the body is
// read), without retries, leaving no file behind.
func TestMaxSize(t *testing.T) {
	s := newLimitServer(t)
	const limit = 1 << 20
	for _, tc := range []struct {
		path      string
		want      string // the error after the URL
		announced int64  // TooLargeError.Announced
		maxSent   int64  // the most the server may have sent
	}{
		{endlessPath, "the archive is too large: it grew beyond the limit of 1MiB (1048576 bytes), so the download stopped after 1048576 bytes", -1, 16 << 20},
		{lyingSmallPath, "", 0, 16 << 20}, // cut at its Content-Length: a mismatch, never a big file
		{lyingLargePath, "the archive is too large: its announced size, 10737418240 bytes, is more than the limit of 1MiB (1048576 bytes), so nothing was downloaded", 10 << 30, 1 << 20},
	} {
		t.Run(strings.Trim(tc.path, "/"), func(t *testing.T) {
			s.Reset()
			opts := limitOptions(t)
			opts.MaxSize = limit
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			res, err := download.Fetch(ctx, []string{s.URL + tc.path}, opts)
			if tc.want == "" {
				// The client reads the announced 1000 bytes and stops.
				if err == nil {
					if res.Size != 1000 {
						t.Errorf("Fetch = %d bytes, want the announced 1000", res.Size)
					}
					res.Remove()
				}
			} else {
				if err == nil {
					res.Remove()
					t.Fatalf("Fetch succeeded (%d bytes), want an error", res.Size)
				}
				if want := s.URL + tc.path + ": " + tc.want; err.Error() != want {
					t.Errorf("Fetch error:\n got %v\nwant %s", err, want)
				}
				var tl *download.TooLargeError
				if !errors.Is(err, download.ErrTooLarge) || !errors.As(err, &tl) || tl.Limit != limit || tl.Announced != tc.announced {
					t.Errorf("Fetch error %#v is not a *TooLargeError with the limit and the announced size %d", err, tc.announced)
				} else if tc.announced < 0 && tl.Received != limit {
					t.Errorf("TooLargeError.Received = %d, want %d", tl.Received, limit)
				}
				assertNoFlag(t, err)
				if n := s.Requests(""); n != 1 {
					t.Errorf("%d requests, want 1: a size error is not retried", n)
				}
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("Fetch took %s", d)
			}
			if n := s.Sent(); n > tc.maxSent {
				t.Errorf("the server sent %d bytes, want at most %d: the client read on after the limit", n, tc.maxSent)
			}
			assertEmptyDir(t, opts.Dir)
		})
	}
}

// TestMaxSizeExact checks the edge: an archive of exactly MaxSize bytes is
// accepted, with or without Content-Length, and one byte less is not.
func TestMaxSizeExact(t *testing.T) {
	s := newLimitServer(t)
	for _, p := range []string{exactPath, exactChunkedPath} {
		opts := limitOptions(t)
		opts.MaxSize = 4096
		res, err := download.Fetch(context.Background(), []string{s.URL + p}, opts)
		if err != nil {
			t.Errorf("%s at the limit: %v", p, err)
		} else {
			res.Remove()
		}
		opts.MaxSize = 4095
		if _, err := download.Fetch(context.Background(), []string{s.URL + p}, opts); !errors.Is(err, download.ErrTooLarge) {
			t.Errorf("%s above the limit: %v, want ErrTooLarge", p, err)
		}
		if _, err := download.Verify(context.Background(), s.URL+p, opts); !errors.Is(err, download.ErrTooLarge) {
			t.Errorf("Verify %s above the limit: %v, want ErrTooLarge", p, err)
		}
		assertEmptyDir(t, opts.Dir)
	}
	// A local file is held to the limit too.
	p := filepath.Join(t.TempDir(), "big.tar.gz")
	os.WriteFile(p, make([]byte, 5000), 0o644)
	opts := limitOptions(t)
	opts.MaxSize = 4096
	if _, err := download.Fetch(context.Background(), []string{"file://" + p}, opts); !errors.Is(err, download.ErrTooLarge) {
		t.Errorf("file above the limit: %v, want ErrTooLarge", err)
	}
	opts.MaxSize = -1
	if _, err := download.Fetch(context.Background(), []string{s.URL + exactPath}, opts); err == nil || !strings.Contains(err.Error(), "MaxSize -1 is negative") {
		t.Errorf("negative MaxSize: %v", err)
	}
}

// TestDefaultMaxSize checks that the zero Options have a limit.
func TestDefaultMaxSize(t *testing.T) {
	if download.DefaultMaxSize != 1<<30 || download.DefaultDeadline != 30*time.Minute {
		t.Errorf("defaults %d, %s", download.DefaultMaxSize, download.DefaultDeadline)
	}
	s := newLimitServer(t)
	opts := limitOptions(t)
	// 10 GiB announced: more than the default limit.
	_, err := download.Fetch(context.Background(), []string{s.URL + lyingLargePath}, opts)
	if !errors.Is(err, download.ErrTooLarge) || !strings.Contains(err.Error(), "the limit of 1GiB (1073741824 bytes)") {
		t.Errorf("Fetch with the default limit = %v", err)
	}
}

// TestDeadline checks that a server trickling one byte every 100ms, which
// the idle timeout never catches, is given up after Options.Deadline.
func TestDeadline(t *testing.T) {
	s := newLimitServer(t)
	opts := limitOptions(t)
	opts.Deadline = time.Second
	start := time.Now()
	res, err := download.Fetch(context.Background(), []string{s.URL + tricklePath}, opts)
	d := time.Since(start)
	if err == nil {
		res.Remove()
		t.Fatalf("Fetch succeeded after %s, want it to give up after 1s", d)
	}
	if d < time.Second || d > 5*time.Second {
		t.Errorf("Fetch gave up after %s, want about 1s", d)
	}
	var de *download.DeadlineError
	if !errors.Is(err, download.ErrDeadline) || !errors.As(err, &de) {
		t.Fatalf("Fetch = %v, want a *DeadlineError", err)
	}
	if de.Received < 1 || de.Received > 20 || de.Total != trickleLen {
		t.Errorf("DeadlineError = %+v, want about 10 of %d bytes received", de, trickleLen)
	}
	if de.Deadline != time.Second || de.Attempts != 1 || de.Last != nil {
		t.Errorf("DeadlineError = %+v, want the deadline of 1s, one attempt and no Last", de)
	}
	want := fmt.Sprintf("%s%s: gave up after 1s; the server sent %d of %d bytes", s.URL, tricklePath, de.Received, trickleLen)
	if err.Error() != want {
		t.Errorf("Fetch error:\n got %v\nwant %s", err, want)
	}
	assertNoFlag(t, err)
	if n := s.Requests(""); n != 1 {
		t.Errorf("%d requests, want 1: the deadline is not retried", n)
	}
	assertEmptyDir(t, opts.Dir)

	// Verify keeps the same deadline.
	start = time.Now()
	if _, err := download.Verify(context.Background(), s.URL+tricklePath, opts); !errors.Is(err, download.ErrDeadline) || time.Since(start) > 5*time.Second {
		t.Errorf("Verify = %v after %s, want ErrDeadline after 1s", err, time.Since(start))
	}
}

// TestDeadlineCoversRetries checks that retries do not multiply the
// deadline: it bounds all attempts at one URL and the waits between them.
func TestDeadlineCoversRetries(t *testing.T) {
	s := newLimitServer(t)
	opts := limitOptions(t)
	opts.Retries = 1000
	opts.Backoff, opts.MaxBackoff = 50*time.Millisecond, 50*time.Millisecond
	opts.Deadline = 500 * time.Millisecond
	start := time.Now()
	_, err := download.Fetch(context.Background(), []string{s.URL + unavailablePath}, opts)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Fetch took %s with a deadline of 500ms", d)
	}
	var de *download.DeadlineError
	if !errors.As(err, &de) || de.Attempts < 2 || de.Attempts > 20 {
		t.Fatalf("Fetch = %v, want a *DeadlineError after a few attempts", err)
	}
	// The deadline passes while waiting to retry (usually) or during an
	// attempt.
	want := fmt.Sprintf("%s%s: gave up after 500ms and %d attempts (the last failed: 503 Service Unavailable)", s.URL, unavailablePath, de.Attempts)
	during := fmt.Sprintf("%s%s: gave up after 500ms and %d attempts; the server sent 0 bytes", s.URL, unavailablePath, de.Attempts)
	if err.Error() != want && err.Error() != during {
		t.Errorf("Fetch error:\n got %v\nwant %s", err, want)
	}
	assertNoFlag(t, err)
}

// TestLimitErrors checks the messages of the typed errors by themselves:
// what happened and the limit, and nothing about how to raise it, which
// is the business of whoever set the limit (such as a flag of a tool).
func TestLimitErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&download.TooLargeError{Limit: 100, Announced: 266, Received: 0},
			"the archive is too large: its announced size, 266 bytes, is more than the limit of 100 bytes, so nothing was downloaded"},
		{&download.TooLargeError{Limit: 1 << 20, Announced: -1, Received: 1 << 20},
			"the archive is too large: it grew beyond the limit of 1MiB (1048576 bytes), so the download stopped after 1048576 bytes"},
		{&download.DeadlineError{Deadline: time.Minute, Attempts: 1, Received: 10, Total: -1},
			"gave up after 1m0s; the server sent 10 bytes"},
		{&download.DeadlineError{Deadline: time.Minute, Attempts: 3, Last: errors.New("503 Service Unavailable")},
			"gave up after 1m0s and 3 attempts (the last failed: 503 Service Unavailable)"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%#v:\n got %s\nwant %s", tc.err, got, tc.want)
		}
		assertNoFlag(t, tc.err)
		wrapped := fmt.Errorf("entry %q: %w", "a", &download.Error{URL: "https://example.com/a.tar.gz", Attempts: 1, Err: tc.err})
		var tl *download.TooLargeError
		var de *download.DeadlineError
		switch e := tc.err.(type) {
		case *download.TooLargeError:
			if !errors.As(wrapped, &tl) || tl != e || !errors.Is(wrapped, download.ErrTooLarge) {
				t.Errorf("errors.As does not find the *TooLargeError in %v", wrapped)
			}
		case *download.DeadlineError:
			if !errors.As(wrapped, &de) || de != e || !errors.Is(wrapped, download.ErrDeadline) {
				t.Errorf("errors.As does not find the *DeadlineError in %v", wrapped)
			}
		}
	}
}

// flagLike matches a command-line flag, such as -max-size, in a message.
var flagLike = regexp.MustCompile(`(^|[\s(])-[a-z][a-z-]*`)

// assertNoFlag fails if err's message names a command-line flag: the
// package does not know how its options are set.
func assertNoFlag(t *testing.T, err error) {
	t.Helper()
	if m := flagLike.FindString(err.Error()); m != "" || strings.Contains(err.Error(), "raise") {
		t.Errorf("the message names a flag (%q) or says to raise a limit: %v", m, err)
	}
}

// TestDeadlinePerMirror checks that each mirror gets a deadline of its
// own: the one after a slow mirror still works.
func TestDeadlinePerMirror(t *testing.T) {
	s := newLimitServer(t)
	opts := limitOptions(t)
	opts.Deadline = 500 * time.Millisecond
	res, err := download.Fetch(context.Background(), []string{s.URL + tricklePath, s.URL + exactPath}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Remove()
	if res.URL != s.URL+exactPath || len(res.Failed) != 1 || !errors.Is(res.Failed[0], download.ErrDeadline) {
		t.Errorf("Fetch = %s, failed %v", res.URL, res.Failed)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"1048576": 1 << 20, "1GiB": 1 << 30, "1gib": 1 << 30, "1G": 1 << 30, "512MiB": 512 << 20, "512M": 512 << 20,
		"100MB": 100e6, "2KB": 2000, "3KiB": 3072, "1.5GiB": 3 << 29, "7B": 7, "1 GiB": 1 << 30, "0": 0, "1TiB": 1 << 40,
	} {
		got, err := download.ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "-1", "1XB", "1e9", "1.2.3MB", "99999999999TiB", "9223372036854775807K"} {
		if got, err := download.ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
	for n, want := range map[int64]string{1 << 30: "1GiB", 1536 << 20: "1536MiB", 1000: "1000B", 0: "0B", 3 << 10: "3KiB"} {
		if got := download.ByteSize(n).String(); got != want {
			t.Errorf("ByteSize(%d) = %q, want %q", n, got, want)
		}
		var b download.ByteSize
		if err := b.Set(want); err != nil || int64(b) != n {
			t.Errorf("Set(%q) = %d, %v", want, b, err)
		}
	}
}
