// Package flaghint words library errors for the command line of this
// module's tools: it names the flags that change what went wrong.
//
// The libraries return typed errors in their own terms (download's
// TooLargeError knows its limit, not the flag that sets it). Both tools,
// update_extras and release, share the flags -max-size, -deadline,
// -max-entries, -max-unpacked, -lock-timeout and -allow-insecure, so this
// is the one place that names them; each tool adds the hints for its own
// flags.
package flaghint

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extrasfile"
)

// Explain returns the message of err as the user reads it: every typed
// error in err's tree that a shared flag changes gets the hint that names
// it, and own, if not nil, gives a tool's hints for its own flags (it
// returns the new message of an error and true, or false to leave the error
// to Explain).
func Explain(err error, own func(error) (string, bool)) string {
	msg := errtext.Rewrite(err, func(e error) (string, bool) {
		if own != nil {
			if s, ok := own(e); ok {
				return s, true
			}
		}
		switch e := e.(type) {
		case *download.TooLargeError:
			return e.Error() + "; raise -max-size if it is really that large", true
		case *download.DeadlineError:
			return e.Error() + "; raise -deadline if the server is just slow", true
		case *archive.LimitError:
			if e.Field == "MaxEntries" {
				return e.Error() + "; raise -max-entries if it really has that many", true
			}
			return e.Error() + "; raise -max-unpacked if it is really that large", true
		case *extrasfile.LockTimeoutError:
			return fmt.Sprintf("%v (or raise -lock-timeout, now %s)", e, e.Timeout), true
		}
		return "", false
	})
	var list extras.ErrorList
	if errors.As(err, &list) {
		msg = AllowInsecure(msg)
	}
	return msg
}

// AllowInsecure names -allow-insecure in a message of package extras, whose
// rules name the Go option that the flag sets (Options.AllowInsecure).
func AllowInsecure(msg string) string {
	return strings.ReplaceAll(msg, "Options.AllowInsecure", "-allow-insecure")
}
