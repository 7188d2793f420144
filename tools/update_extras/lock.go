package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// lockPoll is how often a waiting run tries the lock again.
const lockPoll = 50 * time.Millisecond

// acquireLock takes the lock file path (shown as display), waiting up to
// timeout for another run to release it. notify is told once that the run
// is waiting. The lock file holds the holder's process id, for messages.
func acquireLock(ctx context.Context, path, display string, timeout time.Duration, notify func(string, ...any)) (*fileLock, error) {
	deadline := time.Now().Add(timeout)
	told := false
	for {
		l, err := tryLock(path)
		if err != nil {
			return nil, fmt.Errorf("locking %s: %w", display, err)
		}
		if l != nil {
			l.writePID()
			return l, nil
		}
		holder := "another update_extras run"
		if pid := readPID(path); pid != 0 {
			holder += fmt.Sprintf(" (pid %d)", pid)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s holds the lock %s; nothing was changed: wait for it to finish and run the command again (or raise -lock-timeout, now %s)%s", holder, display, timeout, staleHint(display))
		}
		if !told && notify != nil {
			notify("waiting for %s, which holds the lock %s", holder, display)
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(lockPoll):
		}
	}
}

// readPID returns the process id written in the lock file, or 0.
func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func (l *fileLock) writePID() {
	l.f.Truncate(0)
	l.f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
}
