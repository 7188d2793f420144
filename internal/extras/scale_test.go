package extras

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// refPos is the definition of a Position: the 1-based line of off, and
// 1 + the number of runes between the start of that line and off.
func refPos(data []byte, off int) Position {
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return Position{Line: bytes.Count(data[:off], []byte("\n")) + 1, Col: utf8.RuneCount(data[start:off]) + 1}
}

// TestPositions checks positions against refPos at every rune boundary, in
// increasing, decreasing and random order (the cursor and the marks).
func TestPositions(t *testing.T) {
	inputs := []string{
		"",
		"\n",
		"{}",
		"{\n  \"a\": 1\n}\n",
		"\t\"é\"\r\n\"日本語\"\n\n\n" + strings.Repeat("x", 200) + "\n" + strings.Repeat("ü", 100) + "\"🙂\"",
		strings.Repeat("a\u00e9\u65e5\U0001F642\n", 50),
		strings.Repeat("y", 1000),
	}
	for _, in := range inputs {
		data := []byte(in)
		var offs []int
		for off := range in {
			offs = append(offs, off)
		}
		offs = append(offs, len(in))
		orders := map[string][]int{"forward": offs}
		var rev []int
		for i := len(offs) - 1; i >= 0; i-- {
			rev = append(rev, offs[i])
		}
		orders["backward"] = rev
		shuffled := append([]int(nil), offs...)
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		orders["random"] = shuffled
		for order, offs := range orders {
			p := positions{data: data}
			for _, off := range offs {
				if got, want := p.at(off), refPos(data, off); got != want {
					t.Fatalf("%s order, %q at %d: got %v, want %v", order, in, off, got, want)
				}
			}
		}
	}
	// Offsets out of range are clamped.
	p := positions{data: []byte("ab\ncd")}
	if got := p.at(100); got != (Position{2, 3}) {
		t.Errorf("at(100) = %v, want 2:3", got)
	}
	if got := p.at(-1); got != (Position{1, 1}) {
		t.Errorf("at(-1) = %v, want 1:1", got)
	}
}

// manyEntries returns a file of n entries, in the canonical (indented)
// encoding or on one line, as jq -c writes it; with bad, every entry lacks
// its hash and has a bad URL, so that Parse reports two errors per entry
// after reading the entry (positions behind the cursor).
func manyEntries(n int, oneLine, bad bool) []byte {
	var b bytes.Buffer
	nl, ind := "\n", "  "
	if oneLine {
		nl, ind = "", ""
	}
	b.WriteString("{" + nl)
	for i := range n {
		if i > 0 {
			b.WriteString("," + nl)
		}
		if bad {
			fmt.Fprintf(&b, `%s"r%06d": {"urls": ["https://a.example/%d", "ftp://a.example/%d"]}`, ind, i, i, i)
			continue
		}
		fmt.Fprintf(&b, `%s"r%06d": {%s%s%s"urls": ["https://a.example/%d.tar.gz"],%s%s%s"sha256": "%s"%s%s}`,
			ind, i, nl, ind, ind, i, nl, ind, ind, testHex, nl, ind)
	}
	b.WriteString(nl + "}" + nl)
	if oneLine {
		return bytes.ReplaceAll(b.Bytes(), []byte(": "), []byte(":"))
	}
	return b.Bytes()
}

// TestParseLinearPositions checks that computing positions costs time
// linear in the size of the file, whatever its layout: a file on one line
// (jq -c) used to cost the distance from the start of the line for every
// entry, quadratic in the number of entries. It counts the bytes examined
// to compute positions instead of timing anything.
func TestParseLinearPositions(t *testing.T) {
	const n = 5000
	for _, tc := range []struct {
		name         string
		oneLine, bad bool
		// slack is the allowed cost beyond reading the file once: one mark
		// interval per error reported behind the cursor.
		slack int
	}{
		{"indented", false, false, 0},
		{"one line", true, false, 0},
		{"indented with errors", false, true, 3 * n * markEvery},
		{"one line with errors", true, true, 3 * n * markEvery},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := manyEntries(n, tc.oneLine, tc.bad)
			p := &parser{ctx: context.Background(), file: "x.json", data: data, posns: positions{data: data}}
			f := p.parse()
			switch {
			case tc.bad && len(p.errs) != 2*n:
				t.Fatalf("got %d errors, want %d", len(p.errs), 2*n)
			case !tc.bad && (len(p.errs) != 0 || len(f.Entries) != n):
				t.Fatalf("got %d entries and errors %v, want %d entries", len(f.Entries), p.errs, n)
			}
			// The marks cost one more pass over the file.
			limit := len(data) + tc.slack
			if tc.bad {
				limit += len(data)
			}
			if got := p.posns.scanned; got > limit {
				t.Errorf("computing positions examined %d bytes of a %d-byte file, want at most %d (linear)", got, len(data), limit)
			}
		})
	}
}

