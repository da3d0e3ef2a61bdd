package main

import "time"

// Defaults of -rate and -burst: a person typing sends far less than 5
// messages a second, and a burst of 10 lets a paste of a few lines or a
// reconnection's join through, while a script that floods a room is cut
// to a trickle.
const (
	defaultChatRate  = 5.0
	defaultChatBurst = 10
)

// tokenBucket is one connection's allowance: burst tokens at most,
// refilled at rate a second, one taken per message. It needs no lock: a
// Handler's callbacks for one connection never overlap.
type tokenBucket struct {
	rate   float64 // tokens a second
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64, burst int, now time.Time) tokenBucket {
	return tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// take reports whether a message may pass at now, and takes its token.
// A rate of 0 or less means no limit.
func (b *tokenBucket) take(now time.Time) bool {
	if b.rate <= 0 {
		return true
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
