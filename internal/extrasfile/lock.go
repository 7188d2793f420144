package extrasfile

import (
	"context"
	"errors"
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

// LockTimeoutError is the error of [AcquireLock] when another process
// still holds the lock after LockOptions.Timeout. Its message says who
// holds the lock and what to do, not how to wait longer: that is up to
// whoever set the timeout (such as a tool's flag).
type LockTimeoutError struct {
	Holder  string        // LockOptions.Holder, or "another process"
	PID     int           // the holder's process id, 0 if unknown
	Lock    string        // the lock file, as shown in messages
	Timeout time.Duration // how long AcquireLock waited: LockOptions.Timeout
	hint    string        // what to do about a lock that is never released
}

func (e *LockTimeoutError) Error() string {
	holder := e.Holder
	if e.PID != 0 {
		holder += fmt.Sprintf(" (pid %d)", e.PID)
	}
	return fmt.Sprintf("%s holds the lock %s: wait for it to finish and run the command again%s", holder, e.Lock, e.hint)
}

// AcquireLock takes the lock file path (shown as display), waiting up to
// opts.Timeout for another process to release it; then it fails with a
// *LockTimeoutError. The lock file holds the holder's process id, for
// messages.
func AcquireLock(ctx context.Context, path, display string, opts LockOptions) (*Lock, error) {
	deadline := time.Now().Add(opts.Timeout)
	told := false
	for {
		l, err := tryLock(path)
		if se := (*SymlinkError)(nil); errors.As(err, &se) {
			se.Display = display
			return nil, se
		}
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
		pid := readPID(path)
		if time.Now().After(deadline) {
			return nil, &LockTimeoutError{Holder: holder, PID: pid, Lock: display, Timeout: opts.Timeout, hint: staleHint(display)}
		}
		if pid != 0 {
			holder += fmt.Sprintf(" (pid %d)", pid)
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

// symlinkLock is the error of a lock file that is a symbolic link.
func symlinkLock(path string) error {
	target, err := os.Readlink(path)
	if err != nil {
		target = "(unreadable)"
	}
	return &SymlinkError{Display: path, Target: target, What: "the lock"}
}
