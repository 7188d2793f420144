package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
)

// fetcher downloads and checks archives, at most -jobs at a time, into a
// temporary directory that close removes.
type fetcher struct {
	c   *cli
	sem chan struct{}
	dir *download.TempDir
}

// newFetcher makes the run's download directory, -tmpdir/ot-extras-download-*.
// It is locked while the run lives, so that a later run removes it (with
// the partial downloads in it) if this one is killed; creating it removes
// those of killed runs.
func (c *cli) newFetcher() (*fetcher, error) {
	dir, err := download.NewTempDir(c.tmpDir)
	if err != nil {
		return nil, err
	}
	return &fetcher{c: c, sem: make(chan struct{}, c.jobs), dir: dir}, nil
}

func (f *fetcher) close() { f.dir.Remove() }

// archiveSpec says what to fetch and what to expect.
type archiveSpec struct {
	label       string   // the entry name, for progress and messages
	urls        []string // mirrors, in order
	sha256      string   // expected digest, "" to compute it (set of a new URL only)
	size        int64    // expected size, 0 if unknown
	typ         string   // archive type, "" to infer it from the URL that served it
	stripPrefix string
	mirrors     string // "all": every URL must serve the archive; "first": the first that works is enough
}

// fetched is an archive that downloaded and passed the checks.
type fetched struct {
	url       string // the URL that served it
	sha256    string
	integrity string
	size      int64
	typ       string // the type it was checked as
	report    *archive.Report
	warnings  []error // problems that did not fail it, such as a failed mirror with -mirrors=first
}

// options returns the download options for one transfer.
func (f *fetcher) options(spec *archiveSpec, t *task) download.Options {
	return download.Options{
		SHA256:        spec.sha256,
		Size:          spec.size,
		Timeout:       f.c.timeout,
		Deadline:      f.c.deadline,
		MaxSize:       f.c.maxSize,
		Retries:       f.c.retries,
		Backoff:       f.c.backoff,
		AllowInsecure: f.c.allowInsecure,
		Dir:           f.dir.Path,
		UserAgent:     "ot-provisioning-exts-update_extras",
		Progress:      t.progress,
		Logf: func(format string, args ...any) {
			f.c.ui.logf("%s: "+format, append([]any{spec.label}, args...)...)
		},
	}
}

// fetch downloads the archive (from the first URL that works), verifies
// it against spec.sha256 if set, verifies the other mirrors if
// spec.mirrors is "all", and checks the archive. The downloaded copy is
// read once from the network (hashed while written) and once from disk
// (the archive check), and removed before fetch returns.
func (f *fetcher) fetch(ctx context.Context, spec *archiveSpec) (*fetched, error) {
	res, err := f.download(ctx, spec, spec.urls, spec.sha256)
	if err != nil {
		return nil, err
	}
	defer res.Remove()
	out := &fetched{url: res.URL, sha256: res.SHA256, integrity: res.Integrity, size: res.Size}

	var problems []error
	for _, err := range res.Failed {
		if spec.mirrors == "all" {
			problems = append(problems, err)
		} else {
			out.warnings = append(out.warnings, fmt.Errorf("mirror failed: %w", err))
		}
	}
	if spec.mirrors == "all" {
		// Every other mirror must serve the same bytes. Only hashed, not
		// kept: the archive check below needs one copy.
		rest := spec.urls[slices.Index(spec.urls, res.URL)+1:]
		problems = append(problems, f.verifyMirrors(ctx, spec, rest, res.SHA256)...)
	}
	if len(problems) > 0 {
		return nil, &mirrorsError{problems}
	}

	out.typ = spec.typ
	if out.typ == "" {
		out.typ = archive.InferType(res.URL)
	}
	if out.typ == "" {
		return nil, fmt.Errorf("cannot tell the archive type of %s from its name (no known extension such as .tar.gz); set the entry's type with set -type", download.Redact(res.URL))
	}
	lim := archive.Limits{MaxEntries: f.c.maxEntries, MaxUnpacked: f.c.maxUnpacked}
	rep, err := archive.Check(ctx, res.Path, out.typ, spec.stripPrefix, lim)
	switch {
	case errors.Is(err, archive.ErrUnsupported) && f.c.allowUnchecked:
		out.warnings = append(out.warnings, fmt.Errorf("THE ARCHIVE WAS NOT CHECKED (-allow-unchecked): its sha256 and its first bytes match, but its members were not read: %w", err))
	case errors.Is(err, archive.ErrUnsupported):
		return nil, &uncheckedError{fmt.Errorf("the archive from %s cannot be checked: %w", download.Redact(res.URL), err)}
	case err != nil:
		return nil, fmt.Errorf("the archive from %s is not usable: %w", download.Redact(res.URL), err)
	}
	out.report = rep
	return out, nil
}

// download runs download.Fetch for spec within the -jobs limit.
func (f *fetcher) download(ctx context.Context, spec *archiveSpec, urls []string, want string) (*download.Result, error) {
	f.sem <- struct{}{}
	defer func() { <-f.sem }()
	t := f.c.ui.start(spec.label, urls[0])
	defer f.c.ui.end(t)
	opts := f.options(spec, t)
	opts.SHA256 = want
	return download.Fetch(ctx, urls, opts)
}

// verifyMirrors hashes each of urls concurrently (within the -jobs limit)
// and returns the error of each that fails or differs from sha256.
func (f *fetcher) verifyMirrors(ctx context.Context, spec *archiveSpec, urls []string, sha256 string) []error {
	problems := make([]error, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() {
			f.sem <- struct{}{}
			defer func() { <-f.sem }()
			t := f.c.ui.start(spec.label, u)
			defer f.c.ui.end(t)
			opts := f.options(spec, t)
			opts.SHA256 = sha256
			if _, err := download.Verify(ctx, u, opts); err != nil {
				problems[i] = err
			}
		})
	}
	wg.Wait()
	return slices.DeleteFunc(problems, func(err error) bool { return err == nil })
}

// mirrorsError is the failure of mirrors that did not all serve the same
// archive, with -mirrors=all: the error of each failing URL.
type mirrorsError struct{ errs []error }

func (e *mirrorsError) Error() string {
	msgs := make([]string, len(e.errs))
	for i, err := range e.errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ") + " (every URL must serve the same archive; fix or remove the failing URLs, or pass -mirrors=first to accept any one)"
}

func (e *mirrorsError) Unwrap() []error { return e.errs }

// uncheckedError is an archive of a type that the check cannot open; the
// message names -allow-unchecked.
type uncheckedError struct{ err error }

func (e *uncheckedError) Error() string {
	return e.err.Error() + "; its members could hold anything (links outside the repository, a wrong strip prefix), so it is refused: pass -allow-unchecked to pin it anyway, unchecked"
}

func (e *uncheckedError) Unwrap() error { return e.err }
