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
// or size that does not match, an invalid URL, an archive above the size
// limit). Proxies come from the environment (HTTP_PROXY, HTTPS_PROXY,
// NO_PROXY).
//
// Three limits keep a broken or hostile server from holding a run forever
// or filling the disk: Options.Timeout limits the wait for response headers
// and every pause in the body (an idle timeout); Options.Deadline limits
// the whole time spent on one URL, all its attempts and the waits between
// them included (a server trickling one byte a second never pauses long
// enough for the idle timeout); and Options.MaxSize limits the size of the
// archive: a Content-Length above it fails before the body is read, and a
// body that grows beyond it fails as soon as it does, with its temporary
// file removed. The last two fail with a [*DeadlineError] and a
// [*TooLargeError], whose messages say what happened and which limit it
// was; a tool that sets the limits from its command line finds them with
// errors.As and says how to raise them (such as by naming its flag).
//
// Fetch keeps the archive in a temporary file: in Options.Dir, or, if that
// is "", in a directory of its own made by [NewTempDir]. Such directories
// are marked as in use by a lock that dies with their process, so that
// [CleanStale] (which NewTempDir runs) removes those of killed runs and
// never one of a live run.
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

	// DefaultMaxSize is the largest archive accepted when Options.MaxSize
	// is 0: 1 GiB. The signed provisioning archives are a few MB (binaries,
	// digests and signatures), so this is hundreds of times what they
	// need, and still small enough that a server sending an endless body
	// cannot fill a disk or a CI runner's temporary directory.
	DefaultMaxSize = 1 << 30

	// DefaultDeadline is the longest time spent on one URL when
	// Options.Deadline is 0: 30 minutes. A 1 GiB archive (DefaultMaxSize)
	// needs an average of about 600 KB/s to finish in time; a
	// provisioning archive of a few MB needs a few KB/s. It covers the
	// retries too, so that retries never multiply it.
	DefaultDeadline = 30 * time.Minute
)

// Options configures [Fetch] and [Verify]. The zero value is usable: no
// expected digest, DefaultTimeout, DefaultDeadline, DefaultMaxSize, no
// retries, https only.
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

	// Deadline bounds the whole time spent on one URL: every attempt,
	// and the waits before retries, together. A URL that has not served
	// the archive by then fails with an error wrapping [ErrDeadline] and
	// is not retried; Fetch goes on with the next mirror, which gets a
	// Deadline of its own. 0 means DefaultDeadline.
	Deadline time.Duration

	// MaxSize is the largest archive accepted, in bytes. A response whose
	// Content-Length is larger fails at once, without reading the body;
	// a body that grows larger fails as soon as it does, after at most
	// MaxSize bytes were stored. Either fails with an error wrapping
	// [ErrTooLarge] and is not retried. 0 means DefaultMaxSize; a
	// negative value is an error.
	MaxSize int64

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

	// Dir is the directory for Fetch's temporary file, which the caller
	// owns (typically a [TempDir] made for the run, so that a killed run's
	// files are found and removed by the next). "" means a new [TempDir]
	// in os.TempDir() for each download, which Result.Remove deletes.
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

	// dir is the directory Fetch made for Path when Options.Dir was "".
	dir *TempDir
}

