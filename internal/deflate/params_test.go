package deflate

import (
	"errors"
	"testing"
)

func p(name string) Param         { return Param{Name: name} }
func pv(name, value string) Param { return Param{Name: name, Value: value, HasValue: true} }

func TestParseParams(t *testing.T) {
	cases := []struct {
		in   []Param
		want Params
		err  error
	}{
		{nil, Params{}, nil},
		{[]Param{p("server_no_context_takeover"), p("client_no_context_takeover")}, Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true}, nil},
		{[]Param{pv("server_max_window_bits", "10"), p("client_max_window_bits")}, Params{ServerMaxWindowBits: 10, ClientMaxWindowBitsOffered: true}, nil},
		{[]Param{pv("client_max_window_bits", "8")}, Params{ClientMaxWindowBits: 8, ClientMaxWindowBitsOffered: true}, nil},
		{[]Param{pv("server_max_window_bits", "15")}, Params{ServerMaxWindowBits: 15}, nil},
		{[]Param{p("server_max_window_bits")}, Params{}, ErrBadValue},
		{[]Param{pv("server_max_window_bits", "7")}, Params{}, ErrBadValue},
		{[]Param{pv("server_max_window_bits", "16")}, Params{}, ErrBadValue},
		{[]Param{pv("server_max_window_bits", "010")}, Params{}, ErrBadValue},
		{[]Param{pv("client_max_window_bits", "abc")}, Params{}, ErrBadValue},
		{[]Param{pv("server_no_context_takeover", "1")}, Params{}, ErrBadValue},
		{[]Param{p("server_no_context_takeover"), p("server_no_context_takeover")}, Params{}, ErrDuplicateParam},
		{[]Param{pv("client_max_window_bits", "9"), p("client_max_window_bits")}, Params{}, ErrDuplicateParam},
		{[]Param{p("x_unknown")}, Params{}, ErrUnknownParam},
		{[]Param{p("Server_No_Context_Takeover")}, Params{}, ErrUnknownParam},
	}
	for _, tc := range cases {
		got, err := ParseParams(tc.in)
		if !errors.Is(err, tc.err) || err == nil && got != tc.want {
			t.Errorf("%v: got %+v, %v; want %+v, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// Every combination of offer and server preference: the response the
// server sends must pass the client's check, and both ends must agree on
// who compresses how.
func TestAcceptThenCheck(t *testing.T) {
	windows := []int{0, 8, 10, 15}
	for _, sNCT := range []bool{false, true} {
		for _, cNCT := range []bool{false, true} {
			for _, sBits := range windows {
				for _, cBits := range windows {
					for _, offered := range []bool{false, true} {
						offer := Params{ServerNoContextTakeover: sNCT, ClientNoContextTakeover: cNCT,
							ServerMaxWindowBits: sBits, ClientMaxWindowBits: cBits, ClientMaxWindowBitsOffered: offered || cBits != 0}
						for _, pref := range []Preferences{{}, {ServerNoContextTakeover: true}, {ClientNoContextTakeover: true},
							{ServerMaxWindowBits: 9}, {ClientMaxWindowBits: 9}} {
							resp, sa, ok := Accept(offer, pref)
							if !ok {
								if pref.ClientMaxWindowBits == 0 || offer.ClientMaxWindowBitsOffered {
									t.Errorf("offer %+v pref %+v declined", offer, pref)
								}
								continue
							}
							// The response goes over the wire and back.
							parsed, err := ParseParams(resp.Format())
							if err != nil {
								t.Fatalf("response %+v does not parse: %v", resp, err)
							}
							ca, err := Check(offer, parsed)
							if err != nil {
								t.Fatalf("offer %+v pref %+v: response %+v refused: %v", offer, pref, resp, err)
							}
							if ca.CompressWindowBits > sa.DecompressWindowBits || sa.CompressWindowBits > ca.DecompressWindowBits {
								t.Errorf("offer %+v pref %+v: window disagreement %+v / %+v", offer, pref, sa, ca)
							}
							if ca.CompressNoContextTakeover != sa.DecompressNoContextTakeover && !ca.CompressNoContextTakeover {
								t.Errorf("offer %+v pref %+v: the client takes context over that the server drops", offer, pref)
							}
							if sa.CompressNoContextTakeover != ca.DecompressNoContextTakeover {
								t.Errorf("offer %+v pref %+v: server context takeover disagreement", offer, pref)
							}
							if sNCT && !sa.CompressNoContextTakeover || sBits != 0 && sa.CompressWindowBits > sBits {
								t.Errorf("offer %+v pref %+v: the server ignored the client's request: %+v", offer, pref, sa)
							}
						}
					}
				}
			}
		}
	}
}

func TestCheckRefusesWhatWasNotOffered(t *testing.T) {
	offer := Offer(Preferences{ServerMaxWindowBits: 10, ServerNoContextTakeover: true})
	bad := []Params{
		{ServerNoContextTakeover: true},                          // server_max_window_bits missing
		{ServerNoContextTakeover: true, ServerMaxWindowBits: 12}, // larger than offered
		{ServerMaxWindowBits: 10},                                // server_no_context_takeover missing
		{ServerNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBitsOffered: true}, // no value
	}
	for _, resp := range bad {
		if _, err := Check(offer, resp); err == nil {
			t.Errorf("response %+v accepted", resp)
		}
	}
	plain := Params{} // an offer without client_max_window_bits
	if _, err := Check(plain, Params{ClientMaxWindowBits: 9}); err == nil {
		t.Error("client_max_window_bits accepted without an offer")
	}
	if a, err := Check(plain, Params{ServerMaxWindowBits: 9}); err != nil || a.DecompressWindowBits != 9 {
		t.Errorf("server_max_window_bits the server chose itself: %+v %v", a, err)
	}
}
