// Package ststest is a protocol-level emulator of AWS STS for tests.
//
// The emulator is an [http.Handler] that speaks the STS Query protocol
// (form-encoded POST or GET query, Version=2011-06-15), verifies SigV4
// signatures with the SDK's own signer and answers with the XML documents,
// error codes and HTTP statuses that the real service uses. Because it works
// at the wire level, the same emulator serves the Go SDK, the AWS CLI and the
// built binary of the action, so every test exercises the real signing,
// serialisation and error classification code.
//
// A test typically seeds the ready-made demo world and points a client at the
// server URL:
//
//	emu, url := ststest.NewTestServer(t)
//	emu.SeedDemo()
//	// sign requests with ststest.DemoUser's keys, endpoint url, region us-east-1,
//	// and assume ststest.DemoRole.ARN.
//
// Faults (throttling, 5xx, connection resets, hangs, malformed XML, clock skew,
// expired tokens), latency and a global rate limit can be injected to test
// retry and error handling. Every request is recorded and can be inspected
// with [Emulator.Calls].
//
// For keyless flows, [TokenIssuer] plays GitHub's OIDC token endpoint
// (ACTIONS_ID_TOKEN_REQUEST_URL) and signs RS256 ID tokens with GitHub's
// claims; [Emulator.AddOIDCProvider] makes an account trust its tokens and
// AssumeRoleWithWebIdentity checks them (signature, issuer, audience, expiry)
// and the role's [WebIdentityTrust] conditions, or its trust policy document
// (Role.TrustPolicy, evaluated with IAM's semantics):
//
//	issuer, reqURL, reqToken := ststest.NewTokenServer(t)
//	emu.SeedDemoOIDC(issuer)
//	// give the action ACTIONS_ID_TOKEN_REQUEST_URL=reqURL and _TOKEN=reqToken,
//	// and assume ststest.DemoOIDCRole.ARN.
//
// AssumeRole, AssumeRoleWithWebIdentity and GetCallerIdentity are
// implemented. Identity-based policies, permission boundaries, MFA,
// session-tag propagation and tags or source identity carried in ID tokens
// are not modelled: a caller may assume a role whenever the role's trust
// names it, and may tag the session when the role allows sts:TagSession.
package ststest
