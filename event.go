package keyway

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Topics are the events a webhook can subscribe to (GET /webhooks/topics).
var Topics = []string{
	TopicAPIKeyCreated, TopicAPIKeyUpdated, TopicAPIKeyDeleted, TopicAPIKeyFirstUsed,
	TopicAPIKeyRotated, TopicAPIKeyReactivated, TopicAPIKeyRevealed,
	TopicAccessKeyCreated, TopicAccessKeyUpdated, TopicAccessKeyDeleted,
	TopicProjectUpdated,
}

const (
	TopicAPIKeyCreated     = "api-key.created"
	TopicAPIKeyUpdated     = "api-key.updated"
	TopicAPIKeyDeleted     = "api-key.deleted"
	TopicAPIKeyFirstUsed   = "api-key.firstUsed"
	TopicAPIKeyRotated     = "api-key.rotated"
	TopicAPIKeyReactivated = "api-key.reactivated"
	// TopicAPIKeyRevealed records that an admin had the dashboard show a
	// key in full; its data names who (revealedBy, revealedByType).
	TopicAPIKeyRevealed   = "api-key.revealed"
	TopicAccessKeyCreated = "access-key.created"
	TopicAccessKeyUpdated = "access-key.updated"
	TopicAccessKeyDeleted = "access-key.deleted"
	TopicProjectUpdated   = "project.updated"
)

// TopicWebhookTest is the topic of a test delivery, sent to one webhook
// when someone asks for it ("Send test"); it is not in Topics, since no
// webhook subscribes to it.
const TopicWebhookTest = "webhook.test"

// WebhookTestEvent is the event of a test delivery to w: its data names
// the webhook (never its secret).
func WebhookTestEvent(id string, w *Webhook, at Time) (Event, error) {
	return newEvent(id, TopicWebhookTest, w.AccountID, Deref(w.ProjectID), map[string]any{
		"test": true, "webhook": map[string]any{"id": w.ID, "name": w.Name, "url": w.URL},
	}, at)
}

// Event is one lifecycle change, stored with the change that caused it
// (the outbox) and delivered to every webhook subscribed to its topic in
// its account (and project, for project-level webhooks).
type Event struct {
	ID        string
	Topic     string
	AccountID string
	// ProjectID is "" for account-wide objects (an account-level access key).
	ProjectID string
	// SubjectID is the id of the API key the event is about, "" for
	// other objects: a key's page lists its events by it.
	SubjectID string
	// Data is the JSON of the object the event is about.
	Data      json.RawMessage
	CreatedAt Time
}

// NormalizeTopics drops repeated topics and orders them as Topics does, so
// a webhook reads back the same however its topics were given.
func NormalizeTopics(ts []string) []string {
	out := make([]string, 0, len(ts))
	for _, t := range Topics {
		if slices.Contains(ts, t) {
			out = append(out, t)
		}
	}
	return out
}

// APIKeyEvent is the event of a change to k under topic. The data is
// encoded now, so the event carries the key as it was when the change
// committed. Ids are minted by the caller (keycrypt.NewEventID): the
// domain mints nothing.
func APIKeyEvent(id, topic string, k *APIKey, at Time) (Event, error) {
	return keyEvent(id, topic, k, k, at)
}

// keyEvent is an event about k carrying data.
func keyEvent(id, topic string, k *APIKey, data any, at Time) (Event, error) {
	ev, err := newEvent(id, topic, k.AccountID, k.ProjectID, data, at)
	ev.SubjectID = k.ID
	return ev, err
}

// APIKeyFirstUsedEvent is the api-key.firstUsed event of k, first used at
// at: it carries the key as it was just before, never used, so k's
// LastUsedAt is cleared.
func APIKeyFirstUsedEvent(id string, k *APIKey, at Time) (Event, error) {
	k.LastUsedAt = nil
	return keyEvent(id, TopicAPIKeyFirstUsed, k, k, at)
}

// APIKeyRevealedEvent is the api-key.revealed event of k, shown in full
// to the actor by at: the key's data plus who revealed it, so the record
// says who saw it.
func APIKeyRevealedEvent(id string, k *APIKey, by string, byType ActorType, at Time) (Event, error) {
	data := struct {
		*APIKey
		RevealedBy     string    `json:"revealedBy"`
		RevealedByType ActorType `json:"revealedByType"`
	}{k, by, byType}
	return keyEvent(id, TopicAPIKeyRevealed, k, data, at)
}

// AccessKeyEvent is the event of a change to k under topic; an
// account-level access key's event names no project.
func AccessKeyEvent(id, topic string, k *AccessKey, at Time) (Event, error) {
	return newEvent(id, topic, k.AccountID, Deref(k.ProjectID), k, at)
}

// ProjectEvent is the event of a change to p under topic.
func ProjectEvent(id, topic string, p *Project, at Time) (Event, error) {
	return newEvent(id, topic, p.AccountID, p.ID, p, at)
}

func newEvent(id, topic, accountID, projectID string, obj any, at Time) (Event, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event: %w", topic, err)
	}
	return Event{ID: id, Topic: topic, AccountID: accountID, ProjectID: projectID, Data: data, CreatedAt: at}, nil
}
