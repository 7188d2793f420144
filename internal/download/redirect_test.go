package download_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
)

// TestRedirectLeavingHTTPS has an HTTPS server redirect to a plain-HTTP
// loopback server that serves the same archive. The redirect leaves https,
// so the download fails, with and without the loopback opt-in
// (AllowInsecure), naming both URLs with the token redacted; the HTTP
// server gets no request. A redirect from https to https is followed.
func TestRedirectLeavingHTTPS(t *testing.T) {
	const secret = "s3cretSIG"
	plain := testtools.StartServer(t, "")
	plain.SetFile("a.tar.gz", body)
	tlsSrv := testtools.NewServer("")
	tlsSrv.SetFile("a.tar.gz", body)
	tlsSrv.HandleFunc("/to-http.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/a.tar.gz?X-Amz-Signature="+secret, http.StatusFound)
	})
	tlsSrv.HandleFunc("/to-https.tar.gz", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/a.tar.gz", http.StatusMovedPermanently)
	})
	tlsSrv.StartTLS(nil)
	t.Cleanup(tlsSrv.Close)

	for _, allowInsecure := range []bool{false, true} {
		for _, verify := range []bool{false, true} {
			opts := download.Options{Client: tlsSrv.Client(), AllowInsecure: allowInsecure, Retries: 2, Backoff: 1}
			var err error
			if verify {
				_, err = download.Verify(context.Background(), tlsSrv.URL+"/to-http.tar.gz", opts)
			} else {
				var res *download.Result
				res, err = download.Fetch(context.Background(), []string{tlsSrv.URL + "/to-http.tar.gz"}, opts)
				if err == nil {
					res.Remove()
				}
			}
			want := "redirected from " + tlsSrv.URL + "/to-http.tar.gz to " + plain.URL + "/a.tar.gz?X-Amz-Signature=REDACTED, which leaves https: insecure URL; the server must redirect to an https:// URL"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("AllowInsecure=%v verify=%v: got %v, want an error containing %q", allowInsecure, verify, err, want)
			} else if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the secret: %v", err)
			}
			if !errors.Is(err, download.ErrInsecure) {
				t.Errorf("AllowInsecure=%v: %v does not wrap ErrInsecure", allowInsecure, err)
			}
		}
	}
	if n := plain.Requests(""); n != 0 {
		t.Errorf("the http server got %d requests, want none", n)
	}
	if n := tlsSrv.Requests("/to-http.tar.gz"); n != 4 {
		t.Errorf("the refused redirect was asked for %d times, want 4 (never retried)", n)
	}

	res, err := download.Fetch(context.Background(), []string{tlsSrv.URL + "/to-https.tar.gz"}, download.Options{Client: tlsSrv.Client(), SHA256: bodySHA})
	if err != nil {
		t.Fatalf("https to https: %v", err)
	}
	res.Remove()
}
