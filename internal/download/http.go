package download

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// defaultClient is the client used when Options.Client is nil: proxies
// from the environment, no transparent decompression (the digest is over
// the bytes as served), and the standard dial and TLS timeouts.
var defaultClient = sync.OnceValue(func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	t.DisableCompression = true
	return &http.Client{Transport: t}
})

// maxRedirects is the length of redirect chain followed, as net/http's.
const maxRedirects = 10

// clientFor returns a copy of the configured client whose redirects obey
// the URL policy.
func clientFor(opts Options) *http.Client {
	base := opts.Client
	if base == nil {
		base = defaultClient()
	}
	return WithRedirectPolicy(base, opts.AllowInsecure)
}

// WithRedirectPolicy returns a copy of c that follows a redirect only to
// an https:// URL (with a host, without user information), at most 10 in
// a row, then as c's own CheckRedirect says. With allowInsecure (tests
// only) it also follows a redirect from an http:// URL to an http:// URL
// of a loopback host, but never one that leaves https: a redirect from
// https:// to http:// would let whoever is on the path answer for the
// server, so it is refused whatever the options. Every HTTP client of the
// project goes through it: downloads here, and the GitHub API and its
// uploads (package github). Errors name both URLs, redacted, and wrap
// [ErrInsecure] when the target is refused for not being https.
func WithRedirectPolicy(c *http.Client, allowInsecure bool) *http.Client {
	cc := *c
	prev := c.CheckRedirect
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if err := checkRedirect(req.URL, via[len(via)-1].URL, allowInsecure); err != nil {
			return err
		}
		if prev != nil {
			return prev(req, via)
		}
		return nil
	}
	return &cc
}

// checkRedirect checks a redirect from the URL from to the URL to.
func checkRedirect(to, from *url.URL, allowInsecure bool) error {
	shown := fmt.Sprintf("from %s to %s", Redact(from.String()), Redact(to.String()))
	switch {
	case to.Scheme == "https":
	case to.Scheme == "http" && from.Scheme == "https":
		return fmt.Errorf("redirected %s, which leaves https: %w; the server must redirect to an https:// URL (a redirect away from https is never followed, not even with the loopback test opt-in)", shown, ErrInsecure)
	case to.Scheme == "http" && allowInsecure:
	default:
		return fmt.Errorf("redirected %s, which is not https: %w; the server must redirect to an https:// URL", shown, ErrInsecure)
	}
	if err := checkParsedURL(to, Redact(to.String()), allowInsecure); err != nil {
		return fmt.Errorf("redirected from %s: %w", Redact(from.String()), err)
	}
	return nil
}

// timeoutError is the cause of a request cancelled because no data came
// for Options.Timeout.
type timeoutError struct {
	msg string
}

func (e *timeoutError) Error() string { return e.msg }
func (e *timeoutError) Timeout() bool { return true }

