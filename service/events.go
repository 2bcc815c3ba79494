package service

import (
	"encoding/json"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// event describes a change to obj for the outbox. The data is encoded now,
// so the event carries the object as it was when the change committed.
func (s *Service) event(topic, accountID, projectID string, obj any) keyway.Event {
	data, err := json.Marshal(obj)
	if err != nil {
		// Every object here is plain data; this cannot fail.
		panic("service: encode event: " + err.Error())
	}
	return keyway.Event{ID: keycrypt.NewEventID(), Topic: topic, AccountID: accountID, ProjectID: projectID, Data: data, CreatedAt: s.now()}
}

func (s *Service) keyEvent(topic string, k *keyway.APIKey) keyway.Event {
	return s.event(topic, k.AccountID, k.ProjectID, k)
}

func (s *Service) accessKeyEvent(topic string, k *keyway.AccessKey) keyway.Event {
	projectID := ""
	if k.ProjectID != nil {
		projectID = *k.ProjectID
	}
	return s.event(topic, k.AccountID, projectID, k)
}
