package main

import (
	"context"
	"io"
	"os"
	"reflect"
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

// With no flag and no environment, the parsed configuration is exactly
// app.DefaultConfig: the flags take their defaults from it, so no default
// is written twice.
func TestConfigDefaults(t *testing.T) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "KEYWAY_") {
			t.Setenv(name, "") // restores the variable after the test
			os.Unsetenv(name)
		}
	}
	_, c, err := parse([]string{"serve"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Serve.Config, app.DefaultConfig(); got != want {
		t.Errorf("parsed defaults differ from app.DefaultConfig:\n got %+v\nwant %+v", got, want)
	}
	if got := c.Serve.Config; got.Addr != "127.0.0.1:8080" || got.DataDir != "./keyway-data" || got.LogLevel != "info" || got.ShutdownTimeout != 30*time.Second {
		t.Errorf("defaults: %+v", got)
	}
}

// Every setting with a non-zero default takes it from DefaultConfig
// through its tag, and no tag holds a default of its own.
func TestConfigDefaultTags(t *testing.T) {
	d := reflect.ValueOf(app.DefaultConfig())
	for i := range d.NumField() {
		f := d.Type().Field(i)
		if f.Tag.Get("kong") == "-" {
			continue
		}
		tag, has := f.Tag.Lookup("default")
		if has && tag != "${"+f.Name+"}" {
			t.Errorf("Config.%s: default tag %q, want ${%s}", f.Name, tag, f.Name)
		}
		if !has && !d.Field(i).IsZero() {
			t.Errorf("Config.%s has a default in DefaultConfig but no default tag", f.Name)
		}
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
