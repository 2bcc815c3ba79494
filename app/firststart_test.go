package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

// The first start's block goes to stderr on every engine; only the
// embedded database, whose data dir is the deployment's state, gets the
// first-start.txt copy. On PostgreSQL the block says it is kept nowhere.
func TestFirstStartFile(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		embedded := strings.HasPrefix(dbURL, "sqlite:")
		dataDir := t.TempDir()
		var stderr bytes.Buffer
		cfg := app.DefaultConfig()
		cfg.Addr, cfg.DataDir, cfg.DatabaseURL, cfg.LogLevel = "127.0.0.1:0", dataDir, dbURL, "error"
		cfg.SecretKey = base64.StdEncoding.EncodeToString(keycrypt.NewSecret())
		a := app.New(cfg, app.Options{Stderr: &stderr})
		if err := a.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			a.Close(ctx)
		})
		block := stderr.String()
		if !strings.Contains(block, "Access key:  live_access_") || !strings.Contains(block, "curl -s -H") {
			t.Fatalf("no first-start block:\n%s", block)
		}
		file := filepath.Join(dataDir, app.FirstStartFile)
		_, err := os.Stat(file)
		if embedded {
			if err != nil || !strings.Contains(block, file) {
				t.Fatalf("embedded: %v; block:\n%s", err, block)
			}
			return
		}
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(block, "written nowhere else") {
			t.Fatalf("PostgreSQL: first-start.txt %v; block:\n%s", err, block)
		}
	})
}
