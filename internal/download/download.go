// Package download fetches release archives over HTTPS and hashes them in
// the same pass.
//
// [Fetch] tries a list of mirror URLs in order and keeps the first archive
// that downloads completely (and, if a digest is expected, matches it) in a
// temporary file, whose SHA-256 and size it reports; the data is read from
// the network exactly once, written to the file and hashed as it arrives.
// [Verify] downloads one URL only to hash it, for checking further mirrors.
//
// Both retry transient failures (HTTP 5xx, 408 and 429, connection resets,
// timeouts and bodies cut short) with exponential backoff, honouring
// Retry-After, and never retry permanent ones (other 4xx statuses, a digest
// or size that does not match, an invalid URL). A timeout limits the wait
// for response headers and every pause in the body rather than the whole
// download, so that large archives on slow links still finish. Proxies come
// from the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY).
//
// URLs must be https:// unless Options.AllowInsecure is set, which also
// accepts http:// URLs of loopback hosts and file:///absolute/path URLs, as
// extras.Options.AllowInsecure does for extras.json; redirects are held to
// the same rule. Error messages show URLs through [Redact], without user
// information or credential-like query parameters.
package download

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Defaults used for zero fields of [Options].
const (
	DefaultTimeout    = time.Minute
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 30 * time.Second
	DefaultUserAgent  = "ot-provisioning-exts-download/1"
)

// Options configures [Fetch] and [Verify]. The zero value is usable: no
// expected digest, DefaultTimeout, no retries, https only.
type Options struct {
	// Client sends the requests. nil means a client like
	// http.DefaultClient whose proxy comes from the environment and which
	// never decompresses a body transparently. Its CheckRedirect is
	// wrapped to apply the URL policy to every redirect.
	Client *http.Client

	// SHA256 is the expected digest as 64 lower-case hex digits. A
	// download that does not match fails with an error wrapping
	// [ErrMismatch]. "" accepts any content: the caller must then have the
	// digest reviewed, since nothing vouches for it.
	SHA256 string

	// Size is the expected size in bytes; 0 means unknown.
	Size int64

	// Timeout bounds the wait for the response headers and any pause
	// between two reads of the body (not the whole download). 0 means
	// DefaultTimeout.
	Timeout time.Duration

	// Retries is how many times a transient failure is retried after the
	// first attempt, for each URL. 0 means no retries.
	Retries int

	// Backoff is the wait before the first retry; it doubles for each
	// further retry, up to MaxBackoff, which also caps Retry-After. Zero
	// values mean DefaultBackoff and DefaultMaxBackoff.
	Backoff, MaxBackoff time.Duration

	// AllowInsecure additionally accepts http:// URLs whose host is a
	// loopback address (127.0.0.0/8, localhost, [::1]) and file:// URLs,
	// for tests. extras.Options.AllowInsecure is the same rule.
	AllowInsecure bool

	// Dir is the directory for Fetch's temporary file; "" means
	// os.TempDir().
	Dir string

	// Header holds extra request headers, such as Accept.
	Header http.Header

	// UserAgent is sent with each request; "" means DefaultUserAgent.
	UserAgent string

	// Progress, if not nil, is called when a download starts and after
	// each chunk of data, from the downloading goroutine. It must be cheap
	// and, if Fetch runs concurrently, safe for concurrent use.
	Progress func(Progress)

	// Logf, if not nil, is told about each retry, in one line without a
	// trailing newline.
	Logf func(format string, args ...any)
}

// Progress reports how far one download has got.
type Progress struct {
	URL     string // the URL, redacted
	Attempt int    // 1 for the first attempt
	Done    int64  // bytes received in this attempt
	Total   int64  // the announced size, or -1 if unknown
}

// Result describes a completed download.
type Result struct {
	// Path is the temporary file holding the archive (Fetch only; ""
	// for Verify). The caller removes it with [Result.Remove].
	Path string
	// URL is the URL that served the archive, as given (before
	// redirects). It is not redacted.
	URL string
	// SHA256 is the digest of the content as 64 lower-case hex digits.
	SHA256 string
	// Integrity is the same digest in Subresource Integrity form,
	// "sha256-<base64>".
	Integrity string
	// Size is the content's length in bytes.
	Size int64
	// Failed holds the errors of the URLs tried before URL, in order.
	Failed []error
}

