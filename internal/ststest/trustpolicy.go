package ststest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// This file evaluates a role's trust policy document (Role.TrustPolicy) for
// AssumeRoleWithWebIdentity, with IAM's semantics for what it models:
//
//   - An explicit Deny wins over any Allow; without a matching Allow the
//     answer is no.
//   - A statement matches when its Principal names the caller (Federated:
//     the provider ARN in the role's partition and account, or "*"), its
//     Action matches sts:AssumeRoleWithWebIdentity (case-insensitive, with
//     * and ? wildcards) and every condition holds.
//   - Conditions: every operator must hold, every key under an operator
//     must hold, and the values of one key are alternatives. Condition key
//     names are case-insensitive, values case-sensitive (except for the
//     IgnoreCase operators).
//   - A key missing from the request makes StringEquals, StringLike and
//     their IgnoreCase forms false, and the negated operators true;
//     ...IfExists makes any operator true for a missing key; Null tests
//     presence. ForAnyValue is false and ForAllValues true for a missing
//     key, which is why the latter must not guard an Allow.
//   - The request carries <provider>:aud (the audience the provider
//     accepted) and <provider>:sub, and for GitHub's issuer the claims STS
//     exposes since 2026: actor, actor_id, job_workflow_ref, repository,
//     repository_id, workflow, ref, environment and enterprise_id. Other
//     claims and the aws: global keys are absent.
//
// Anything the evaluator does not model (AWS or Service principals,
// NotPrincipal, NotAction, numeric, date, ARN or IP operators, policy
// variables) makes AddRole panic rather than be evaluated wrongly.

// githubClaimKeys are the GitHub token claims STS exposes as condition keys.
var githubClaimKeys = []string{"actor", "actor_id", "job_workflow_ref", "repository", "repository_id",
	"workflow", "ref", "environment", "enterprise_id"}

// trustDoc is a parsed trust policy.
type trustDoc struct {
	statements []trustStatement
}

type trustStatement struct {
	deny       bool
	anyone     bool     // Principal "*"
	federated  []string // Principal.Federated
	actions    []string // lower-case patterns
	conditions []condition
}

// condition is one operator applied to one key.
type condition struct {
	op       string // base operator, e.g. StringLike
	set      string // "", ForAnyValue or ForAllValues
	ifExists bool
	key      string // lower-case
	values   []string
}

var modelledOperators = []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase",
	"StringNotEqualsIgnoreCase", "StringLike", "StringNotLike", "Null"}

// parseTrustPolicy parses a trust policy document, refusing what the
// evaluator does not model.
func parseTrustPolicy(doc string) (*trustDoc, error) {
	var raw struct {
		Version   string
		Statement json.RawMessage
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a JSON policy: %v", err)
	}
	if raw.Version != "2012-10-17" {
		return nil, fmt.Errorf("version %q: only 2012-10-17 is modelled", raw.Version)
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw.Statement, &one); err != nil || one == nil {
			return nil, fmt.Errorf("the Statement is neither an object nor a list of objects")
		}
		stmts = []map[string]json.RawMessage{one}
	}
	d := &trustDoc{}
	for i, s := range stmts {
		st, err := parseStatement(s)
		if err != nil {
			return nil, fmt.Errorf("statement %d: %v", i+1, err)
		}
		d.statements = append(d.statements, st)
	}
	return d, nil
}

