package app

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// startDebug serves the profiler on its own listener, if configured:
// never on the API's, where anyone who reaches the service would reach it.
// A bare port binds loopback.
func (a *App) startDebug() error {
	addr := a.cfg.DebugAddr
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("KEYWAY_DEBUG_ADDR %q: %w", addr, err)
	}
	if host == "" {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("debug listener on %s: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "" && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		a.log.Warn("the profiler listens beyond loopback: anyone reaching it can read this process's memory profile", "addr", ln.Addr().String())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	a.debugAddr = ln.Addr().String()
	go srv.Serve(ln)
	a.closers = append(a.closers, srv.Close)
	return nil
}

// DebugAddr is the profiler's address, "" without one.
func (a *App) DebugAddr() string { return a.debugAddr }
