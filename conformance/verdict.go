package conformance

// Verdict is the outcome of a case, or of its closing behaviour.
type Verdict string

// Verdicts on a case's behaviour.
const (
	OK            Verdict = "OK"
	NonStrict     Verdict = "NON-STRICT"
	Informational Verdict = "INFORMATIONAL"
	Unimplemented Verdict = "UNIMPLEMENTED"
	Failed        Verdict = "FAILED"
	// NotApplicable is a case the run could not play at all, through no
	// doing of the testee: its notes say why (an HTTP/1.1 opening
	// handshake case in a run over HTTP/2, see ServerConfig.HTTP2). It
	// is neither passed nor failed, and is counted apart.
	NotApplicable Verdict = "NOT APPLICABLE"
)

// Verdicts on a case's closing behaviour, besides OK, FAILED and
// INFORMATIONAL.
const (
	WrongCode      Verdict = "WRONG CODE"
	Unclean        Verdict = "UNCLEAN"
	FailedByClient Verdict = "FAILED BY CLIENT"
)

// Passed reports whether an overall result counts as passed: everything
// but FAILED and NOT APPLICABLE (a case that was not played did not pass).
func (v Verdict) Passed() bool { return v != Failed && v != NotApplicable }

// overall combines the behaviour and closing verdicts into the case result.
func overall(behavior, closing Verdict) Verdict {
	if behavior == Failed {
		return Failed
	}
	if closing != OK && closing != Informational {
		return Failed
	}
	return behavior
}