// attemptOnce makes one request for rawURL (already checked by CheckURL),
// writing the body to f (if not nil) and hashing it.
func attemptOnce(ctx context.Context, rawURL string, opts Options, f *os.File, n int) *attempt {
	a := &attempt{sum: sha256.New(), total: -1}
	limit := opts.MaxSize
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	var w io.Writer = a.sum
	if f != nil {
		w = io.MultiWriter(f, a.sum)
	}
	redacted := Redact(rawURL)
	progress := func(done, total int64) {
		if opts.Progress != nil {
			opts.Progress(Progress{URL: redacted, Attempt: n, Done: done, Total: total})
		}
	}
	u, err := url.Parse(rawURL)
	if err != nil { // CheckURL has accepted it
		a.err = err
		return a
	}
	if u.Scheme == "file" {
		a.size, a.err = copyFile(u.Path, w, limit, progress)
		if a.err == nil {
			a.err = a.verify(opts)
		}
		return a
	}

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	headStall := &timeoutError{fmt.Sprintf("timed out: no response within %s", timeout)}
	timer := time.AfterFunc(timeout, func() { cancel(headStall) })
	defer func() { timer.Stop() }()

	req, err := http.NewRequestWithContext(actx, http.MethodGet, rawURL, nil)
	if err != nil {
		a.err = err
		return a
	}
	for k, v := range opts.Header {
		req.Header[k] = v
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	req.Header.Set("User-Agent", ua)
	// The digest is over the bytes as served: never let the transport
	// decompress a .tar.gz served with Content-Encoding: gzip.
	req.Header.Set("Accept-Encoding", "identity")
	progress(0, -1)

	resp, err := clientFor(opts).Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the unredacted URL
		}
		if context.Cause(actx) == headStall {
			a.err, a.transient = headStall, true
			return a
		}
		a.err, a.transient = err, transientNetError(err)
		return a
	}
	defer resp.Body.Close()
	a.status = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		a.err = errors.New(resp.Status)
		a.transient = resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests ||
			resp.StatusCode == http.StatusRequestTimeout
		a.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		io.CopyN(io.Discard, resp.Body, 4<<10) // let the connection be reused
		return a
	}

	// From now on the timeout is for a pause in the body.
	timer.Stop()
	total := resp.ContentLength
	a.total = total
	if total > limit {
		// Refuse before reading anything; closing the body drops the
		// connection.
		a.err = &TooLargeError{Limit: limit, Announced: total}
		return a
	}
	bodyStall := &timeoutError{fmt.Sprintf("timed out: no data for %s", timeout)}
	timer = time.AfterFunc(timeout, func() { cancel(bodyStall) })
	progress(0, total)
	a.size, err = copyBody(w, resp.Body, limit, func(d int64) {
		timer.Reset(timeout)
		progress(d, total)
	})
	timer.Stop()
	var we *writeError
	var tl *TooLargeError
	switch {
	case err == nil && total >= 0 && a.size != total:
		a.err = fmt.Errorf("%w: got %d of %d bytes", ErrTruncated, a.size, total)
		a.transient = true
	case err == nil:
		a.err = a.verify(opts)
	case errors.As(err, &we), errors.As(err, &tl):
		a.err = err
	case context.Cause(actx) == bodyStall:
		a.err, a.transient = fmt.Errorf("%s after %s", bodyStall.msg, of(a.size, total)), true
	case ctx.Err() != nil:
		a.err = context.Cause(ctx)
	case errors.Is(err, io.ErrUnexpectedEOF) && total >= 0:
		a.err, a.transient = fmt.Errorf("%w: got %d of %d bytes", ErrTruncated, a.size, total), true
	case errors.Is(err, io.ErrUnexpectedEOF):
		a.err, a.transient = fmt.Errorf("%w: got %d bytes, then the connection closed before the end of the body", ErrTruncated, a.size), true
	default:
		a.err, a.transient = fmt.Errorf("reading the body after %s: %w", of(a.size, total), err), transientNetError(err)
	}
	return a
}

// of formats "N of M bytes", or "N bytes" if M is unknown.
func of(n, total int64) string {
	if total < 0 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%d of %d bytes", n, total)
}

// transientNetError reports whether a transport error may go away on a
// retry: timeouts, and connections reset or closed by the server.
// Refused connections, unknown hosts and TLS errors are permanent.
func transientNetError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// parseRetryAfter returns the wait a Retry-After header asks for (seconds
// or an HTTP date), or 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// copyFile copies the local file name, of at most limit bytes, into w.
func copyFile(name string, w io.Writer, limit int64, progress func(done, total int64)) (int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is not a regular file", name)
	}
	if fi.Size() > limit {
		return 0, &TooLargeError{Limit: limit, Announced: fi.Size()}
	}
	progress(0, fi.Size())
	return copyBody(w, f, limit, func(d int64) { progress(d, fi.Size()) })
}