func parseStatement(s map[string]json.RawMessage) (trustStatement, error) {
	var st trustStatement
	for k := range s {
		switch k {
		case "Sid", "Effect", "Principal", "Action", "Condition":
		default:
			return st, fmt.Errorf("the %s element is not modelled", k)
		}
	}
	var effect string
	if err := json.Unmarshal(s["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
		return st, fmt.Errorf("the Effect must be Allow or Deny")
	}
	st.deny = effect == "Deny"

	var star string
	if json.Unmarshal(s["Principal"], &star) == nil {
		if star != "*" {
			return st, fmt.Errorf("the Principal %q: only \"*\" or an object is valid", star)
		}
		st.anyone = true
	} else {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(s["Principal"], &p); err != nil || len(p) == 0 {
			return st, fmt.Errorf("the Principal is missing or not an object")
		}
		for k, v := range p {
			list, err := stringList(v)
			if err != nil {
				return st, fmt.Errorf("the Principal.%s: %v", k, err)
			}
			if k != "Federated" {
				return st, fmt.Errorf("the principal type %s is not modelled: give AWS principals in Role.Trust", k)
			}
			st.federated = list
		}
	}

	actions, err := stringList(s["Action"])
	if err != nil || len(actions) == 0 {
		return st, fmt.Errorf("the Action is missing or not strings")
	}
	for _, a := range actions {
		st.actions = append(st.actions, strings.ToLower(a))
	}

	if s["Condition"] != nil {
		var ops map[string]map[string]json.RawMessage
		if err := json.Unmarshal(s["Condition"], &ops); err != nil {
			return st, fmt.Errorf("the Condition is not an object of operators: %v", err)
		}
		for opName, keys := range ops {
			c := condition{op: opName}
			if set, rest, ok := strings.Cut(c.op, ":"); ok {
				if set != "ForAnyValue" && set != "ForAllValues" {
					return st, fmt.Errorf("condition operator %s is not valid", opName)
				}
				c.set, c.op = set, rest
			}
			c.op, c.ifExists = strings.CutSuffix(c.op, "IfExists")
			if !slices.Contains(modelledOperators, c.op) || (c.op == "Null" && (c.ifExists || c.set != "")) {
				return st, fmt.Errorf("condition operator %s is not modelled (only %s, with IfExists or ForAnyValue:/ForAllValues:)",
					opName, strings.Join(modelledOperators, ", "))
			}
			for key, v := range keys {
				values, err := stringList(v)
				if err != nil {
					return st, fmt.Errorf("%s %s: %v", opName, key, err)
				}
				for _, val := range values {
					if strings.Contains(val, "${") {
						return st, fmt.Errorf("%s %s: policy variables are not modelled", opName, key)
					}
				}
				cc := c
				cc.key, cc.values = strings.ToLower(key), values
				st.conditions = append(st.conditions, cc)
			}
		}
	}
	return st, nil
}

// stringList reads a policy value: a string, or a list of them; numbers
// and booleans count as their text, as IAM compares them in String
// conditions.
func stringList(raw json.RawMessage) ([]string, error) {
	if raw == nil {
		return nil, fmt.Errorf("missing")
	}
	var one any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&one); err != nil {
		return nil, err
	}
	var items []any
	if l, ok := one.([]any); ok {
		items = l
	} else {
		items = []any{one}
	}
	var out []string
	for _, it := range items {
		s, ok := claimString(it)
		if !ok {
			return nil, fmt.Errorf("%v is not a string", it)
		}
		out = append(out, s)
	}
	return out, nil
}

// allowsWebIdentity evaluates the policy for a verified token: principal
// is the provider ARN of the role's partition and account.
func (d *trustDoc) allowsWebIdentity(principalARN string, tok *verifiedToken) bool {
	ctx := webIdentityContext(tok)
	allowed := false
	for _, st := range d.statements {
		if !st.matches(principalARN, "sts:assumerolewithwebidentity", ctx) {
			continue
		}
		if st.deny {
			return false
		}
		allowed = true
	}
	return allowed
}

func (st trustStatement) matches(principalARN, action string, ctx map[string]string) bool {
	if !st.anyone && !slices.Contains(st.federated, principalARN) {
		return false
	}
	if !slices.ContainsFunc(st.actions, func(p string) bool { return stringLike(p, action) }) {
		return false
	}
	for _, c := range st.conditions {
		if !c.holds(ctx) {
			return false
		}
	}
	return true
}

// webIdentityContext is the request context of AssumeRoleWithWebIdentity:
// condition key (lower-case) to value.
func webIdentityContext(tok *verifiedToken) map[string]string {
	ctx := map[string]string{tok.provider + ":aud": tok.audience}
	if sub, ok := tok.claims["sub"].(string); ok {
		ctx[tok.provider+":sub"] = sub
	}
	if strings.HasPrefix(tok.provider, "token.actions.githubusercontent.com") {
		for _, k := range githubClaimKeys {
			if v, ok := claimString(tok.claims[k]); ok {
				ctx[tok.provider+":"+k] = v
			}
		}
	}
	out := make(map[string]string, len(ctx))
	for k, v := range ctx {
		out[strings.ToLower(k)] = v
	}
	return out
}

func (c condition) holds(ctx map[string]string) bool {
	got, present := ctx[c.key]
	if c.op == "Null" {
		want := len(c.values) == 1 && c.values[0] == "true"
		return want == !present
	}
	if !present {
		switch {
		case c.ifExists:
			return true
		case c.set == "ForAllValues":
			return true
		case c.set == "ForAnyValue":
			return false
		}
		return strings.HasPrefix(c.op, "StringNot")
	}
	// The keys modelled are single-valued, so ForAnyValue and ForAllValues
	// reduce to the plain test of the one value.
	switch c.op {
	case "StringEquals":
		return slices.Contains(c.values, got)
	case "StringNotEquals":
		return !slices.Contains(c.values, got)
	case "StringEqualsIgnoreCase":
		return slices.ContainsFunc(c.values, func(v string) bool { return strings.EqualFold(v, got) })
	case "StringNotEqualsIgnoreCase":
		return !slices.ContainsFunc(c.values, func(v string) bool { return strings.EqualFold(v, got) })
	case "StringLike":
		return slices.ContainsFunc(c.values, func(v string) bool { return stringLike(v, got) })
	case "StringNotLike":
		return !slices.ContainsFunc(c.values, func(v string) bool { return stringLike(v, got) })
	}
	return false
}
