package ststest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strings"
)

// arn is a parsed ARN.
type arn struct {
	partition, service, region, account, resource string
}

func parseARN(s string) (arn, error) {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[1] == "" || p[2] == "" || p[5] == "" {
		return arn{}, fmt.Errorf("%q is not an ARN", s)
	}
	return arn{partition: p[1], service: p[2], region: p[3], account: p[4], resource: p[5]}, nil
}

// roleARN is a parsed arn:<partition>:iam::<account>:role/<path/>name.
type roleARN struct {
	arn
	name string
}

func parseRoleARN(s string) (roleARN, error) {
	a, err := parseIAMARN(s, "role/")
	if err != nil {
		return roleARN{}, err
	}
	return roleARN{arn: a, name: a.resource[strings.LastIndex(a.resource, "/")+1:]}, nil
}

func parseUserARN(s string) (arn, error) {
	return parseIAMARN(s, "user/")
}

func parseIAMARN(s, kind string) (arn, error) {
	a, err := parseARN(s)
	if err != nil {
		return arn{}, err
	}
	name, ok := strings.CutPrefix(a.resource, kind)
	switch {
	case a.service != "iam" || a.region != "":
		return arn{}, fmt.Errorf("%q is not an IAM ARN", s)
	case !isAccountID(a.account):
		return arn{}, fmt.Errorf("%q has no 12-digit account ID", s)
	case !ok || strings.HasSuffix(name, "/") || name == "":
		return arn{}, fmt.Errorf("%q is not an IAM %s ARN", s, strings.TrimSuffix(kind, "/"))
	}
	return a, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// stableID derives the 17-character unique-ID suffix IAM gives a user
// (AIDA...) or role (AROA...) from its ARN, so that the same role always has
// the same ID within and across runs.
func stableID(arn string) string {
	sum := sha256.Sum256([]byte(arn))
	return base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// newAccessKeyID returns ASIA followed by 16 random uppercase alphanumerics,
// the shape of every temporary access key ID.
func newAccessKeyID() string {
	return "ASIA" + rand.Text()[:16]
}

// secretAlphabet is base64's plus '=': real secrets use only the base64
// characters, but '=' is added because code that splits KEY=VALUE lines or
// builds INI files tends to break on it.
const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

// newSecretAccessKey returns 40 random characters that always include each
// of '/', '+' and '=' at random positions, so that every test using an issued
// secret exercises the escaping of those characters.
func newSecretAccessKey() string {
	b := make([]byte, 40)
	idx := make([]byte, 40)
	_, _ = rand.Read(idx) // never fails, see crypto/rand.Read
	for i := range b {
		b[i] = secretAlphabet[int(idx[i])%len(secretAlphabet)]
	}
	// Place the three special characters at distinct positions picked by a
	// partial Fisher-Yates shuffle.
	pos := make([]int, len(b))
	for i := range pos {
		pos[i] = i
	}
	r := make([]byte, 3)
	_, _ = rand.Read(r)
	for i, c := range []byte("/+=") {
		j := i + int(r[i])%(len(pos)-i)
		pos[i], pos[j] = pos[j], pos[i]
		b[pos[i]] = c
	}
	return string(b)
}

// newSessionToken returns a 416-character token shaped like STS's: base64
// that begins like the tokens STS issues today.
func newSessionToken() string {
	b := make([]byte, 300)
	_, _ = rand.Read(b)
	return "IQoJb3JpZ2luX2Vj" + base64.StdEncoding.EncodeToString(b)
}

// newRequestID returns a random UUID, the shape of x-amzn-RequestId.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
