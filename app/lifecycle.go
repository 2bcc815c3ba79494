package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/keywayhq/keyway/service"
)

// Addr is the address the server listens on (useful with port 0).
func (a *App) Addr() string { return a.listener.Addr().String() }

// URL is the server's base URL.
func (a *App) URL() string { return "http://" + a.Addr() }

// Wait blocks until the server stops on its own (an error) or ctx ends.
func (a *App) Wait(ctx context.Context) error {
	select {
	case err := <-a.serveErr:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		return nil
	}
}

// Close stops accepting connections, lets in-flight requests finish (up to
// ctx's deadline), flushes buffered usage and closes the store. Later calls
// return the first call's result.
func (a *App) Close(ctx context.Context) error {
	a.closeOnce.Do(func() { a.closeErr = a.close(ctx) })
	return a.closeErr
}

func (a *App) close(ctx context.Context) error {
	var errs []error
	if a.server != nil {
		if err := a.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown http: %w", err))
		}
	}
	if a.stopBG != nil {
		a.stopBG()
		a.bgDone.Wait()
	}
	if a.verifier != nil {
		if err := a.verifier.FinalFlush(ctx, a.log); err != nil {
			errs = append(errs, fmt.Errorf("flush usage: %w", err))
		}
	}
	if err := a.closeAll(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// closeAll closes what Start opened, last first.
func (a *App) closeAll() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	a.closers = nil
	return errors.Join(errs...)
}

// Handler is the server's HTTP handler, for in-process benchmarks.
func (a *App) Handler() http.Handler { return a.server.Handler }

// Service is the started server's service, for callers in process (the
// dashboard's tests); nil before Start.
func (a *App) Service() *service.Service { return a.svc }
