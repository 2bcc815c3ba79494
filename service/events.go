package service

import (
	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// must unwraps an event constructor's result. The objects the service
// hands over are plain data it just built; encoding them cannot fail.
func must(ev keyway.Event, err error) keyway.Event {
	if err != nil {
		panic("service: " + err.Error())
	}
	return ev
}

func (s *Service) keyEvent(topic string, k *keyway.APIKey) keyway.Event {
	return must(keyway.APIKeyEvent(keycrypt.NewEventID(), topic, k, s.now()))
}

func (s *Service) accessKeyEvent(topic string, k *keyway.AccessKey) keyway.Event {
	return must(keyway.AccessKeyEvent(keycrypt.NewEventID(), topic, k, s.now()))
}

func (s *Service) projectEvent(topic string, p *keyway.Project) keyway.Event {
	return must(keyway.ProjectEvent(keycrypt.NewEventID(), topic, p, s.now()))
}
