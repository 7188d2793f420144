package extras

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// sriPrefix starts every integrity value that this package accepts.
const sriPrefix = "sha256-"

// SRIFromHex converts a SHA-256 digest written as 64 lower-case hex digits
// to Subresource Integrity form, "sha256-" followed by the standard base64
// encoding of the digest.
func SRIFromHex(hexDigest string) (string, error) {
	if what, _ := sha256Problem(hexDigest); what != "" {
		return "", errors.New(what)
	}
	d, err := hex.DecodeString(hexDigest)
	if err != nil { // unreachable after sha256Problem
		return "", err
	}
	return sriPrefix + base64.StdEncoding.EncodeToString(d), nil
}

// HexFromSRI converts a "sha256-<base64>" Subresource Integrity value to
// the digest as 64 lower-case hex digits.
func HexFromSRI(sri string) (string, error) {
	d, err := digestFromSRI(sri)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(d), nil
}

// digestFromSRI decodes a "sha256-<base64>" value to the 32-byte digest. It
// accepts only the canonical base64 encoding, so that each digest has
// exactly one integrity value.
func digestFromSRI(sri string) ([]byte, error) {
	b64, ok := strings.CutPrefix(sri, sriPrefix)
	if !ok {
		return nil, fmt.Errorf("integrity %s does not start with %q", quote(sri), sriPrefix)
	}
	d, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("integrity %s: %v", quote(sri), err)
	}
	if len(d) != 32 {
		return nil, fmt.Errorf("integrity %s holds %d bytes, want 32", quote(sri), len(d))
	}
	if base64.StdEncoding.EncodeToString(d) != b64 { // the decoder skips newlines
		return nil, fmt.Errorf("integrity %s is not canonical base64", quote(sri))
	}
	return d, nil
}

// Digest returns the entry's 32-byte SHA-256 digest, taken from SHA256 or
// Integrity. It fails if neither is set, if one is malformed, or if both
// are set and disagree; entries returned by Parse always succeed.
func (e Entry) Digest() ([]byte, error) {
	var fromHex, fromSRI []byte
	if e.SHA256 != "" {
		if what, _ := sha256Problem(e.SHA256); what != "" {
			return nil, fmt.Errorf("entry %s: %s", quote(e.Name), what)
		}
		fromHex, _ = hex.DecodeString(e.SHA256)
	}
	if e.Integrity != "" {
		d, err := digestFromSRI(e.Integrity)
		if err != nil {
			return nil, fmt.Errorf("entry %s: %v", quote(e.Name), err)
		}
		fromSRI = d
	}
	switch {
	case fromHex == nil && fromSRI == nil:
		return nil, fmt.Errorf("entry %s: missing hash", quote(e.Name))
	case fromHex == nil:
		return fromSRI, nil
	case fromSRI != nil && string(fromHex) != string(fromSRI):
		return nil, fmt.Errorf("entry %s: sha256 and integrity decode to different digests", quote(e.Name))
	}
	return fromHex, nil
}

// HexSHA256 returns the entry's digest as 64 lower-case hex digits, or ""
// if [Entry.Digest] fails.
func (e Entry) HexSHA256() string {
	d, err := e.Digest()
	if err != nil {
		return ""
	}
	return hex.EncodeToString(d)
}

// SRI returns the entry's digest in Subresource Integrity form,
// "sha256-<base64>", or "" if [Entry.Digest] fails.
func (e Entry) SRI() string {
	d, err := e.Digest()
	if err != nil {
		return ""
	}
	return sriPrefix + base64.StdEncoding.EncodeToString(d)
}

// isLowerHex reports whether s is n lower-case hex digits.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// isHexDigit reports whether r is a hex digit of either case.
func isHexDigit(r rune) bool {
	return '0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F'
}
