package testtools

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestServerModes checks each failure mode of Server once.
func TestServerModes(t *testing.T) {
	s := StartServer(t, "")
	data := []byte("0123456789abcdef0123456789abcdef")
	s.SetFile("f", data)
	var mu sync.Mutex
	var served []string
	s.OnFile(func(name string) { mu.Lock(); served = append(served, name); mu.Unlock() })
	s.HandleFunc("/api/{x}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api "+r.PathValue("x")) })
	get := func(p string) (*http.Response, []byte, error) {
		t.Helper()
		resp, err := s.Client().Get(s.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	for _, tc := range []struct {
		path   string
		status int
		body   []byte
		length int64
		errEOF bool
	}{
		{"/f", 200, data, 32, false},
		{"/404/f", 404, nil, -2, false},
		{"/missing", 404, nil, -2, false},
		{"/status/500/f", 500, nil, -2, false},
		{"/redirect/f", 200, data, 32, false},
		{"/truncate/f", 200, data[:16], 32, true},
		{"/chunked/f", 200, data, -1, false},
		{"/api/v", 200, []byte("api v"), 5, false},
	} {
		resp, b, err := get(tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %s, want %d", tc.path, resp.Status, tc.status)
		}
		if tc.body != nil && !bytes.Equal(b, tc.body) {
			t.Errorf("%s: body %q, want %q", tc.path, b, tc.body)
		}
		if tc.length != -2 && resp.ContentLength != tc.length {
			t.Errorf("%s: Content-Length %d, want %d", tc.path, resp.ContentLength, tc.length)
		}
		if gotEOF := errors.Is(err, io.ErrUnexpectedEOF); gotEOF != tc.errEOF {
			t.Errorf("%s: read error %v", tc.path, err)
		}
	}
	if _, b, _ := get("/corrupt/f"); len(b) != len(data) || bytes.Equal(b, data) || !bytes.Equal(b[:16], data[:16]) {
		t.Errorf("corrupt: %q", b)
	}
	for i, want := range []int{503, 503, 200} {
		if resp, _, _ := get("/flaky/2/f"); resp.StatusCode != want {
			t.Errorf("flaky request %d: %s, want %d", i+1, resp.Status, want)
		}
	}
	if n := s.Requests("/flaky/2/f"); n != 3 {
		t.Errorf("Requests = %d, want 3", n)
	}

	// The modes that never end: read a little, then hang up.
	s.Reset()
	for _, p := range []string{"/endless/f", "/trickle/f", "/hang/1000/f"} {
		resp, err := s.Client().Get(s.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(resp.Body, buf); err != nil || !bytes.Equal(buf, data[:4]) {
			t.Errorf("%s: %q, %v", p, buf, err)
		}
		if p == "/hang/1000/f" && resp.ContentLength != 1000 {
			t.Errorf("%s: Content-Length %d", p, resp.ContentLength)
		}
		resp.Body.Close()
	}
	if s.Requests("") != 3 || s.Sent() < 4+4 {
		t.Errorf("Requests %d, Sent %d", s.Requests(""), s.Sent())
	}
	start := time.Now()
	if resp, b, _ := get("/slow/f"); resp.StatusCode != 200 || !bytes.Equal(b, data) || time.Since(start) < 2*time.Second {
		t.Errorf("slow: %s %q after %s", resp.Status, b, time.Since(start))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(served) == 0 || served[0] != "f" {
		t.Errorf("OnFile saw %q", served)
	}
}
