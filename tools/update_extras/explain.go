package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
)

// explain returns the message of err as the user reads it. The libraries
// say what happened in their own terms, with typed errors for what a flag
// of this tool changes (a limit, a timeout, the release asked for); this
// is the one place that names those flags, wherever such an error is in
// the tree of errors that wrap it. Every error, warning and FAIL line
// that the tool prints goes through it.
func explain(err error) string {
	msg := errtext.Rewrite(err, func(e error) (string, bool) {
		switch e := e.(type) {
		case *download.TooLargeError:
			return e.Error() + "; raise -max-size if it is really that large", true
		case *download.DeadlineError:
			return e.Error() + "; raise -deadline if the server is just slow", true
		case *extrasfile.LockTimeoutError:
			return fmt.Sprintf("%v (or raise -lock-timeout, now %s)", e, e.Timeout), true
		case *github.NotFoundError:
			hint := "; check -repo and -tag"
			if e.Token {
				hint += ", and that GITHUB_TOKEN may read the repository"
			} else {
				hint += "; for a private repository set GITHUB_TOKEN"
			}
			return e.Error() + hint, true
		}
		return "", false
	})
	var list extras.ErrorList
	if errors.As(err, &list) {
		msg = allowInsecureFlag(msg)
	}
	return msg
}

// allowInsecureFlag names -allow-insecure in a message of package extras,
// which names the Go option that the flag sets.
func allowInsecureFlag(msg string) string {
	return strings.ReplaceAll(msg, "Options.AllowInsecure", "-allow-insecure")
}