// Remove deletes the temporary file, if any, and the directory Fetch made
// for it, if it made one.
func (r *Result) Remove() error {
	if r == nil {
		return nil
	}
	if r.dir != nil {
		err := r.dir.Remove()
		if err == nil {
			r.dir, r.Path = nil, ""
		}
		return err
	}
	if r.Path == "" {
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
	// ErrTooLarge is wrapped by errors for archives larger than
	// Options.MaxSize (a *TooLargeError).
	ErrTooLarge = errors.New("archive too large")
	// ErrDeadline is wrapped by errors for URLs that did not serve the
	// archive within Options.Deadline (a *DeadlineError).
	ErrDeadline = errors.New("download deadline exceeded")
)

// TooLargeError is an archive larger than Options.MaxSize. It wraps
// ErrTooLarge. Its message says what the limit is and what was received,
// not how to raise the limit: that is up to whoever set it.
type TooLargeError struct {
	Limit     int64 // Options.MaxSize, or DefaultMaxSize
	Announced int64 // the Content-Length if it was above Limit, else -1
	Received  int64 // the bytes read before giving up
}

func (e *TooLargeError) Error() string {
	limit := fmt.Sprintf("the limit of %d bytes", e.Limit)
	if u := ByteSize(e.Limit).String(); strings.HasSuffix(u, "iB") {
		limit = fmt.Sprintf("the limit of %s (%d bytes)", u, e.Limit)
	}
	if e.Announced >= 0 {
		return fmt.Sprintf("the archive is too large: its announced size, %d bytes, is more than %s, so nothing was downloaded", e.Announced, limit)
	}
	return fmt.Sprintf("the archive is too large: it grew beyond %s, so the download stopped after %d bytes", limit, e.Received)
}

// Unwrap returns ErrTooLarge.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// DeadlineError is a URL that did not serve the archive within
// Options.Deadline. It wraps ErrDeadline. Like [TooLargeError], its
// message does not say how to raise the limit.
type DeadlineError struct {
	Deadline time.Duration // Options.Deadline, or DefaultDeadline
	Attempts int           // the attempts made
	Received int64         // the bytes received in the last attempt
	Total    int64         // the size the last attempt announced, -1 if unknown
	// Last is the error of the last attempt if the deadline passed while
	// waiting to retry it, else nil.
	Last error
}

func (e *DeadlineError) Error() string {
	s := fmt.Sprintf("gave up after %s", e.Deadline)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" and %d attempts", e.Attempts)
	}
	if e.Last != nil {
		s += fmt.Sprintf(" (the last failed: %v)", e.Last)
	} else {
		s += fmt.Sprintf("; the server sent %s", of(e.Received, e.Total))
	}
	return s
}

// Unwrap returns ErrDeadline.
func (e *DeadlineError) Unwrap() error { return ErrDeadline }

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
	var de *DeadlineError
	if e.Attempts > 1 && !errors.As(e.Err, &de) { // it counts them itself
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

// checkExpected rejects a malformed Options.SHA256 and negative limits.
func checkExpected(opts Options) error {
	if opts.MaxSize < 0 {
		return fmt.Errorf("download: MaxSize %d is negative", opts.MaxSize)
	}
	if opts.Deadline < 0 {
		return fmt.Errorf("download: Deadline %s is negative", opts.Deadline)
	}
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
	var dir *TempDir
	if toFile {
		parent := opts.Dir
		if parent == "" {
			var err error
			if dir, err = NewTempDir(""); err != nil {
				return nil, fmt.Errorf("download: %w", err)
			}
			parent = dir.Path
		}
		var err error
		f, err = os.CreateTemp(parent, "download-*.tmp")
		if err != nil {
			if dir != nil {
				dir.Remove()
			}
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
			if dir != nil {
				dir.Remove()
			}
			return nil, err
		}
		res.Path, res.dir = f.Name(), dir
	}
	return res, err
}

// deadlineCause is the cause of the context of one URL when its
// Options.Deadline passes.
type deadlineCause struct{}

func (deadlineCause) Error() string { return "deadline exceeded" }

// fetchRetrying runs attempts until one succeeds, a permanent error occurs,
// the retries are used up or Options.Deadline passes.
func fetchRetrying(ctx context.Context, rawURL string, opts Options, f *os.File) (*Result, error) {
	redacted := Redact(rawURL)
	deadline := opts.Deadline
	if deadline <= 0 {
		deadline = DefaultDeadline
	}
	var cause error = deadlineCause{}
	ctx, cancel := context.WithTimeoutCause(ctx, deadline, cause)
	defer cancel()
	expired := func() bool { return context.Cause(ctx) == cause }
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
		if expired() {
			return nil, &Error{URL: redacted, Status: a.status, Attempts: attempt,
				Err: &DeadlineError{Deadline: deadline, Attempts: attempt, Received: a.size, Total: a.total}}
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
			if expired() {
				return nil, &Error{URL: redacted, Status: a.status, Attempts: attempt,
					Err: &DeadlineError{Deadline: deadline, Attempts: attempt, Received: a.size, Total: a.total, Last: a.err}}
			}
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
	total      int64 // the announced size, -1 if unknown
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
// the bytes copied, calling tick after each chunk. It stops with a
// *TooLargeError, before writing them, at the first bytes beyond limit.
func copyBody(w io.Writer, r io.Reader, limit int64, tick func(n int64)) (int64, error) {
	buf := make([]byte, copyBufSize)
	var total int64
	for {
		// Never read much more than the limit allows: one byte beyond it
		// is enough to know.
		chunk := buf
		if room := limit - total; room < int64(len(buf)) {
			chunk = buf[:room+1]
		}
		n, err := r.Read(chunk)
		if n > 0 {
			if total+int64(n) > limit {
				return total, &TooLargeError{Limit: limit, Announced: -1, Received: total}
			}
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
