package conformance

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fastws/fastws/wsframe"
)

// ClientSuite tests WebSocket clients. It is an http.Handler speaking the
// testee protocol of the Autobahn testsuite's fuzzing server:
//
//	/getCaseCount                 a text message with the number of cases
//	/runCase?case=N&agent=A       case N (1-based) played with the client
//	/updateReports?agent=A        the agent's report is finished (OnReport)
//
// A testee client asks for the count, connects once per case and echoes
// every message until the suite closes, then asks for the reports.
type ClientSuite struct {
	Cases       []*Case       // from Cases(ClientMode)
	CaseTimeout time.Duration // for cases that set no Timeout; 0 means DefaultCaseTimeout
	// TimeScale multiplies every time limit, as ServerConfig.TimeScale.
	TimeScale float64
	// Progress, when set, is called after each case.
	Progress func(agent string, r *Result)
	// OnReport is called when a client asks for its reports.
	OnReport func(*Report)

	mu      sync.Mutex
	reports map[string]*Report
	running sync.WaitGroup // cases still being judged
}

// Report returns the report gathered so far for agent.
func (cs *ClientSuite) Report(agent string) *Report {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.reports == nil {
		cs.reports = map[string]*Report{}
	}
	r, ok := cs.reports[agent]
	if !ok {
		r = newReport(agent, "client")
		cs.reports[agent] = r
	}
	return r
}

// ServeHTTP answers the testee protocol.
func (cs *ClientSuite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	agent := r.URL.Query().Get("agent")
	if agent == "" {
		agent = "unnamed"
	}
	if err := checkUpgrade(r); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch r.URL.Path {
	case "/getCaseCount":
		cs.sendAndClose(w, r, strconv.Itoa(len(cs.Cases)))
	case "/runCase":
		cs.running.Add(1)
		defer cs.running.Done()
		n, err := strconv.Atoi(r.URL.Query().Get("case"))
		if err != nil || n < 1 || n > len(cs.Cases) {
			http.Error(w, "no such case", http.StatusNotFound)
			return
		}
		cs.runCase(w, r, cs.Cases[n-1], agent)
	case "/updateReports":
		// A client moves on as soon as its connection ends, which can be
		// before the suite has judged the case.
		cs.running.Wait()
		rep := cs.Report(agent)
		cs.sendAndClose(w, r, "")
		if cs.OnReport != nil {
			cs.OnReport(rep)
		}
	default:
		http.Error(w, "unknown path", http.StatusNotFound)
	}
}

func hijack(w http.ResponseWriter) (net.Conn, *bufio.Reader, bool) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "cannot take over the connection", http.StatusInternalServerError)
		return nil, nil, false
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, brw.Reader, true
}

// sendAndClose accepts the connection, sends text (if any) and closes.
func (cs *ClientSuite) sendAndClose(w http.ResponseWriter, r *http.Request, text string) {
	conn, br, ok := hijack(w)
	if !ok {
		return
	}
	if _, err := io.WriteString(conn, switching(r)); err != nil {
		conn.Close()
		return
	}
	s := newSession(conn, br, false, cs.TimeScale)
	s.SuppressClose()
	go s.readLoop()
	if text != "" {
		s.SendMessage(wsframe.OpText, []byte(text))
	}
	s.SendClose(1000, "")
	t := time.NewTimer(s.scaled(5 * time.Second))
	defer t.Stop()
	select {
	case <-s.done:
	case <-t.C:
		s.drop()
	}
}

func (cs *ClientSuite) runCase(w http.ResponseWriter, r *http.Request, c *Case, agent string) {
	conn, br, ok := hijack(w)
	if !ok {
		return
	}
	var res *Result
	if c.Handshake != nil {
		res = probe(c, &HandshakeProbe{mode: ClientMode, conn: conn, br: br, req: r,
			timeout: caseTimeout(c, cs.CaseTimeout, cs.TimeScale), scale: cs.TimeScale})
		conn.Close()
	} else {
		// The suite accepts an extension only in the permessage-deflate
		// cases, and only on the terms the case sets.
		var extra []string
		var dfl *sessionDeflate
		unimpl := ""
		if c.Deflate != nil {
			offered := strings.Join(r.Header.Values("Sec-WebSocket-Extensions"), ", ")
			if resp, d, ok := answerClient(offered, c.Deflate.Answers); ok {
				extra, dfl = append(extra, "Sec-WebSocket-Extensions: "+resp), d
			} else if offered == "" || !strings.Contains(offered, "permessage-deflate") {
				unimpl = "the client did not offer permessage-deflate"
			} else {
				unimpl = "the client's permessage-deflate offer (" + offered + ") does not allow this case's terms"
			}
		}
		if _, err := io.WriteString(conn, switching(r, extra...)); err != nil {
			conn.Close()
			return
		}
		res = play(c, conn, br, stage{timeout: caseTimeout(c, cs.CaseTimeout, cs.TimeScale), scale: cs.TimeScale,
			deflate: dfl, unimplemented: unimpl})
	}
	cs.Report(agent).add(res)
	if cs.Progress != nil {
		cs.Progress(agent, res)
	}
}
