package app

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/keywayhq/keyway/keycrypt"
)

// secret returns the sealing secret: KEYWAY_SECRET_KEY, or in embedded mode
// one generated once into the data dir.
func (a *App) secret(dataDir string, embedded bool) ([]byte, error) {
	if a.cfg.SecretKey != "" {
		b, err := keycrypt.ParseSecret(a.cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("KEYWAY_SECRET_KEY: %w", err)
		}
		return b, nil
	}
	if !embedded {
		return nil, errors.New("KEYWAY_SECRET_KEY must be set when the database is not the embedded SQLite")
	}
	path := filepath.Join(dataDir, "secret.key")
	if data, err := os.ReadFile(path); err == nil {
		b, err := keycrypt.ParseSecret(strings.TrimSpace(string(data)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return b, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	b := keycrypt.NewSecret()
	// O_EXCL: two processes starting on one data dir must not both write one.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	if _, err := fmt.Fprintln(f, base64.StdEncoding.EncodeToString(b)); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write secret: %w", err)
	}
	a.log.Info("generated a sealing secret", "path", path)
	return b, nil
}
