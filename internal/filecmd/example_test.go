package filecmd_test

import (
	"bytes"
	"fmt"

	"github.com/assume-role/assume-role/internal/filecmd"
)

func ExampleFormat() {
	// A fixed reader gives fixed delimiters; pass nil to use crypto/rand.
	rnd := bytes.NewReader(append(bytes.Repeat([]byte{0xaa}, 16), bytes.Repeat([]byte{0xbb}, 16)...))
	out, err := filecmd.Format(filecmd.Output, []filecmd.Entry{
		{Name: "aws-account-id", Value: "123456789012"},
		{Name: "note", Value: "two\nlines"},
	}, rnd)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// aws-account-id<<ghadelimiter_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
	// 123456789012
	// ghadelimiter_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
	// note<<ghadelimiter_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
	// two
	// lines
	// ghadelimiter_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
}

func ExampleFormat_refused() {
	_, err := filecmd.Format(filecmd.Env, []filecmd.Entry{
		{Name: "NODE_OPTIONS", Value: "--require=/tmp/evil.js"},
	}, nil)
	fmt.Println(err)
	_, err = filecmd.Format(filecmd.Env, []filecmd.Entry{
		{Name: "AWS_SECRET_ACCESS_KEY", Value: "not UTF-8: \xff"},
	}, nil)
	fmt.Println(err)
	// Output:
	// invalid GITHUB_ENV name "NODE_OPTIONS": the runner refuses it
	// invalid GITHUB_ENV entry "AWS_SECRET_ACCESS_KEY": value is not valid UTF-8
}

func ExampleParse() {
	// What the runner reads from a file: a simple line, then a heredoc whose
	// value keeps its blank last line.
	entries, err := filecmd.Parse([]byte("AWS_REGION=eu-west-1\nNOTE<<EOF\nfirst\n\nEOF\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range entries {
		fmt.Printf("%s=%q\n", e.Name, e.Value)
	}
	// Output:
	// AWS_REGION="eu-west-1"
	// NOTE="first\n"
}
