package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
)

// ui writes progress and log lines to stderr. On a terminal it keeps one
// status line, redrawn a few times a second, with the running downloads;
// otherwise it prints a plain line when each download starts.
type ui struct {
	w   io.Writer
	tty bool

	mu      sync.Mutex
	tasks   []*task
	status  bool // a status line is on screen
	stop    chan struct{}
	stopped chan struct{}
}

// redrawEvery is the refresh interval of the status line.
const redrawEvery = 150 * time.Millisecond

// statusWidth bounds the status line so that it never wraps on a normal
// terminal.
const statusWidth = 79

func newUI(w io.Writer, tty bool) *ui {
	u := &ui{w: w, tty: tty}
	if tty {
		u.stop, u.stopped = make(chan struct{}), make(chan struct{})
		go u.loop()
	}
	return u
}

func (u *ui) loop() {
	defer close(u.stopped)
	t := time.NewTicker(redrawEvery)
	defer t.Stop()
	for {
		select {
		case <-u.stop:
			return
		case <-t.C:
			u.mu.Lock()
			u.draw()
			u.mu.Unlock()
		}
	}
}

// close stops the redraws and clears the status line.
func (u *ui) close() {
	if u == nil || !u.tty {
		return
	}
	close(u.stop)
	<-u.stopped
	u.mu.Lock()
	u.clear()
	u.mu.Unlock()
}

// logf prints one line, above the status line on a terminal.
func (u *ui) logf(format string, args ...any) {
	if u == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.clear()
	fmt.Fprintf(u.w, format+"\n", args...)
	u.draw()
}

// clear erases the status line. u.mu is held.
func (u *ui) clear() {
	if u.status {
		fmt.Fprint(u.w, "\r\x1b[K")
		u.status = false
	}
}

// draw shows the running downloads on the status line. u.mu is held.
func (u *ui) draw() {
	if !u.tty || len(u.tasks) == 0 {
		return
	}
	parts := make([]string, 0, len(u.tasks))
	for _, t := range u.tasks {
		done, total := t.done.Load(), t.total.Load()
		if total > 0 {
			parts = append(parts, fmt.Sprintf("%s %d%% of %s", t.label, done*100/total, size(total)))
		} else {
			parts = append(parts, fmt.Sprintf("%s %s", t.label, size(done)))
		}
	}
	line := "downloading: " + strings.Join(parts, ", ")
	if r := []rune(line); len(r) > statusWidth {
		line = string(r[:statusWidth-1]) + "…"
	}
	fmt.Fprint(u.w, "\r\x1b[K"+line)
	u.status = true
}

// task is one running download.
type task struct {
	label       string
	done, total atomic.Int64
}

// start registers a download of label (an entry name) from url.
func (u *ui) start(label, url string) *task {
	t := &task{label: label}
	t.total.Store(-1)
	u.mu.Lock()
	u.tasks = append(u.tasks, t)
	u.mu.Unlock()
	if !u.tty {
		u.logf("%s: downloading %s", label, download.Redact(url))
	}
	return t
}

// progress records a download.Progress report; cheap enough to be called
// for every chunk.
func (t *task) progress(p download.Progress) {
	t.done.Store(p.Done)
	t.total.Store(p.Total)
}

// end unregisters t.
func (u *ui) end(t *task) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.tasks = slices.DeleteFunc(u.tasks, func(x *task) bool { return x == t })
	if len(u.tasks) == 0 {
		u.clear()
	}
}

// size formats a byte count for people.
func size(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	}
}
