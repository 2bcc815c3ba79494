package httpapi

import (
	"net/http"
	"net/url"
	"strings"
)

// router matches METHOD /a/{b}/c patterns. It exists instead of
// http.ServeMux because the contract wants Express's answers: a trailing
// slash is the same route, and any unmatched method or path is a 404
// "Cannot METHOD /path", never a 405.
type router struct {
	routes map[string][]*route
}

type route struct {
	segs   []string // literal segment, or "" for a parameter
	params []string // parameter names in order
	h      func(w http.ResponseWriter, r *http.Request, params []string)
	// op is the table's operation the route serves, nil for a raw one.
	op *operation
}

func newRouter() *router { return &router{routes: make(map[string][]*route)} }

func (rt *router) handle(method, pattern string, h func(http.ResponseWriter, *http.Request, []string)) {
	rt.handleOperation(method, pattern, nil, h)
}

func (rt *router) handleOperation(method, pattern string, op *operation, h func(http.ResponseWriter, *http.Request, []string)) {
	r := &route{h: h, op: op}
	for _, s := range splitPath(pattern) {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			r.params = append(r.params, s[1:len(s)-1])
			s = ""
		}
		r.segs = append(r.segs, s)
	}
	rt.routes[method] = append(rt.routes[method], r)
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// match finds the route for a request. Literal segments win over
// parameters (/webhooks/topics before /webhooks/{id}), so routes are tried
// in registration order and literals must be registered first; paramValues
// are path-unescaped.
func (rt *router) match(method, escapedPath string) (*route, []string, bool) {
	segs := splitPath(escapedPath)
	var best *route
	var bestLiterals = -1
	for _, r := range rt.routes[method] {
		if len(r.segs) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for i, s := range r.segs {
			if s == "" {
				if segs[i] == "" {
					ok = false
					break
				}
				continue
			}
			if s != segs[i] {
				ok = false
				break
			}
			literals++
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = r, literals
		}
	}
	if best == nil {
		return nil, nil, false
	}
	var params []string
	for i, s := range best.segs {
		if s == "" {
			v, err := url.PathUnescape(segs[i])
			if err != nil {
				return nil, nil, false
			}
			params = append(params, v)
		}
	}
	return best, params, true
}
