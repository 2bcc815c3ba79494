package app_test

import (
	"testing"
)

func TestSmoke(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", "live")
		k := s.newKey(p.ID, nil)
		s.call("POST", "/api-keys/auth/"+k.Key.Reveal(), nil).want(t, 200)
	})
}
