package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/service"
)

// FirstStartFile is the name, in the data dir, of the copy of the
// first-start block: it holds the generated access key until that key is
// first used, so an operator who missed the terminal can still find it.
const FirstStartFile = "first-start.txt"

// firstStartKeyLabel starts the block's line that carries the key; a later
// start reads the key back from it.
const firstStartKeyLabel = "Access key:"

// firstStartSetupLabel starts the block's line that carries the setup
// link.
const firstStartSetupLabel = "Setup link:"

// setupLink is the first-run setup page for a setup token.
func setupLink(publicURL string, token keyway.SetupToken) string {
	return strings.TrimRight(publicURL, "/") + "/ui/setup?token=" + url.QueryEscape(token.Reveal())
}

// firstStartBlock is what the first start shows the operator: a framed
// block on stderr, apart from the JSON log lines around it. path is the
// file it is also written to, "" when there is none. key is "" when the
// operator chose it (KEYWAY_BOOTSTRAP_ACCESS_KEY): the block then carries
// the setup link alone.
func firstStartBlock(accountID, key, link, publicURL, path string) string {
	const rule = "================================================================"
	setup := fmt.Sprintf(` Open the setup link in a browser to create the first person, as admin
 of this account. It works once, and is never shown again.

   %s  %s`, firstStartSetupLabel, link)
	if key == "" {
		return fmt.Sprintf(`
%s
 Keyway: first start. It created an account with your access key.

   Account id:  %s

%s
%s

`, rule, accountID, setup, rule)
	}
	kept := "It is also in " + path + " (mode 0600), deleted when the key is first used:\nopen the setup link first, or copy it now."
	if path == "" {
		kept = "It is written nowhere else: the database is not the embedded SQLite,\nso there is no data dir of this deployment to keep it in. Store it now."
	}
	return fmt.Sprintf(`
%s
 Keyway: first start. It created an account and its first access key,
 printed only this once.

   Account id:  %s
   %s  %s

%s

 %s

 Try it:
   curl -s -H "x-api-key: %s" %s/accounts
%s

`, rule, accountID, firstStartKeyLabel, key, setup, strings.ReplaceAll(kept, "\n", "\n "), key, publicURL, rule)
}

// firstStart removes the first-start file on the first authenticated
// request made with the key it holds.
type firstStart struct {
	path string
	key  string
	log  *slog.Logger
	once sync.Once
	done atomic.Bool
}

// writeFirstStart writes the block to path, readable by its owner only.
func writeFirstStart(path, block string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.WriteString(strings.TrimLeft(block, "\n"))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readFirstStart finds a first-start file left by an earlier start whose
// key has not been used yet; nil when there is none.
func readFirstStart(dataDir string, log *slog.Logger) (*firstStart, error) {
	path := filepath.Join(dataDir, FirstStartFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if key, ok := strings.CutPrefix(strings.TrimSpace(line), firstStartKeyLabel); ok {
			return &firstStart{path: path, key: strings.TrimSpace(key), log: log}, nil
		}
	}
	return nil, fmt.Errorf("%s: no %q line", path, firstStartKeyLabel)
}

// authenticated is called for each management request whose credential
// checked out; the first one made with the first key removes the file.
func (f *firstStart) authenticated(credential string, _ *keyway.Caller) {
	// Constant time: the caller holds some valid credential, but must not
	// learn the first key's bytes from how long this takes.
	if f.done.Load() || subtle.ConstantTimeCompare([]byte(credential), []byte(f.key)) != 1 {
		return
	}
	f.once.Do(func() {
		defer f.done.Store(true)
		if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			f.log.Warn("could not remove the first-start file", "path", f.path, "err", err.Error())
			return
		}
		f.log.Info("the first access key was used: removed the first-start file", "path", f.path)
	})
}

// bootstrap creates the first account and access key of an empty store,
// with its one-time setup link. The link, and a generated key, are shown
// once in a framed block on stderr, apart from the log; with the embedded
// database the block is also written to <data dir>/first-start.txt (0600)
// until the key's first use, which the returned firstStart watches for. A
// later start whose file is still there watches for it again; nil when
// there is nothing to watch.
func (a *App) bootstrap(ctx context.Context, svc *service.Service, dataDir string, embedded bool, publicURL string) (*firstStart, error) {
	k, setup, err := svc.FirstStart(ctx, a.cfg.BootstrapAccessKey)
	if err != nil {
		return nil, err
	}
	if k == nil {
		if !embedded {
			return nil, nil
		}
		return readFirstStart(dataDir, a.log)
	}
	a.log.Info("bootstrapped an empty store", "accountId", k.AccountID)
	link := setupLink(publicURL, setup)
	if a.cfg.BootstrapAccessKey != "" {
		// The operator chose the key: only the setup link is shown, and
		// kept nowhere, as the key is not.
		fmt.Fprint(a.stderr, firstStartBlock(k.AccountID, "", link, publicURL, ""))
		return nil, nil
	}
	path := ""
	if embedded {
		path = filepath.Join(dataDir, FirstStartFile)
	}
	block := firstStartBlock(k.AccountID, k.Key.Reveal(), link, publicURL, path)
	// Printed to stderr only, never to the log.
	fmt.Fprint(a.stderr, block)
	if path == "" {
		return nil, nil
	}
	if err := writeFirstStart(path, block); err != nil {
		return nil, err
	}
	return &firstStart{path: path, key: k.Key.Reveal(), log: a.log}, nil
}
