// Command sts-emulator serves the ststest STS emulator, seeded with its demo
// world, until it receives SIGINT or SIGTERM. It is for demos and for CI jobs
// that run the action against a fake AWS.
//
// On start it prints one JSON line to stdout with the endpoint URL and the
// demo credentials, so that a script can read it with jq:
//
//	{"url":"http://127.0.0.1:41234","region":"us-east-1","access_key_id":"AKIA...",
//	 "secret_access_key":"...","role_arn":"arn:aws:iam::222222222222:role/deploy",...}
//
// With -oidc it also plays GitHub's OIDC token endpoint, under /oidc/ on
// the same address, and adds to the line what a runner gives a job with
// permission id-token: write, and the role such a job may assume:
//
//	..."id_token_request_url":"http://127.0.0.1:41234/oidc/.../idtoken?api-version=2.0",
//	 "id_token_request_token":"...","oidc_role_arn":"arn:aws:iam::222222222222:role/github-deploy"}
//
// The printed keys are fake and only valid against this process.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/assume-role/assume-role/internal/ststest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sts-emulator:", err)
		os.Exit(1)
	}
}

// banner is the start-up line. Field order is the output order.
type banner struct {
	URL               string `json:"url"`
	Region            string `json:"region"`
	AccessKeyID       string `json:"access_key_id"`
	SecretAccessKey   string `json:"secret_access_key"`
	UserARN           string `json:"user_arn"`
	RoleARN           string `json:"role_arn"`
	ExternalIDRoleARN string `json:"external_id_role_arn"`
	ExternalID        string `json:"external_id"`
	// Set with -oidc only.
	IDTokenRequestURL   string `json:"id_token_request_url,omitempty"`
	IDTokenRequestToken string `json:"id_token_request_token,omitempty"`
	OIDCRoleARN         string `json:"oidc_role_arn,omitempty"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sts-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "`address` to listen on; port 0 picks a free one")
	latency := fs.Duration("latency", 0, "delay added before every answer")
	rateLimit := fs.Int("rate-limit", 0, "requests per second answered before Throttling (0 = unlimited)")
	lifetime := fs.Duration("session-lifetime", 0, "make every issued session expire this long after it is issued, whatever DurationSeconds says (0 = as asked)")
	verbose := fs.Bool("v", false, "log every request to stderr")
	oidc := fs.Bool("oidc", false, "also serve a GitHub OIDC token endpoint under /oidc/ whose tokens the demo OIDC role trusts")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	var opts []ststest.Option
	if *verbose {
		opts = append(opts, ststest.WithLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	emu := ststest.New(opts...)
	emu.SeedDemo()
	emu.SetLatency(*latency)
	emu.SetSessionLifetime(*lifetime)
	emu.SetRateLimit(*rateLimit)

	var handler http.Handler = emu
	var issuer *ststest.TokenIssuer
	if *oidc {
		issuer = ststest.NewTokenIssuer()
		emu.SeedDemoOIDC(issuer)
		mux := http.NewServeMux()
		mux.Handle("/", emu)
		mux.Handle(oidcPrefix+"/", issuer)
		handler = mux
	}

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	b := banner{
		URL:               "http://" + reachable(ln.Addr()),
		Region:            ststest.DemoRegion,
		AccessKeyID:       ststest.DemoUser.AccessKeyID,
		SecretAccessKey:   ststest.DemoUser.SecretAccessKey,
		UserARN:           ststest.DemoUser.ARN,
		RoleARN:           ststest.DemoRole.ARN,
		ExternalIDRoleARN: ststest.DemoExternalIDRole.ARN,
		ExternalID:        ststest.DemoExternalID,
	}
	if issuer != nil {
		b.IDTokenRequestURL = issuer.RequestURL(b.URL + oidcPrefix)
		b.IDTokenRequestToken = issuer.RequestToken()
		b.OIDCRoleARN = ststest.DemoOIDCRole.ARN
	}
	if err := json.NewEncoder(stdout).Encode(b); err != nil {
		_ = srv.Close()
		return fmt.Errorf("writing banner: %w", err)
	}

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	// Release hung requests first, or Shutdown would wait for them.
	emu.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// oidcPrefix is the path under which -oidc serves the token endpoint; STS
// requests go to /.
const oidcPrefix = "/oidc"

// reachable turns a wildcard listen address into one a client on the same
// host can dial.
func reachable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}
