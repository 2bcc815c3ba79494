package sqlstore

import (
	"context"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

func usOpen(t *testing.T, dbURL string) *Store {
	t.Helper()
	sealer, err := keycrypt.NewSealer(keycrypt.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), dbURL, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// usRecord adds one count per row to project p (usage rows need no key
// or project rows of their own).
func usRecord(t *testing.T, s *Store, rows ...keyway.Usage) {
	t.Helper()
	for i := range rows {
		rows[i].ProjectID, rows[i].AccountID = "p", "a"
	}
	if err := s.RecordUsage(context.Background(), keyway.UsageChunk{ID: keycrypt.RandomString(12), At: keyway.NewTime(time.Now()), Rows: rows}); err != nil {
		t.Fatal(err)
	}
}

func usSummaries(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM usage_day_keys`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var usDay = time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC)

// A current summary is what a long window reads for its day (here one
// whose copy was changed in place, stamp kept, reads as changed); one
// that does not decode, or whose stamp is out of date, is passed over for
// the day's rows.
func TestDaySummariesAreRead(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		s := usOpen(t, dbURL)
		for d := range 5 {
			usRecord(t, s, keyway.Usage{KeyID: "k1", At: keyway.NewTime(usDay.AddDate(0, 0, d)), Successful: 1})
		}
		if _, err := s.SummarizeUsageDays(ctx, time.UnixMilli(0), usDay.AddDate(0, 0, 4)); err != nil {
			t.Fatal(err)
		}
		totals := func(want int64) {
			t.Helper()
			got, err := s.KeyTotals(ctx, keyway.UsageByDay, "p", usDay, usDay.AddDate(0, 0, 5))
			if err != nil {
				t.Fatal(err)
			}
			var w keyway.KeyUsageTotal
			w.KeyID = "k1"
			w.Add(want, 0, 0)
			if !reflect.DeepEqual(got, []keyway.KeyUsageTotal{w}) {
				t.Errorf("totals %+v, want %+v", got, w)
			}
		}
		totals(5)
		set := func(keys []byte) {
			t.Helper()
			if _, err := s.w.Exec(`UPDATE usage_day_keys SET keys = $1 WHERE at = $2`, keys, usDay.AddDate(0, 0, 2).UnixMilli()); err != nil {
				t.Fatal(err)
			}
		}
		var changed keyway.KeyUsageTotal
		changed.KeyID = "k1"
		changed.Add(100, 0, 0)
		set(encodeSummary([]keyway.KeyUsageTotal{changed}))
		totals(104)
		set([]byte{summaryVersion, 1, 200})
		totals(5)
		set(encodeSummary([]keyway.KeyUsageTotal{changed}))
		usRecord(t, s, keyway.Usage{KeyID: "k1", At: keyway.NewTime(usDay.AddDate(0, 0, 2)), Successful: 1})
		totals(6)
	})
}

func TestSummaryCodec(t *testing.T) {
	var a, b keyway.KeyUsageTotal
	a.KeyID, b.KeyID = "k_ä", "k_"+string(make([]byte, 300))
	a.Add(1<<40, 0, 3)
	b.Add(0, -2, 1)
	// b's id sorts first ("k_\x00…" before "k_ä").
	for _, in := range [][]keyway.KeyUsageTotal{{}, {a}, {b, a}} {
		var out []keyway.KeyUsageTotal
		err := decodeSummary(encodeSummary(in), func(id []byte, su, f, rl int64) {
			var t keyway.KeyUsageTotal
			t.KeyID = string(id)
			t.Add(su, f, rl)
			out = append(out, t)
		})
		if err != nil || len(out) != len(in) || (len(in) > 0 && !reflect.DeepEqual(out, in)) {
			t.Errorf("decode(encode(%+v)) = %+v, %v", in, out, err)
		}
	}
	if err := decodeSummary(encodeSummary([]keyway.KeyUsageTotal{a, b}), func([]byte, int64, int64, int64) {}); err == nil {
		t.Error("a summary out of key order decodes")
	}
	if err := decodeSummary(encodeSummary([]keyway.KeyUsageTotal{a, a}), func([]byte, int64, int64, int64) {}); err == nil {
		t.Error("a summary with a key twice decodes")
	}
	whole := encodeSummary([]keyway.KeyUsageTotal{b, a})
	for n := range len(whole) {
		if err := decodeSummary(whole[:n], func([]byte, int64, int64, int64) {}); err == nil {
			t.Errorf("a summary cut to %d bytes decodes", n)
		}
	}
	if err := decodeSummary(append(whole, 0), func([]byte, int64, int64, int64) {}); err == nil {
		t.Error("a summary with a byte after its keys decodes")
	}
	if err := decodeSummary(append([]byte{summaryVersion + 1}, whole[1:]...), func([]byte, int64, int64, int64) {}); err == nil {
		t.Error("another version decodes")
	}
}

// RunUsageSummaries makes the closed days' summaries at once, by its
// clock; the day still being counted gets none.
func TestRunUsageSummaries(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		s := usOpen(t, dbURL)
		clock := keywaytest.NewClock()
		today := clock.Now().UTC().Truncate(24 * time.Hour)
		for _, d := range []time.Time{today.AddDate(0, 0, -40), today.AddDate(0, 0, -1), today} {
			usRecord(t, s, keyway.Usage{KeyID: "k1", At: keyway.NewTime(d), Successful: 1})
		}
		run, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); s.RunUsageSummaries(run, clock, slog.New(slog.DiscardHandler)) }()
		defer func() { cancel(); <-done }()
		for deadline := time.Now().Add(10 * time.Second); usSummaries(t, s) < 2; {
			if time.Now().After(deadline) {
				t.Fatalf("%d summaries after 10 s, want 2", usSummaries(t, s))
			}
			time.Sleep(10 * time.Millisecond)
		}
		var open int
		if err := s.r.QueryRow(`SELECT COUNT(*) FROM usage_day_keys WHERE at >= $1`, today.UnixMilli()).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open != 0 {
			t.Error("the day still counted has a summary")
		}
	})
}

// More days than one batch finds: each is made once, none twice.
func TestSummarizeManyDays(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		s := usOpen(t, dbURL)
		var rows []keyway.Usage
		for d := range 2*summarizeBatch + 25 {
			rows = append(rows, keyway.Usage{KeyID: "k1", At: keyway.NewTime(usDay.AddDate(0, 0, d)), Successful: 1})
		}
		usRecord(t, s, rows...)
		// A second project on every other day.
		rows = rows[:0]
		for d := 0; d < 2*summarizeBatch+25; d += 2 {
			rows = append(rows, keyway.Usage{KeyID: "k2", At: keyway.NewTime(usDay.AddDate(0, 0, d)), Successful: 1})
		}
		for i := range rows {
			rows[i].ProjectID, rows[i].AccountID = "q", "a"
		}
		if err := s.RecordUsage(context.Background(), keyway.UsageChunk{ID: keycrypt.RandomString(12), At: keyway.NewTime(time.Now()), Rows: rows}); err != nil {
			t.Fatal(err)
		}
		want := 2*summarizeBatch + 25 + summarizeBatch + 13
		for _, w := range []int{want, 0} {
			made, err := s.SummarizeUsageDays(context.Background(), time.UnixMilli(0), usDay.AddDate(1, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if made != w || usSummaries(t, s) != want {
				t.Errorf("made %d (%d in all), want %d (%d)", made, usSummaries(t, s), w, want)
			}
		}
	})
}
