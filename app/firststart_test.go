package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

// firstStartConfig is a configuration for a first start on dbURL, in a
// data dir of its own.
func firstStartConfig(t *testing.T, dbURL string) app.Config {
	cfg := app.DefaultConfig()
	cfg.Addr, cfg.DataDir, cfg.DatabaseURL, cfg.LogLevel = "127.0.0.1:0", t.TempDir(), dbURL, "error"
	cfg.SecretKey = base64.StdEncoding.EncodeToString(keycrypt.NewSecret())
	return cfg
}

// startApp starts an app with cfg, closed when t ends, and returns it
// with what it wrote to stderr while starting.
func startApp(t *testing.T, cfg app.Config) (*app.App, string) {
	t.Helper()
	var stderr bytes.Buffer
	a := app.New(cfg, app.Options{Stderr: &stderr})
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Close(ctx)
	})
	return a, stderr.String()
}

// The first start's block goes to stderr on every engine; only the
// embedded database, whose data dir is the deployment's state, gets the
// first-start.txt copy. On PostgreSQL the block says it is kept nowhere.
func TestFirstStartFile(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		embedded := strings.HasPrefix(dbURL, "sqlite:")
		cfg := firstStartConfig(t, dbURL)
		dataDir := cfg.DataDir
		_, block := startApp(t, cfg)
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

// The first start's block and first-start.txt carry the setup link; the
// link's token sets up the first admin once, and a restart shows no link.
func TestFirstStartSetupLink(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		embedded := strings.HasPrefix(dbURL, "sqlite:")
		cfg := firstStartConfig(t, dbURL)
		dataDir := cfg.DataDir
		cfg.PublicURL = "https://keys.example.test/"
		a, block := startApp(t, cfg)
		link := regexp.MustCompile(`Setup link:  (https://keys\.example\.test/ui/setup\?token=(kwsetup_[A-Za-z0-9]{48}))\n`).FindStringSubmatch(block)
		if link == nil {
			t.Fatalf("no setup link in the block:\n%s", block)
		}
		if embedded {
			data, err := os.ReadFile(filepath.Join(dataDir, app.FirstStartFile))
			if err != nil || !strings.Contains(string(data), link[1]) {
				t.Fatalf("first-start.txt without the link (%v):\n%s", err, data)
			}
		}
		u, err := url.Parse(link[1])
		if err != nil {
			t.Fatal(err)
		}
		token := u.Query().Get("token")
		svc := a.Service()
		ctx := context.Background()
		acct, err := svc.SetupInfo(ctx, token)
		if err != nil || !strings.Contains(block, "Account id:  "+acct.ID) {
			t.Fatalf("the link's account: %v, %v", acct, err)
		}
		in := func(email string) *keyway.Setup {
			return &keyway.Setup{Token: keyway.SetupToken(token), Email: email, Name: "First Admin", Password: "a long password 1"}
		}
		sess, _, err := svc.CompleteSetup(ctx, in("first@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := svc.SessionCaller(ctx, sess.Reveal())
		if err != nil || !c.Can(keyway.RoleAdmin, acct.ID, "") {
			t.Fatalf("the set-up person: %+v, %v", c, err)
		}
		if _, _, err := svc.CompleteSetup(ctx, in("second@example.com")); !errors.Is(err, keyway.ErrSetupNotFound) {
			t.Fatalf("the link worked twice: %v", err)
		}
		// A restart on the same store makes and prints no link.
		a.Close(ctx)
		_, again := startApp(t, cfg)
		if strings.Contains(again, "Setup link:") {
			t.Fatalf("a restart printed a link:\n%s", again)
		}
	})
}

// With a chosen access key, the block shows the setup link alone.
func TestFirstStartSetupLinkWithChosenKey(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.Addr, cfg.DataDir, cfg.LogLevel = "127.0.0.1:0", t.TempDir(), "error"
	cfg.BootstrapAccessKey = keycrypt.NewKey("live_access_")
	a, block := startApp(t, cfg)
	if !strings.Contains(block, "Setup link:  "+a.URL()+"/ui/setup?token=kwsetup_") || strings.Contains(block, cfg.BootstrapAccessKey) {
		t.Fatalf("block:\n%s", block)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, app.FirstStartFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("first-start.txt written for a chosen key: %v", err)
	}
}