// Remove deletes the temporary file, if any.
func (r *Result) Remove() error {
	if r == nil || r.Path == "" {
		return nil
	}
	err := os.Remove(r.Path)
	if err == nil || errors.Is(err, os.ErrNotExist) {
		r.Path = ""
		return nil
	}
	return err
}

var (
	// ErrMismatch is wrapped by errors for content whose SHA-256 or size
	// differs from Options.SHA256 or Options.Size.
	ErrMismatch = errors.New("content mismatch")
	// ErrTruncated is wrapped by errors for a body shorter than its
	// Content-Length.
	ErrTruncated = errors.New("truncated download")
	// ErrInsecure is wrapped by errors for URLs (or redirects) that the
	// URL policy rejects because they are not https://.
	ErrInsecure = errors.New("insecure URL")
)

// Error is the error of a download from one URL.
type Error struct {
	URL      string // redacted
	Status   int    // the HTTP status of the last attempt, 0 if none
	Attempts int    // attempts made, 1 if there was no retry
	Err      error  // the cause
}

// Error formats e as "URL: cause", noting the attempts if there were
// retries.
func (e *Error) Error() string {
	s := e.URL + ": " + e.Err.Error()
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (gave up after %d attempts)", e.Attempts)
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// MirrorsError is the error of Fetch when every URL failed: one *Error (or
// URL policy error) per URL, in order.
type MirrorsError struct {
	Errs []error
}

// Error lists every URL's error on one line.
func (e *MirrorsError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("all %d URLs failed: %s", len(e.Errs), strings.Join(msgs, "; "))
}

// Unwrap returns the errors of the URLs.
func (e *MirrorsError) Unwrap() []error { return e.Errs }

// MismatchError describes content that differs from the expected digest
// or size. It wraps ErrMismatch.
type MismatchError struct {
	WantSHA256, GotSHA256 string // "" if only the size was wrong
	WantSize, GotSize     int64
}

// Error describes the digest mismatch or, if the digest matched, the size
// mismatch.
func (e *MismatchError) Error() string {
	if e.WantSHA256 != "" && e.GotSHA256 != e.WantSHA256 {
		return fmt.Sprintf("sha256 mismatch: got %s (%d bytes), want %s", e.GotSHA256, e.GotSize, e.WantSHA256)
	}
	return fmt.Sprintf("size mismatch: got %d bytes, want %d", e.GotSize, e.WantSize)
}

// Unwrap returns ErrMismatch.
func (e *MismatchError) Unwrap() error { return ErrMismatch }

// Fetch downloads the archive from the first of urls that works into a
// temporary file in opts.Dir and returns its digest and size. The URLs are
// mirrors of the same file, tried in order; a URL that fails (after its
// retries), or whose content does not match opts.SHA256, is skipped and its
// error recorded in Result.Failed. If all fail, the error is a
// *MirrorsError (or, for a single URL, that URL's *Error). Every URL is
// checked against the URL policy before anything is fetched.
//
// On success the caller owns the file and removes it with Result.Remove;
// on failure no file is left behind.
func Fetch(ctx context.Context, urls []string, opts Options) (*Result, error) {
	if len(urls) == 0 {
		return nil, errors.New("download: no URL given")
	}
	if err := checkExpected(opts); err != nil {
		return nil, err
	}
	for _, u := range urls {
		if err := CheckURL(u, opts.AllowInsecure); err != nil {
			return nil, err
		}
	}
	var failed []error
	for _, u := range urls {
		res, err := fetchURL(ctx, u, opts, true)
		if err == nil {
			res.Failed = failed
			return res, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		failed = append(failed, err)
	}
	if len(failed) == 1 {
		return nil, failed[0]
	}
	return nil, &MirrorsError{Errs: failed}
}

// Verify downloads rawURL without keeping the data and returns its digest
// and size, like [Fetch] with a single URL; Result.Path is "". It fails
// with an error wrapping ErrMismatch if opts.SHA256 or opts.Size is set and
// does not match.
func Verify(ctx context.Context, rawURL string, opts Options) (*Result, error) {
	if err := checkExpected(opts); err != nil {
		return nil, err
	}
	if err := CheckURL(rawURL, opts.AllowInsecure); err != nil {
		return nil, err
	}
	return fetchURL(ctx, rawURL, opts, false)
}

// checkExpected rejects a malformed Options.SHA256.
func checkExpected(opts Options) error {
	if opts.SHA256 == "" {
		return nil
	}
	if len(opts.SHA256) != 64 || strings.Trim(opts.SHA256, "0123456789abcdef") != "" {
		return fmt.Errorf("download: expected sha256 %q is not 64 lower-case hex digits", opts.SHA256)
	}
	return nil
}

// fetchURL downloads one URL with retries, into a temporary file if
// toFile.
func fetchURL(ctx context.Context, rawURL string, opts Options, toFile bool) (*Result, error) {
	var f *os.File
	if toFile {
		var err error
		f, err = os.CreateTemp(opts.Dir, "download-*.tmp")
		if err != nil {
			return nil, fmt.Errorf("download: creating temporary file: %w", err)
		}
	}
	res, err := fetchRetrying(ctx, rawURL, opts, f)
	if f != nil {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = &Error{URL: Redact(rawURL), Attempts: 1, Err: fmt.Errorf("writing temporary file: %w", cerr)}
		}
		if err != nil {
			os.Remove(f.Name())
			return nil, err
		}
		res.Path = f.Name()
	}
	return res, err
}

// fetchRetrying runs attempts until one succeeds, a permanent error occurs
// or the retries are used up.
func fetchRetrying(ctx context.Context, rawURL string, opts Options, f *os.File) (*Result, error) {
	redacted := Redact(rawURL)
	for attempt := 1; ; attempt++ {
		if f != nil && attempt > 1 {
			if err := f.Truncate(0); err != nil {
				return nil, &Error{URL: redacted, Attempts: attempt, Err: err}
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return nil, &Error{URL: redacted, Attempts: attempt, Err: err}
			}
		}
		a := attemptOnce(ctx, rawURL, opts, f, attempt)
		if a.err == nil {
			return a.result(rawURL), nil
		}
		if ctx.Err() != nil {
			return nil, &Error{URL: redacted, Status: a.status, Attempts: attempt, Err: context.Cause(ctx)}
		}
		if !a.transient || attempt > opts.Retries {
			return nil, &Error{URL: redacted, Status: a.status, Attempts: attempt, Err: a.err}
		}
		wait := backoff(opts, attempt, a.retryAfter)
		if opts.Logf != nil {
			opts.Logf("%s: %v; retrying in %s (attempt %d of %d)", redacted, a.err, wait, attempt+1, opts.Retries+1)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &Error{URL: redacted, Status: a.status, Attempts: attempt, Err: context.Cause(ctx)}
		case <-t.C:
		}
	}
}

// backoff returns the wait before retry number attempt (1 for the first).
func backoff(opts Options, attempt int, retryAfter time.Duration) time.Duration {
	base, limit := opts.Backoff, opts.MaxBackoff
	if base <= 0 {
		base = DefaultBackoff
	}
	if limit <= 0 {
		limit = DefaultMaxBackoff
	}
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(max(d, retryAfter), limit)
}

// attempt is the outcome of one request.
type attempt struct {
	sum        hash.Hash
	size       int64
	status     int
	err        error
	transient  bool
	retryAfter time.Duration
}

func (a *attempt) result(rawURL string) *Result {
	sum := a.sum.Sum(nil)
	return &Result{
		URL:       rawURL,
		SHA256:    hex.EncodeToString(sum),
		Integrity: "sha256-" + base64.StdEncoding.EncodeToString(sum),
		Size:      a.size,
	}
}

// verify compares the attempt's content with the expected digest and size.
func (a *attempt) verify(opts Options) error {
	got := hex.EncodeToString(a.sum.Sum(nil))
	if (opts.SHA256 != "" && got != opts.SHA256) || (opts.Size > 0 && a.size != opts.Size) {
		return &MismatchError{WantSHA256: opts.SHA256, GotSHA256: got, WantSize: opts.Size, GotSize: a.size}
	}
	return nil
}

// copyBufSize is the read size; large reads keep the per-chunk overhead of
// hashing, writing and progress small.
const copyBufSize = 256 << 10

// copyBody copies r into w (the temporary file and the hash) and reports
// the bytes copied, calling tick after each chunk.
func copyBody(w io.Writer, r io.Reader, tick func(n int64)) (int64, error) {
	buf := make([]byte, copyBufSize)
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return total, &writeError{werr}
			}
			total += int64(n)
			tick(total)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// writeError marks a failure to write the temporary file, which is never
// transient.
type writeError struct{ err error }

func (e *writeError) Error() string { return "writing temporary file: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }
