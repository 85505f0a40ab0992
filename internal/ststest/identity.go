package ststest

type callerIdentityResult struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

// getCallerIdentity needs no permission in real STS, so any valid signature
// gets an answer, even from a session whose role has no policies.
func (e *Emulator) getCallerIdentity(req *request) (any, error) {
	return callerIdentityResult{
		Arn:     req.caller.arn,
		UserID:  req.caller.userID,
		Account: req.caller.account,
	}, nil
}
