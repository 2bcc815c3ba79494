package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway/app"
)

func TestConfigFlagsWinOverEnv(t *testing.T) {
	t.Setenv("KEYWAY_ADDR", "127.0.0.1:1111")
	t.Setenv("KEYWAY_DATA_DIR", "/from/env")
	t.Setenv("KEYWAY_LOG_LEVEL", "debug")
	t.Setenv("KEYWAY_SHUTDOWN_TIMEOUT", "5s")
	_, c, err := parse([]string{"serve", "--addr", "127.0.0.1:2222", "--log-level", "warn"})
	if err != nil {
		t.Fatal(err)
	}
	got := c.Serve.Config
	if got.Addr != "127.0.0.1:2222" || got.LogLevel != "warn" {
		t.Errorf("flags lost to env: addr %q, log level %q", got.Addr, got.LogLevel)
	}
	if got.DataDir != "/from/env" || got.ShutdownTimeout != 5*time.Second {
		t.Errorf("env ignored without a flag: data dir %q, shutdown timeout %v", got.DataDir, got.ShutdownTimeout)
	}
}

func TestConfigDefaults(t *testing.T) {
	for _, name := range []string{"KEYWAY_ADDR", "KEYWAY_DATA_DIR", "KEYWAY_DATABASE_URL", "KEYWAY_LOG_LEVEL", "KEYWAY_SHUTDOWN_TIMEOUT"} {
		t.Setenv(name, "") // restores the variable after the test
		os.Unsetenv(name)
	}
	_, c, err := parse([]string{"serve"})
	if err != nil {
		t.Fatal(err)
	}
	got := c.Serve.Config
	if got.Addr != "127.0.0.1:8080" || got.DataDir != "./keyway-data" || got.DatabaseURL != "" || got.LogLevel != "info" || got.ShutdownTimeout != 30*time.Second {
		t.Errorf("defaults: %+v", got)
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--log-level", "loud"},
		{"serve", "--shutdown-timeout", "soon"},
		{"serve", "--no-such-flag"},
	} {
		if _, _, err := parse(args); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// KEYWAY_PASSWORD_HASH_SLOTS is read like every setting, and a negative
// number of slots is refused at start rather than taken as the default.
func TestPasswordHashSlotsSetting(t *testing.T) {
	t.Setenv("KEYWAY_PASSWORD_HASH_SLOTS", "3")
	_, c, err := parse([]string{"serve"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Serve.Config.PasswordHashSlots; got != 3 {
		t.Fatalf("PasswordHashSlots = %d, want 3", got)
	}
	cfg := c.Serve.Config
	cfg.Addr, cfg.DataDir, cfg.DatabaseURL, cfg.RedisURL, cfg.PasswordHashSlots = "127.0.0.1:0", t.TempDir(), "", "", -1
	a := app.New(cfg, app.Options{Stderr: io.Discard})
	err = a.Start(context.Background())
	if err == nil {
		a.Close(context.Background())
		t.Fatal("a negative KEYWAY_PASSWORD_HASH_SLOTS was accepted")
	}
	if !strings.Contains(err.Error(), "KEYWAY_PASSWORD_HASH_SLOTS") {
		t.Fatalf("error %q does not name the setting", err)
	}
}
