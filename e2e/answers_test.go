package e2e

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// rewriter is a man in the middle between the action and the emulator (a
// proxy, a compromised endpoint, a bug in STS): edit may change each answer,
// given the request's Action and the answer's status and body.
func rewriter(t *testing.T, emulator string, edit func(action string, status int, body []byte) (int, []byte)) string {
	t.Helper()
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqBody, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(reqBody))
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, emulator+r.URL.RequestURI(), bytes.NewReader(reqBody))
		req.Header = r.Header.Clone()
		req.Host = r.Host // signed by SigV4
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		mu.Lock()
		status, body := edit(form.Get("Action"), resp.StatusCode, body)
		mu.Unlock()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// commandsOutside are the workflow commands of r the action never issues.
func commandsOutside(r *runnertest.Result) []runnertest.Command {
	issued := map[string]bool{"add-mask": true, "debug": true, "error": true, "warning": true, "group": true, "endgroup": true}
	var out []runnertest.Command
	for _, c := range r.Commands {
		if !issued[c.Name] || c.Legacy {
			out = append(out, c)
		}
	}
	return out
}

// TestARNInTheAnswerIsChecked: the AssumedRoleUser ARN of an answer is
// printed, exported as an output and put in the summary. One that carries
// a CR or a U+00A0 before "::" would be a workflow command in the runner's
// eyes (the review saved state through it and made the post stage delete a
// file), so such an answer is malformed and nothing is exported.
func TestARNInTheAnswerIsChecked(t *testing.T) {
	t.Parallel()
	_, emu := world(t)
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	inject := "&#13;::save-state name=files::" + victim + "&#13;&#10;&#160;::set-output name=injected::yes"
	proxy := rewriter(t, emu, func(action string, status int, body []byte) (int, []byte) {
		if action == "AssumeRole" && status == 200 {
			body = bytes.Replace(body, []byte("/GitHubActions</Arn>"), []byte("/GitHubActions"+inject+"</Arn>"), 1)
		}
		return status, body
	})
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(proxy, "role-to-assume", ststest.DemoRole.ARN)})
	if r.ExitCode != 4 {
		t.Errorf("exit %d, want 4 (STS answered something unusable)\n%s", r.ExitCode, r.Stdout)
	}
	if errs := strings.Join(r.Errors(), ""); !strings.Contains(errs, "malformed response") {
		t.Errorf("error %q does not say the answer was malformed", errs)
	}
	if c := commandsOutside(r); len(c) != 0 {
		t.Errorf("the runner would run %+v", c)
	}
	if r.EnvFile != "" || r.OutputFile != "" || r.StateFile != "" || r.Summary != "" {
		t.Errorf("a failed step wrote env %q, outputs %q, state %q, summary %q", r.EnvFile, r.OutputFile, r.StateFile, r.Summary)
	}
}

// TestSTSErrorMessageCannotIssueCommands: STS's message of a retried error
// is printed on the retry line; a CR in it must not start a command.
func TestSTSErrorMessageCannotIssueCommands(t *testing.T) {
	t.Parallel()
	e, emu := world(t)
	first := true
	proxy := rewriter(t, emu, func(action string, status int, body []byte) (int, []byte) {
		if first {
			first = false
			return 500, []byte(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Receiver</Type>` +
				`<Code>InternalFailure</Code><Message>busy&#13;::notice title=injected::from STS&#13;&#10;&#12288;::set-output name=x::y</Message></Error>` +
				`<RequestId>r</RequestId></ErrorResponse>`)
		}
		return status, body
	})
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(proxy, "role-to-assume", ststest.DemoRole.ARN)})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	if !strings.Contains(r.Stdout, "retrying") {
		t.Errorf("no retry line:\n%s", r.Stdout)
	}
	if c := commandsOutside(r); len(c) != 0 {
		t.Errorf("the runner would run %+v", c)
	}
	// The rewriter threw away the emulator's first session.
	if s := lastIssued(t, e); r.Env["AWS_SECRET_ACCESS_KEY"] != s.SecretAccessKey || len(r.Outputs) != 2 {
		t.Errorf("exported env %v, outputs %v", r.Env, r.Outputs)
	}
}
