// Command keyway runs the Keyway API-key service.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/sqlstore"
)

type cli struct {
	Serve   serveCmd   `cmd:"" help:"Run the Keyway server."`
	Migrate migrateCmd `cmd:"" help:"Bring the database schema up to date and exit (serve also does this at start)."`
	MCP     mcpCmd     `cmd:"" name:"mcp" help:"Serve every operation as an MCP tool over stdio, calling the API at --url with KEYWAY_ACCESS_KEY (or KEYWAY_TOKEN)."`
}

type migrateCmd struct {
	app.Config `embed:""`
}

func (m *migrateCmd) Run() error {
	_, dbURL, err := m.Database()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := sqlstore.MigrateURL(ctx, dbURL); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "keyway: database schema is up to date")
	return nil
}

type serveCmd struct {
	app.Config `embed:""`
}

func (s *serveCmd) Run() error {
	s.FromEnv()
	log, err := app.NewLogger(os.Stderr, s.LogLevel)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	a := app.New(s.Config, app.Options{Log: log, Stderr: os.Stderr})
	if err := a.Start(ctx); err != nil {
		return err
	}
	waitErr := a.Wait(ctx)
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.ShutdownTimeout)
	defer cancel()
	if err := a.Close(shutdownCtx); err != nil {
		return err
	}
	return waitErr
}

// parse reads flags and environment into the command to run; flags win.
func parse(args []string) (*kong.Context, *cli, error) {
	var c cli
	parser, err := kong.New(&c, kong.Name("keyway"), kong.Vars(app.Vars()), kong.Description("Self-hosted API-key management, wire-compatible with The Auth API."), kong.UsageOnError())
	if err != nil {
		return nil, nil, err
	}
	k, err := parser.Parse(args)
	return k, &c, err
}

func main() {
	k, _, err := parse(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "keyway:", err)
		os.Exit(2)
	}
	if err := k.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "keyway:", err)
		os.Exit(1)
	}
}