// TestParseOneLineSamePositions checks that the one-line and indented
// layouts give the same entries, and positions that refPos agrees with.
func TestParseOneLineSamePositions(t *testing.T) {
	for _, oneLine := range []bool{false, true} {
		data := manyEntries(300, oneLine, false)
		f, err := Parse(context.Background(), "x.json", data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range f.Entries {
			off := bytes.Index(data, []byte(`"`+e.Name+`"`))
			if want := refPos(data, off); e.Pos != want {
				t.Fatalf("oneLine=%v: entry %s at %v, want %v", oneLine, e.Name, e.Pos, want)
			}
		}
		d := manyEntries(300, oneLine, true)
		_, err = Parse(context.Background(), "x.json", d, Options{})
		list, _ := err.(ErrorList)
		if len(list) != 600 {
			t.Fatalf("oneLine=%v: got %d errors, want 600", oneLine, len(list))
		}
		for _, e := range list {
			off := bytes.Index(d, []byte(`"`+e.Entry+`"`))
			if strings.HasPrefix(e.Msg, "missing hash") {
				if want := refPos(d, off); e.Pos != want {
					t.Fatalf("oneLine=%v: %v at %v, want %v", oneLine, e, e.Pos, want)
				}
			}
		}
	}
}

// doneAfter is a context whose Err is nil for its first n calls and
// context.Canceled after them; it counts the calls.
type doneAfter struct {
	context.Context
	n, calls int
}

func (c *doneAfter) Err() error {
	c.calls++
	if c.calls > c.n {
		return context.Canceled
	}
	return nil
}

// TestParseCanceled checks that Parse stops soon after its context is
// done: before reading the file if it is done already, else within
// cancelEvery tokens of the check that sees it, with an error that is
// context.Canceled and not an ErrorList.
func TestParseCanceled(t *testing.T) {
	data := manyEntries(2000, true, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f, err := Parse(ctx, "x.json", data, Options{})
	var list ErrorList
	if f != nil || !errors.Is(err, context.Canceled) || errors.As(err, &list) || !strings.Contains(err.Error(), "x.json") {
		t.Errorf("Parse with a done context = %v, %v; want nil and context.Canceled naming the file", f, err)
	}
	// It checks in the UTF-8 check, then every cancelEvery tokens.
	for _, n := range []int{0, 1, 5, 20} {
		ctx := &doneAfter{Context: context.Background(), n: n}
		p := &parser{ctx: ctx, file: "x.json", data: data, posns: positions{data: data}}
		if f := p.parse(); f != nil || !p.canceled || ctx.calls != n+1 {
			t.Errorf("done after %d checks: file %v, canceled %v, %d checks; want nil, true, %d", n, f != nil, p.canceled, ctx.calls, n+1)
		}
		// One check in the UTF-8 check (the file is one chunk of it), then
		// one every cancelEvery tokens.
		if want := n * cancelEvery; p.tokens != want {
			t.Errorf("done after %d checks: read %d tokens, want %d", n, p.tokens, want)
		}
	}
	// A context that is never done changes nothing: Parse checks it once
	// at the start, once in the UTF-8 check, then every cancelEvery tokens.
	live := &doneAfter{Context: context.Background(), n: 1 << 30}
	f, err = Parse(live, "x.json", data, Options{})
	if err != nil || len(f.Entries) != 2000 {
		t.Fatalf("Parse with a live context: %v", err)
	}
	if want := 2 + countTokens(data)/cancelEvery; live.calls != want {
		t.Errorf("Parse with a live context checked it %d times, want %d", live.calls, want)
	}
}

// countTokens counts the JSON tokens of data.
func countTokens(data []byte) int {
	dec := json.NewDecoder(bytes.NewReader(data))
	n := 0
	for {
		if _, err := dec.Token(); err != nil {
			return n
		}
		n++
	}
}

// TestUTF8Chunks checks the UTF-8 check at the boundaries of its chunks: a
// character across one is valid, and the first invalid byte is found
// wherever it is, with the same position as before.
func TestUTF8Chunks(t *testing.T) {
	const chunk = 1 << 20
	for _, shift := range []int{-3, -2, -1, 0, 1, 2} {
		// A string value that holds a 4-byte character at chunk+shift.
		pad := chunk + shift - len(`{"a": {"urls": ["https://a.example/a"], "sha256": "`+testHex+`", "strip_prefix": "`)
		in := `{"a": {"urls": ["https://a.example/a"], "sha256": "` + testHex + `", "strip_prefix": "` + strings.Repeat("x", pad) + "🙂\"}}"
		if _, err := Parse(context.Background(), "x.json", []byte(in), Options{}); err != nil {
			t.Errorf("shift %d: %v", shift, err)
		}
		for _, bad := range []string{"\xff", "\xf0\x9f\x99", "\x80\x80\x80\x80\x80"} {
			data := []byte(in[:len(in)-len("🙂\"}}")] + bad + "\"}}")
			_, err := Parse(context.Background(), "x.json", data, Options{})
			var list ErrorList
			off := chunk + shift
			want := refPos(data, off)
			if !errors.As(err, &list) || len(list) != 1 || list[0].Pos != want || !strings.Contains(list[0].Msg, "not valid UTF-8") {
				t.Errorf("shift %d, %q: %v, want one UTF-8 error at %v", shift, bad, err, want)
			}
		}
	}
}

// BenchmarkParseLayout parses 10,000 entries written on one line (jq -c)
// and indented (the canonical encoding). The two should cost about the
// same: positions are computed in one pass either way.
func BenchmarkParseLayout(b *testing.B) {
	for _, layout := range []string{"indented", "one_line"} {
		data := benchFile(10000)
		if layout == "one_line" {
			var buf bytes.Buffer
			if err := json.Compact(&buf, data); err != nil {
				b.Fatal(err)
			}
			data = buf.Bytes()
		}
		b.Run(layout, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(context.Background(), "bench.json", data, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
