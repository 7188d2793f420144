package main

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fixture is a loopback server for the tests, rooted at a directory:
//
//   - GET /repos/OWNER/REPO/releases/tags/TAG serves ROOT/api/OWNER/REPO/TAG.json
//     as the GitHub API does (404 with a JSON message if it is missing);
//   - GET /_status/CODE/... answers with status CODE;
//   - GET /_flaky/N/PATH answers 503 to the first N requests, then serves PATH;
//   - GET /_redirect/PATH redirects to /PATH;
//   - GET /_truncated/PATH announces more bytes than PATH has;
//   - GET /_slow/... sends nothing for two seconds, then 404;
//   - any other GET serves the file ROOT/srv/PATH.
//
// Each request is logged, with its Authorization header, to
// ROOT/requests.log, and counted.
type fixture struct {
	*httptest.Server
	root string

	mu     sync.Mutex
	counts map[string]int
	// onServe, if set, runs before a file is served (tests use it to
	// change extras.json in the middle of a download).
	onServe func(path string)
}

func newFixture(root string) *fixture {
	f := &fixture{root: root, counts: map[string]int{}}
	f.Server = httptest.NewServer(f)
	return f
}

// requests returns the number of requests for path so far.
func (f *fixture) requests(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[path]
}

func (f *fixture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.counts[r.URL.Path]++
	n := f.counts[r.URL.Path]
	onServe := f.onServe
	if log, err := os.OpenFile(filepath.Join(f.root, "requests.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		fmt.Fprintf(log, "%s %s Authorization=%q\n", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		log.Close()
	}
	f.mu.Unlock()

	p := strings.TrimPrefix(r.URL.Path, "/")
	switch parts := strings.Split(p, "/"); {
	case len(parts) == 6 && parts[0] == "repos" && parts[3] == "releases" && parts[4] == "tags":
		w.Header().Set("Content-Type", "application/json")
		data, err := os.ReadFile(filepath.Join(f.root, "api", parts[1], parts[2], parts[5]+".json"))
		if err != nil {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/releases/releases#get-a-release-by-tag-name", "status": "404"}`)
			return
		}
		w.Write(data)
	case parts[0] == "_status" && len(parts) > 1:
		code, _ := strconv.Atoi(parts[1])
		http.Error(w, http.StatusText(code), code)
	case parts[0] == "_flaky" && len(parts) > 2:
		fails, _ := strconv.Atoi(parts[1])
		if n <= fails {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		f.serveFile(w, r, strings.Join(parts[2:], "/"), onServe)
	case parts[0] == "_slow":
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
			http.NotFound(w, r)
		}
	case parts[0] == "_redirect":
		http.Redirect(w, r, "/"+strings.Join(parts[1:], "/"), http.StatusFound)
	case parts[0] == "_truncated":
		data, err := os.ReadFile(filepath.Join(f.root, "srv", filepath.FromSlash(strings.Join(parts[1:], "/"))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)+1000))
		w.Write(data)
	default:
		f.serveFile(w, r, p, onServe)
	}
}

func (f *fixture) serveFile(w http.ResponseWriter, r *http.Request, p string, onServe func(string)) {
	data, err := os.ReadFile(filepath.Join(f.root, "srv", filepath.FromSlash(p)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if onServe != nil {
		onServe(p)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
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
