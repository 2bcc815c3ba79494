package httpapi

import (
	"net/http"
	"sync"
	"time"

	"github.com/keywayhq/keyway"
)

// quietWindow is how often a repeated line may be written.
const quietWindow = time.Minute

// serverFault reports whether an answer is the server's failure, worth an
// ERROR line. A 501 is not: it is what a feature turned off by
// configuration answers (Firebase sign-in without a project id), and
// anyone, signed in or not, can ask for it as often as they like.
func serverFault(status int) bool {
	return status >= 500 && status != http.StatusNotImplemented
}

// quietLog thins out lines that callers can repeat at will: one line per
// key (an operation) per window, the next one carrying how many were left
// out meanwhile. Keys are operation ids, a fixed set, so the map stays
// small.
type quietLog struct {
	clock  keyway.Clock
	window time.Duration
	mu     sync.Mutex
	lines  map[string]*quietLine
}

type quietLine struct {
	next       time.Time // when the next line may be written
	suppressed int       // lines left out since the last one written
}

func newQuietLog(clock keyway.Clock, window time.Duration) *quietLog {
	return &quietLog{clock: clock, window: window, lines: map[string]*quietLine{}}
}

// allow reports whether a line for key may be written now and, if so, how
// many lines for key were left out since the last one.
func (q *quietLog) allow(key string) (ok bool, suppressed int) {
	now := q.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	l := q.lines[key]
	if l == nil {
		l = &quietLine{}
		q.lines[key] = l
	}
	if now.Before(l.next) {
		l.suppressed++
		return false, 0
	}
	suppressed, l.suppressed, l.next = l.suppressed, 0, now.Add(q.window)
	return true, suppressed
}
