package stsclient

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Kind says what a failed STS call means for the user.
type Kind int

const (
	// Refused: STS answered and said no (access denied, bad token, invalid
	// parameter). Retrying cannot help; the fix is in IAM or the inputs.
	Refused Kind = iota + 1
	// Unavailable: STS could not be reached or kept failing (network errors,
	// 5xx, throttling) after every allowed attempt.
	Unavailable
	// TimedOut: the step's deadline passed (action-timeout-s) or it was cancelled.
	TimedOut
	// Malformed: STS answered with something that is not a usable response.
	Malformed
)

func (k Kind) String() string {
	switch k {
	case Refused:
		return "refused"
	case Unavailable:
		return "unavailable"
	case TimedOut:
		return "timed out"
	case Malformed:
		return "malformed response"
	}
	return "unknown"
}

// Error is a classified STS failure.
type Error struct {
	Op        string // AssumeRole, GetCallerIdentity, ...
	Kind      Kind
	Code      string // STS error code, such as AccessDenied; empty for network errors
	Message   string // STS's message, or a description of the failure
	Status    int    // HTTP status, 0 when there was no response
	RequestID string
	Err       error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("sts:%s %s", e.Op, e.Kind)
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d", e.Status)
		if e.RequestID != "" {
			msg += ", request " + e.RequestID
		}
		msg += ")"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// classify turns an SDK error into an *Error. Only the caller's context
// says whether a timeout was the step's deadline or one slow attempt.
func classify(ctx context.Context, op string, err error) error {
	e := &Error{Op: op, Err: err}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		e.Status = re.HTTPStatusCode()
		e.RequestID = re.ServiceRequestID()
	}
	var api smithy.APIError
	var netErr net.Error
	var deser *smithy.DeserializationError
	switch {
	case ctx.Err() != nil:
		e.Kind = TimedOut
		e.Message = "no answer before the step's deadline"
	case errors.As(err, &api):
		e.Code, e.Message = api.ErrorCode(), api.ErrorMessage()
		switch {
		case e.Status >= 500, isThrottle(e.Code), e.Code == "IDPCommunicationError":
			// STS could not reach the token's issuer: an outage on the
			// way, which the SDK retries, not a refusal.
			e.Kind = Unavailable
		default:
			e.Kind = Refused
		}
	case e.Status >= 500 || e.Status == http.StatusTooManyRequests:
		// Not an API error, yet a 5xx: a load balancer's or proxy's page
		// in front of a failing STS. That is an outage, not a stranger
		// answering, and the SDK retries it as one.
		e.Kind = Unavailable
		e.Message = "the answer is not an STS error document (a load balancer or proxy in front of STS sent it)"
	case errors.As(err, &netErr) && netErr.Timeout():
		// Before the malformed case: a 200 whose body stalled until the
		// attempt's deadline is slowness, not a stranger answering.
		e.Kind = Unavailable
		e.Message = fmt.Sprintf("no answer within %s", AttemptTimeout)
	case errors.As(err, &deser), errors.As(err, new(*xml.SyntaxError)), e.Status == 200:
		// The SDK surfaces a broken 200 body as the XML decoder's error
		// inside the response error, not as a DeserializationError.
		e.Kind = Malformed
		e.Message = "the response could not be read"
	case errors.As(err, &netErr):
		e.Kind = Unavailable
		e.Message = netErr.Error()
	default:
		e.Kind = Unavailable
		e.Message = err.Error()
	}
	return e
}

func isThrottle(code string) bool {
	switch code {
	case "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled":
		return true
	}
	return false
}
