package github_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
)

// redirectWorld is an HTTPS API server on loopback that redirects every
// request to a plain-HTTP loopback server answering like GitHub: a
// release for GETs, an asset for uploads. plainRequests counts what the
// HTTP server got; plainAuth is the last Authorization header it saw.
type redirectWorld struct {
	api, plain    *httptest.Server
	plainRequests atomic.Int32
	plainAuth     atomic.Value
}

func newRedirectWorld(t *testing.T, status int) *redirectWorld {
	w := &redirectWorld{}
	w.plain = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.plainRequests.Add(1)
		w.plainAuth.Store(r.Header.Get("Authorization"))
		if strings.Contains(r.URL.Path, "/assets") {
			fmt.Fprint(rw, `{"id": 11, "name": "a.tar.xz", "state": "uploaded", "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000", "browser_download_url": "http://evil.example/a.tar.xz"}`)
			return
		}
		fmt.Fprint(rw, releaseJSON)
	}))
	t.Cleanup(w.plain.Close)
	w.api = httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, w.plain.URL+r.URL.Path+"?token=s3cret", status)
	}))
	t.Cleanup(w.api.Close)
	return w
}

// TestRedirectLeavingHTTPS checks that the API client refuses a redirect
// from https to http, for reads and for uploads, with and without the
// loopback opt-in: the error names both URLs (the query's token
// redacted), and the plain-HTTP server gets no request, so it can answer
// neither the release (its assets' URLs and digests) nor the upload.
func TestRedirectLeavingHTTPS(t *testing.T) {
	for _, allowInsecure := range []bool{false, true} {
		t.Run(fmt.Sprintf("AllowInsecure=%v", allowInsecure), func(t *testing.T) {
			w := newRedirectWorld(t, http.StatusFound)
			c, err := github.New(github.Options{APIURL: w.api.URL, Token: token, HTTPClient: w.api.Client(), AllowInsecure: allowInsecure})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ReleaseByTag(context.Background(), "lowRISC/ot-sku", "v1.0.0")
			want := fmt.Sprintf(`release "v1.0.0" of lowRISC/ot-sku: GET %[1]s/repos/lowRISC/ot-sku/releases/tags/v1.0.0: redirected from %[1]s/repos/lowRISC/ot-sku/releases/tags/v1.0.0 to %[2]s/repos/lowRISC/ot-sku/releases/tags/v1.0.0?token=REDACTED, which leaves https: insecure URL; the server must redirect to an https:// URL`, w.api.URL, w.plain.URL)
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("ReleaseByTag:\n got %v\nwant %s...", err, want)
			}

			file := filepath.Join(t.TempDir(), "a.tar.xz")
			if err := os.WriteFile(file, []byte("archive"), 0o644); err != nil {
				t.Fatal(err)
			}
			rel := &github.Release{ID: 1, Repository: "lowRISC/ot-sku", Tag: "v1.0.0", UploadURL: w.api.URL + "/repos/lowRISC/ot-sku/releases/1/assets"}
			_, err = c.UploadAsset(context.Background(), rel, "a.tar.xz", file, "application/x-xz")
			want = fmt.Sprintf(`uploading asset a.tar.xz to release "v1.0.0" of lowRISC/ot-sku: POST %[1]s/repos/lowRISC/ot-sku/releases/1/assets: redirected from %[1]s/repos/lowRISC/ot-sku/releases/1/assets?name=a.tar.xz to %[2]s/repos/lowRISC/ot-sku/releases/1/assets?token=REDACTED, which leaves https: insecure URL`, w.api.URL, w.plain.URL)
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("UploadAsset:\n got %v\nwant %s...", err, want)
			}
			if n := w.plainRequests.Load(); n != 0 {
				t.Errorf("the http server got %d requests (last Authorization %q), want none", n, w.plainAuth.Load())
			}
		})
	}
}

// TestRedirectHTTPSToHTTPS checks that a redirect that stays on https is
// followed.
func TestRedirectHTTPSToHTTPS(t *testing.T) {
	target := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprint(rw, releaseJSON)
	}))
	defer target.Close()
	api := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, target.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	defer api.Close()
	c, err := github.New(github.Options{APIURL: api.URL, HTTPClient: api.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReleaseByTag(context.Background(), "lowRISC/ot-sku", "v1.0.0"); err != nil {
		t.Fatal(err)
	}
}

// TestRedirectToHTTPWithoutOptIn checks that without AllowInsecure a
// plain-HTTP server's redirect to another plain-HTTP URL is refused too.
func TestRedirectToHTTPWithoutOptIn(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprint(rw, releaseJSON)
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, other.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	defer api.Close()
	c, err := github.New(github.Options{APIURL: api.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ReleaseByTag(context.Background(), "a/b", "v1")
	if want := "which is not https: insecure URL"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error containing %q", err, want)
	}
}
