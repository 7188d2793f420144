package extrasfile

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// lockPoll is how often a waiting process tries the lock again.
const lockPoll = 50 * time.Millisecond

// LockOptions configures [AcquireLock].
type LockOptions struct {
	// Timeout is how long to wait for another process to release the
	// lock.
	Timeout time.Duration
	// Holder names the other process in messages; "" means
	// "another process".
	Holder string
	// Notify, if not nil, is told once that the caller is waiting.
	Notify func(format string, args ...any)
}

// Lock is a held lock; Release gives it up.
type Lock struct {
	l *fileLock
}

// Release gives up the lock and removes the lock file.
func (l *Lock) Release() { l.l.release() }

// AcquireLock takes the lock file path (shown as display), waiting up to
// opts.Timeout for another process to release it. The lock file holds the
// holder's process id, for messages.
func AcquireLock(ctx context.Context, path, display string, opts LockOptions) (*Lock, error) {
	deadline := time.Now().Add(opts.Timeout)
	told := false
	for {
		l, err := tryLock(path)
		if err != nil {
			return nil, fmt.Errorf("locking %s: %w", display, err)
		}
		if l != nil {
			l.writePID()
			return &Lock{l}, nil
		}
		holder := opts.Holder
		if holder == "" {
			holder = "another process"
		}
		if pid := readPID(path); pid != 0 {
			holder += fmt.Sprintf(" (pid %d)", pid)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s holds the lock %s; nothing was changed: wait for it to finish and run the command again (or raise -lock-timeout, now %s)%s", holder, display, opts.Timeout, staleHint(display))
		}
		if !told && opts.Notify != nil {
			opts.Notify("waiting for %s, which holds the lock %s", holder, display)
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
