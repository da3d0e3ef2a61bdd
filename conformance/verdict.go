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
)

// Verdicts on a case's closing behaviour, besides OK, FAILED and
// INFORMATIONAL.
const (
	WrongCode      Verdict = "WRONG CODE"
	Unclean        Verdict = "UNCLEAN"
	FailedByClient Verdict = "FAILED BY CLIENT"
)

// Passed reports whether an overall result counts as passed: everything
// but FAILED.
func (v Verdict) Passed() bool { return v != Failed }

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
