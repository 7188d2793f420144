package errtext

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// QuoteLimit is the most bytes [Quote] writes for a value, quotes and
// ellipsis included, before the length it adds to a truncated value.
const QuoteLimit = 200

// MaxItems is the number of items of a list that messages show, the rest
// being counted by [List].
const MaxItems = 20

// MaxLines is the most lines a tool prints for one error, after
// [CapLines].
const MaxLines = 50

// Quote returns s quoted as strconv.Quote does, truncated to QuoteLimit
// bytes with "…" if it is longer, followed by its length in bytes:
//
//	"https://aaaaaaaa…" (100000 bytes)
//
// so that a value of any size gives a message of a few lines. A value that
// fits is returned as strconv.Quote returns it.
func Quote(s string) string {
	if len(s) <= QuoteLimit/4-2 { // even \xNN escapes fit
		return strconv.Quote(s)
	}
	n := 2 + len("…") // the quotes and the ellipsis
	end := 0
	for end < len(s) {
		_, size := utf8.DecodeRuneInString(s[end:])
		w := len(strconv.Quote(s[end:end+size])) - 2
		if n+w > QuoteLimit {
			break
		}
		n += w
		end += size
	}
	if end == len(s) || len(strconv.Quote(s)) <= QuoteLimit {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:end]+"…") + fmt.Sprintf(" (%d bytes)", len(s))
}

// List returns items if there are at most max of them, else the first max
// followed by "… and N more" (N with thousands separators), so that a
// message listing problems stays short however many there are. max < 1
// means MaxItems.
func List(items []string, max int) []string {
	if max < 1 {
		max = MaxItems
	}
	if len(items) <= max {
		return items
	}
	out := append([]string(nil), items[:max]...)
	return append(out, fmt.Sprintf("… and %s more", Count(len(items)-max)))
}

// Lines is List joined with newlines.
func Lines(items []string, max int) string {
	return strings.Join(List(items, max), "\n")
}

// CapLines returns msg with at most max lines (max < 1 means MaxItems),
// the rest counted as List counts them.
func CapLines(msg string, max int) string {
	if max < 1 {
		max = MaxItems
	}
	if strings.Count(msg, "\n") < max {
		return msg
	}
	lines := strings.Split(msg, "\n")
	if len(lines) <= max {
		return msg
	}
	out := List(lines[:max], max)
	return strings.Join(out, "\n") + fmt.Sprintf("\n… and %s more lines", Count(len(lines)-max))
}

// Count writes n in decimal with "," between groups of three digits:
// 19990 -> "19,990".
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Cut returns s as it is if it is at most QuoteLimit bytes long, else its
// first bytes (whole runes), "…" and its length, as [Quote] does but
// without quotes: for values that messages show unquoted, such as paths.
func Cut(s string) string {
	if len(s) <= QuoteLimit {
		return s
	}
	end := 0
	for end < len(s) {
		_, size := utf8.DecodeRuneInString(s[end:])
		if end+size > QuoteLimit-len("…") {
			break
		}
		end += size
	}
	return s[:end] + "…" + fmt.Sprintf(" (%d bytes)", len(s))
}
