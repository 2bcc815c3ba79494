package keyway

import (
	"encoding/json"
	"slices"
)

// Topics are the events a webhook can subscribe to (GET /webhooks/topics).
var Topics = []string{
	TopicAPIKeyCreated, TopicAPIKeyUpdated, TopicAPIKeyDeleted, TopicAPIKeyFirstUsed,
	TopicAPIKeyRotated, TopicAPIKeyReactivated,
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
	TopicAccessKeyCreated  = "access-key.created"
	TopicAccessKeyUpdated  = "access-key.updated"
	TopicAccessKeyDeleted  = "access-key.deleted"
	TopicProjectUpdated    = "project.updated"
)

// Event is one lifecycle change, stored with the change that caused it
// (the outbox) and delivered to every webhook subscribed to its topic in
// its account (and project, for project-level webhooks).
type Event struct {
	ID        string
	Topic     string
	AccountID string
	// ProjectID is "" for account-wide objects (an account-level access key).
	ProjectID string
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
