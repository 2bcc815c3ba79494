package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/keywayhq/keyway/keycrypt"
)

// The DSN must give every connection of each pool its settings, not only the
// first one, so several connections are checked at once.
func TestSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	sealer, err := keycrypt.NewSealer(keycrypt.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "k.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.w.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer pool allows %d connections, want 1", got)
	}

	want := map[string]string{
		"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "5000",
	}
	checkConn := func(name string, c *sql.Conn, queryOnly string) {
		t.Helper()
		want["query_only"] = queryOnly
		for pragma, v := range want {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, pragma, err)
			}
			if got != v {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, pragma, got, v)
			}
		}
	}
	w, err := s.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkConn("writer", w, "0")
	w.Close()

	var readers []*sql.Conn
	for range 3 {
		c, err := s.r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, c)
	}
	for _, c := range readers {
		checkConn("reader", c, "1")
		c.Close()
	}
}
