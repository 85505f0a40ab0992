// Package idtoken gets the web identity token that AssumeRoleWithWebIdentity
// trades for a session: from GitHub's OIDC endpoint (the runner gives the
// job ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN when it has permission
// id-token: write), or from a file (Kubernetes projected service-account
// tokens, GitLab or CircleCI tokens written to disk).
//
// Tokens are bearer secrets: callers must mask them before anything else is
// printed. Nothing in this package prints or logs.
package idtoken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxTokenBytes bounds what is read of a token response or file: real
// tokens are a few kilobytes.
const maxTokenBytes = 64 << 10

// Fetcher requests ID tokens from the GitHub Actions OIDC endpoint.
type Fetcher struct {
	// RequestURL and RequestToken are ACTIONS_ID_TOKEN_REQUEST_URL and
	// ACTIONS_ID_TOKEN_REQUEST_TOKEN.
	RequestURL   string
	RequestToken string
	// Client sends the requests; nil means http.DefaultClient's transport.
	Client *http.Client
	// AttemptTimeout bounds each try, from the request to the last byte of
	// the answer; 0 means 10 s. It holds whatever Client's own timeouts are,
	// so that an endpoint that stalls mid-body is retried, not waited on.
	AttemptTimeout time.Duration
	// MaxAttempts is the total number of tries; 0 means 5.
	MaxAttempts int
	// BaseDelay is the first retry's mean wait, doubled each retry with
	// full jitter; 0 means 200 ms.
	BaseDelay time.Duration
	// OnRetry, when set, is told about each retry.
	OnRetry func(attempt int, wait time.Duration, err error)
}

// FetchError is a failed token request. It never holds the request token or
// a token.
type FetchError struct {
	Status int    // HTTP status; 0 when no response came
	Body   string // the start of an error response body, for diagnosis
	// Malformed is set when a 200 response held no usable token: a broken
	// proxy or endpoint, which another try would not mend.
	Malformed bool
	Err       error

	// stalled is set when the attempt ran out of its own time.
	stalled bool
}

// maxStalls is how many attempts may run out of time before Fetch gives
// up: GitHub's token service answers in milliseconds, so an endpoint that
// stalls twice is stuck, and waiting out every attempt would only delay
// the step's failure (five attempts of 10 s).
const maxStalls = 2

func (e *FetchError) Error() string {
	switch {
	case e.Malformed:
		return fmt.Sprintf("the ID token response is unusable: %v", e.Err)
	case e.Status != 0 && e.Body != "":
		return fmt.Sprintf("the ID token request got HTTP %d: %s", e.Status, e.Body)
	case e.Status != 0:
		return fmt.Sprintf("the ID token request got HTTP %d", e.Status)
	}
	return fmt.Sprintf("the ID token request failed: %v", e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// retryable reports whether another try may succeed: no answer, 5xx, 429.
func (e *FetchError) retryable() bool {
	if e.Malformed {
		return false
	}
	return e.Status == 0 || e.Status >= 500 || e.Status == http.StatusTooManyRequests
}

// Fetch returns a token for audience. It retries network errors, 5xx and
// 429 with jittered exponential backoff; 4xx (no permission, bad request
// token) fail at once.
func (f *Fetcher) Fetch(ctx context.Context, audience string) (string, error) {
	if f.RequestURL == "" || f.RequestToken == "" {
		return "", errors.New("ACTIONS_ID_TOKEN_REQUEST_URL or ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set")
	}
	u, err := url.Parse(f.RequestURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("ACTIONS_ID_TOKEN_REQUEST_URL is not an http(s) URL")
	}
	// The URL already carries a query (api-version and more): add to it
	// rather than append a second '?'.
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()

	attempts := f.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	base := f.BaseDelay
	if base <= 0 {
		base = 200 * time.Millisecond
	}
	client := f.Client
	if client == nil {
		client = &http.Client{}
	}
	var last *FetchError
	stalls := 0
	for attempt := 1; ; attempt++ {
		token, ferr := f.once(ctx, client, u.String())
		if ferr == nil {
			return token, nil
		}
		last = ferr
		if ferr.stalled {
			stalls++
		}
		if !ferr.retryable() || attempt >= attempts || stalls >= maxStalls || ctx.Err() != nil {
			return "", last
		}
		wait := time.Duration(rand.Int64N(int64(base) << (attempt - 1)))
		if f.OnRetry != nil {
			f.OnRetry(attempt, wait, ferr)
		}
		select {
		case <-ctx.Done():
			return "", &FetchError{Err: ctx.Err()}
		case <-time.After(wait):
		}
	}
}

func (f *Fetcher) once(ctx context.Context, client *http.Client, u string) (string, *FetchError) {
	timeout := f.AttemptTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	attempt, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	failed := func(err error) *FetchError {
		if attempt.Err() != nil && ctx.Err() == nil {
			return &FetchError{Err: fmt.Errorf("no whole answer within %s: %w", timeout, err), stalled: true}
		}
		return &FetchError{Err: err}
	}
	req, err := http.NewRequestWithContext(attempt, http.MethodGet, u, nil)
	if err != nil {
		return "", &FetchError{Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+f.RequestToken)
	req.Header.Set("Accept", "application/json; api-version=2.0")
	resp, err := client.Do(req)
	if err != nil {
		return "", failed(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBytes))
	if err != nil {
		return "", failed(err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", &FetchError{Status: resp.StatusCode, Body: snippet(body)}
	}
	var out struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		// The body of a 200 may be a token in a broken envelope: never show it.
		return "", &FetchError{Malformed: true, Err: errors.New("it is not the JSON object {\"value\": ...} GitHub sends")}
	}
	if !looksLikeJWT(out.Value) {
		return "", &FetchError{Malformed: true, Err: errors.New("it holds no JWT")}
	}
	return out.Value, nil
}

// snippet keeps the start of an error body on one line; error bodies of the
// token service hold messages, not tokens.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func looksLikeJWT(s string) bool {
	parts := strings.Split(s, ".")
	return len(parts) == 3 && parts[0] != "" && parts[1] != ""
}
