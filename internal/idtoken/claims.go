package idtoken

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Claims are the JWT claims that AWS trust policies match on. They are not
// secret (the token is, as a whole, because its signature makes it usable),
// and showing them is how a user sees why a trust policy refused the job.
type Claims struct {
	Issuer         string   `json:"iss"`
	Audience       []string `json:"-"`
	Subject        string   `json:"sub"`
	Repository     string   `json:"repository"`
	Ref            string   `json:"ref"`
	Environment    string   `json:"environment"`
	JobWorkflowRef string   `json:"job_workflow_ref"`
	Expiry         int64    `json:"exp"`

	// RepositoryID and RepositoryOwnerID are the numeric IDs that the
	// immutable sub form (repo:OWNER@OWNER_ID/REPO@REPO_ID:…) carries.
	RepositoryID      string `json:"repository_id"`
	RepositoryOwnerID string `json:"repository_owner_id"`
}

// ParseClaims decodes the payload of a JWT without verifying it: STS
// verifies tokens, we only read what to show.
func ParseClaims(token string) (*Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, fmt.Errorf("decoding the JWT payload: %w", err)
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("decoding the JWT claims: %w", err)
	}
	// aud is a string or an array of strings (RFC 7519 §4.1.3).
	var raw struct {
		Aud json.RawMessage `json:"aud"`
	}
	_ = json.Unmarshal(payload, &raw)
	var one string
	if json.Unmarshal(raw.Aud, &one) == nil {
		c.Audience = []string{one}
	} else {
		_ = json.Unmarshal(raw.Aud, &c.Audience)
	}
	return &c, nil
}
