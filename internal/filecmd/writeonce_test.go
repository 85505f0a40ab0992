package filecmd

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// callWriter records every Write call and writes at most limit bytes of each.
type callWriter struct {
	calls [][]byte
	limit int
}

func (w *callWriter) Write(p []byte) (int, error) {
	w.calls = append(w.calls, bytes.Clone(p))
	return min(len(p), w.limit), nil
}

func TestWriteOnce(t *testing.T) {
	t.Parallel()
	data, err := Format(Env, []Entry{{"A", "1\n2"}, {"B", "3"}}, bytes.NewReader(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	w := &callWriter{limit: len(data)}
	if err := writeOnce(w, data); err != nil {
		t.Fatal(err)
	}
	if len(w.calls) != 1 || !bytes.Equal(w.calls[0], data) {
		t.Errorf("writeOnce made calls %q, want one call with %q", w.calls, data)
	}
}

func TestWriteOnceShort(t *testing.T) {
	t.Parallel()
	w := &callWriter{limit: 3}
	if err := writeOnce(w, []byte("A=12345\n")); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("writeOnce = %v, want io.ErrShortWrite", err)
	}
	if len(w.calls) != 1 {
		t.Errorf("writeOnce made %d calls, want 1 (no retry of the rest)", len(w.calls))
	}
}
