package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools"
)

// fixture is the tests' loopback server, rooted at a directory ROOT. It is
// a testtools.Server of the files under ROOT/srv, with that server's
// failure modes ($SRV/status/500/a.tar.gz, $SRV/flaky/1/a.tar.gz,
// $SRV/redirect/a.tar.gz, $SRV/truncate/a.tar.gz, $SRV/slow/a.tar.gz...),
// that also plays GitHub's API:
//
//   - GET /repos/OWNER/REPO/releases/tags/TAG serves ROOT/api/OWNER/REPO/TAG.json
//     as the GitHub API does (404 with a JSON message if it is missing).
//
// Each request is logged, with its Authorization header, to
// ROOT/requests.log.
type fixture struct {
	*testtools.Server
	root string
	mu   sync.Mutex // serializes the log
}

func newFixture(root string) *fixture {
	f := &fixture{Server: testtools.NewServer(filepath.Join(root, "srv")), root: root}
	f.OnRequest(f.log)
	f.HandleFunc("/repos/{owner}/{repo}/releases/tags/{tag}", f.release)
	f.Start()
	return f
}

func (f *fixture) log(r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if log, err := os.OpenFile(filepath.Join(f.root, "requests.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		fmt.Fprintf(log, "%s %s Authorization=%q\n", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		log.Close()
	}
}

func (f *fixture) release(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	data, err := os.ReadFile(filepath.Join(f.root, "api", r.PathValue("owner"), r.PathValue("repo"), r.PathValue("tag")+".json"))
	if err != nil {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/releases/releases#get-a-release-by-tag-name", "status": "404"}`)
		return
	}
	w.Write(data)
}

// authHeaders returns the Authorization headers logged in requests.log.
func authHeaders(root string) []string {
	fh, err := os.Open(filepath.Join(root, "requests.log"))
	if err != nil {
		return nil
	}
	defer fh.Close()
	var hs []string
	s := bufio.NewScanner(fh)
	for s.Scan() {
		_, h, _ := strings.Cut(s.Text(), "Authorization=")
		hs = append(hs, h)
	}
	return hs
}
