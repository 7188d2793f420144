package testtools

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A Server is a loopback HTTP or HTTPS server for tests. It serves files,
// from memory (SetFile) or else from the directory Root, and, under a
// path prefix, fails in the ways downloads fail:
//
//	/P               the file P
//	/404/P           404 Not Found
//	/status/CODE/P   status CODE, such as /status/503/a.tar.gz
//	/flaky/N/P       503 Service Unavailable to the first N requests for
//	                 this URL, then the file P
//	/redirect/P      302 Found to /P
//	/slow/P          nothing for two seconds (or until the client goes
//	                 away), then the file P
//	/truncate/P      P's full Content-Length, half of P, then it hangs up
//	/corrupt/P       the right length, with 16 bytes in the middle changed
//	/chunked/P       P without a Content-Length
//	/endless/P       P over and over without a Content-Length, until the
//	                 client goes away (or EndlessCap bytes)
//	/trickle/P       P's Content-Length, then one byte of P every 100ms
//	/hang/SIZE/P     a Content-Length of SIZE, P, then nothing until the
//	                 client goes away (or a minute)
//
// A missing file is 404 Not Found, whatever the prefix. Handle adds routes
// that come before all of these. Every request is counted (Requests), and
// so are the body bytes sent (Sent).
type Server struct {
	*httptest.Server
	// Root is the directory of the files that are not in memory; "" for
	// none.
	Root string

	mux       *http.ServeMux
	mu        sync.Mutex
	files     map[string][]byte
	counts    map[string]int
	total     int
	onRequest func(*http.Request)
	onFile    func(name string)
	sent      atomic.Int64
}

// EndlessCap bounds what /endless/ sends, far beyond any limit a test sets,
// so that a test ends even against a client that has no limit.
const EndlessCap = 64 << 20

// NewServer returns a server of the files under root ("" for none) that
// is not started yet: add routes and files, then call Start or StartTLS.
func NewServer(root string) *Server {
	s := &Server{Root: root, mux: http.NewServeMux(), files: map[string][]byte{}, counts: map[string]int{}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Server.Config.ReadHeaderTimeout = 10 * time.Second
	return s
}

// StartServer starts a plain HTTP server of the files under root ("" for
// none), which is closed when the test ends.
func StartServer(t testing.TB, root string) *Server {
	s := NewServer(root)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// StartTLS starts the server with HTTPS. With a nil config, it uses
// httptest's certificate, which s.Client() trusts.
func (s *Server) StartTLS(config *tls.Config) {
	if config != nil {
		s.Server.TLS = config.Clone()
	}
	s.Server.StartTLS()
}

// Close stops the server at once, hanging up on the requests in flight.
func (s *Server) Close() {
	s.Server.CloseClientConnections()
	s.Server.Close()
}

// Handle adds a route that comes before the files and the failure modes,
// as http.ServeMux.Handle does.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// HandleFunc is Handle for a function.
func (s *Server) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	s.mux.HandleFunc(pattern, h)
}

// SetFile serves data as the file name (a slash-separated path without a
// leading slash), before any file of Root.
func (s *Server) SetFile(name string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[name] = data
}

// OnRequest sets a function called at the start of every request.
func (s *Server) OnRequest(fn func(*http.Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRequest = fn
}

// OnFile sets a function called before a file is served, with its name.
func (s *Server) OnFile(fn func(name string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onFile = fn
}

// Requests returns the number of requests for the URL path p so far
// (such as "/flaky/1/a.tar.gz"), or for every path if p is "".
func (s *Server) Requests(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p == "" {
		return s.total
	}
	return s.counts[p]
}

// WaitRequests waits until the server has counted n requests for path p
// (see Requests) and returns the count: a client that gives up on a slow
// request may return before the server's handler has even started. It
// gives up after ten seconds, a guard against a hang, not a measure.
func (s *Server) WaitRequests(p string, n int) int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := s.Requests(p)
		if got >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Sent returns the body bytes sent so far, over all requests.
func (s *Server) Sent() int64 { return s.sent.Load() }

// AddSent adds n to what Sent returns, for a route of Handle that writes a
// body itself.
func (s *Server) AddSent(n int64) { s.sent.Add(n) }

// Reset sets the counts of Requests and Sent back to zero.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.counts)
	s.total = 0
	s.sent.Store(0)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts[r.URL.Path]++
	s.total++
	n, onRequest, onFile := s.counts[r.URL.Path], s.onRequest, s.onFile
	s.mu.Unlock()
	if onRequest != nil {
		onRequest(r)
	}
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r) // which sets r's path values
		return
	}

	mode, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	var arg string
	switch mode {
	case "404", "redirect", "slow", "truncate", "corrupt", "chunked", "endless", "trickle":
	case "status", "flaky", "hang":
		arg, rest, _ = strings.Cut(rest, "/")
	default:
		mode, rest = "", strings.TrimPrefix(r.URL.Path, "/")
	}
	switch mode {
	case "404":
		http.NotFound(w, r)
		return
	case "status":
		code, err := strconv.Atoi(arg)
		if err != nil || code < 100 || code > 999 {
			http.Error(w, "bad status "+arg, http.StatusBadRequest)
			return
		}
		http.Error(w, http.StatusText(code), code)
		return
	case "flaky":
		if fails, _ := strconv.Atoi(arg); n <= fails {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
	case "redirect":
		http.Redirect(w, r, "/"+rest, http.StatusFound)
		return
	case "slow":
		if !wait(r, 2*time.Second) {
			return
		}
	}

	data, ok := s.file(rest)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if onFile != nil {
		onFile(rest)
	}
	switch mode {
	case "truncate":
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		// Returning with fewer bytes than Content-Length makes the server
		// close the connection: the client sees a short body.
		s.write(w, data[:len(data)/2])
	case "corrupt":
		data = bytes.Clone(data)
		for i := len(data) / 2; i < len(data) && i < len(data)/2+16; i++ {
			data[i] ^= 0xff
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		s.write(w, data)
	case "chunked":
		w.(http.Flusher).Flush() // the headers go out without a Content-Length
		s.write(w, data)
	case "endless":
		chunk := bytes.Repeat(data, max(1, (64<<10)/max(1, len(data))))
		for sent := 0; sent < EndlessCap && len(chunk) > 0; sent += len(chunk) {
			if !s.write(w, chunk) {
				return
			}
		}
	case "trickle":
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		for i := range data {
			if !s.write(w, data[i:i+1]) {
				return
			}
			w.(http.Flusher).Flush()
			if !wait(r, 100*time.Millisecond) {
				return
			}
		}
	case "hang":
		w.Header().Set("Content-Length", arg)
		s.write(w, data)
		w.(http.Flusher).Flush()
		wait(r, time.Minute)
	default:
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		s.write(w, data)
	}
}

// file returns the content of the file name, from memory or Root.
func (s *Server) file(name string) ([]byte, bool) {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	s.mu.Lock()
	data, ok := s.files[name]
	s.mu.Unlock()
	if ok || s.Root == "" {
		return data, ok
	}
	data, err := os.ReadFile(filepath.Join(s.Root, filepath.FromSlash(name)))
	return data, err == nil
}

// write writes b, counting it, and reports whether it all went out.
func (s *Server) write(w http.ResponseWriter, b []byte) bool {
	n, err := w.Write(b)
	s.sent.Add(int64(n))
	return err == nil
}

// wait waits for d, and reports false if the client went away first.
func wait(r *http.Request, d time.Duration) bool {
	select {
	case <-r.Context().Done():
		return false
	case <-time.After(d):
		return true
	}
}
