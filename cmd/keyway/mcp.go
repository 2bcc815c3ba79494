package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/mcp"
	"github.com/keywayhq/keyway/service"
)

// mcpCmd serves the tools over stdio as a client of a REST API: this
// Keyway, another one, or any server that speaks the contract.
type mcpCmd struct {
	URL string `required:"" env:"KEYWAY_URL" help:"Base URL of the API the tools call, e.g. http://127.0.0.1:8080."`
}

func (m *mcpCmd) Run() error {
	u, err := url.Parse(m.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("--url must be an http:// or https:// base URL")
	}
	b := mcp.Backend{Doer: &http.Client{Timeout: time.Minute}, BaseURL: strings.TrimRight(m.URL, "/")}
	// The credential comes from the environment only, never a flag that a
	// process listing would show. Access keys go in x-api-key, the header
	// every server of the contract reads.
	if key := os.Getenv("KEYWAY_ACCESS_KEY"); key != "" {
		b.Header, b.Credential = "x-api-key", key
	} else if token := os.Getenv("KEYWAY_TOKEN"); token != "" {
		b.Header, b.Credential = "Authorization", "Bearer "+token
	} else {
		return errors.New("set KEYWAY_ACCESS_KEY (an access key) or KEYWAY_TOKEN (a user access token)")
	}
	tools, err := mcp.Tools(api.Declarations())
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// stdout carries the protocol; nothing else may write there.
	return mcp.NewServer(tools, b, service.Version).Run(ctx, &sdk.StdioTransport{})
}
