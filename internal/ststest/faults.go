package ststest

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// Fault is a failure the emulator can answer a request with instead of
// processing it. Faulted requests are recorded in [Emulator.Calls] like any
// other, with [Call.Fault] set.
type Fault int

// The faults, each reproducing what a client sees from real STS or the
// network in that situation.
const (
	// Throttle answers 400 Throttling "Rate exceeded".
	Throttle Fault = iota + 1
	// InternalError answers 500 InternalFailure.
	InternalError
	// Unavailable answers 503 ServiceUnavailable.
	Unavailable
	// Reset closes the TCP connection with a RST and no response.
	Reset
	// Hang never answers; the request ends when the client gives up or the
	// emulator is closed.
	Hang
	// MalformedXML answers 200 with a truncated XML document.
	MalformedXML
	// ClockSkew answers 403 SignatureDoesNotMatch "Signature expired: ...",
	// what STS says to a client whose clock is off by more than 5 minutes.
	ClockSkew
	// ExpiredToken answers 400 ExpiredToken, what STS says to a request
	// signed with an expired session.
	ExpiredToken
	// BadGateway answers 502 with an HTML page and no request ID, what a
	// load balancer or proxy in front of STS sends when STS is down.
	BadGateway
	// OtherService answers 200 with another service's document (S3's
	// ListAllMyBucketsResult), what an endpoint that is not STS sends:
	// moto routes an unsigned request to S3 and answers just that.
	OtherService
)

func (f Fault) String() string {
	switch f {
	case 0:
		return ""
	case Throttle:
		return "Throttle"
	case InternalError:
		return "InternalError"
	case Unavailable:
		return "Unavailable"
	case Reset:
		return "Reset"
	case Hang:
		return "Hang"
	case MalformedXML:
		return "MalformedXML"
	case ClockSkew:
		return "ClockSkew"
	case ExpiredToken:
		return "ExpiredToken"
	case BadGateway:
		return "BadGateway"
	case OtherService:
		return "OtherService"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Inject queues faults for the next requests whose Action is action, or for
// the next requests of any action if action is empty: the first such request
// gets faults[0], the next faults[1], and so on; later requests are served
// normally again. A request matching both an action queue and the any-action
// queue takes from its action's queue. Faults take effect before
// authentication and rate limiting, so they apply even to requests that
// would otherwise fail.
func (e *Emulator) Inject(action string, faults ...Fault) {
	for _, f := range faults {
		if f < Throttle || f > OtherService {
			panic(fmt.Sprintf("ststest: Inject: unknown fault %d", int(f)))
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults[action] = append(e.faults[action], faults...)
}

func (e *Emulator) nextFault(action string) (Fault, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, key := range []string{action, ""} {
		if q := e.faults[key]; len(q) > 0 {
			e.faults[key] = q[1:]
			return q[0], true
		}
	}
	return 0, false
}

func (e *Emulator) serveFault(w http.ResponseWriter, r *http.Request, idx int, reqID, action string, f Fault) {
	var err *apiError
	switch f {
	case Throttle:
		err = errThrottling()
	case InternalError:
		err = &apiError{status: http.StatusInternalServerError, code: "InternalFailure",
			message: "The request processing has failed because of an unknown error, exception or failure."}
	case Unavailable:
		err = &apiError{status: http.StatusServiceUnavailable, code: "ServiceUnavailable",
			message: "The request has failed due to a temporary failure of the server."}
	case ClockSkew:
		now := e.now().UTC()
		err = errSignatureExpired(now.Add(-10*time.Minute), now)
	case ExpiredToken:
		err = errExpiredToken()
	case Reset:
		e.finish(idx, 0, "", f)
		e.reset(w)
		return
	case Hang:
		select {
		case <-r.Context().Done():
		case <-e.closing:
		}
		e.finish(idx, 0, "", f)
		return
	case BadGateway:
		e.finish(idx, http.StatusBadGateway, "", f)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"))
		return
	case OtherService:
		e.finish(idx, http.StatusOK, "", f)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" +
			`<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets/><Owner><DisplayName>webfile</DisplayName><ID>bcaf1ffd86f41161ca5fb16fd081034f</ID></Owner></ListAllMyBucketsResult>`))
		return
	case MalformedXML:
		// Cut inside an element, as a proxy that drops the connection
		// mid-body would; the action name is echoed only if it is a
		// plain identifier, to keep the prefix well-formed.
		if !isIdentifier(action) {
			action = "Unknown"
		}
		e.finish(idx, http.StatusOK, "", f)
		e.writeXML(w, reqID, http.StatusOK, []byte(`<`+action+`Response xmlns="`+Namespace+`"><`+action+`Result><Credentials><AccessKeyId>ASIA`))
		return
	}
	e.writeError(w, idx, reqID, err, f)
}

// reset drops the connection without a response. SO_LINGER 0 makes the
// kernel send a RST rather than a FIN, which is what a crashed load balancer
// looks like to the client ("connection reset by peer").
func (e *Emulator) reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 connections cannot be hijacked; aborting the handler makes
		// the server reset the stream instead, the closest equivalent.
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

func errThrottling() *apiError {
	return &apiError{status: http.StatusBadRequest, code: "Throttling", message: "Rate exceeded"}
}

// tokenBucket is the global request quota. rate 0 means unlimited.
type tokenBucket struct {
	rate   int
	tokens float64
	last   time.Time
}

func (e *Emulator) allow() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := &e.limiter
	if b.rate <= 0 {
		return true
	}
	now := time.Now()
	b.tokens = min(float64(b.rate), b.tokens+now.Sub(b.last).Seconds()*float64(b.rate))
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func isIdentifier(s string) bool {
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return s != ""
}
