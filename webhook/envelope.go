package webhook

import (
	"encoding/json"

	"github.com/keywayhq/keyway"
)

// Envelope is the JSON body of every delivery (CONTRACT: "Webhook topics and
// deliveries"). Its ID doubles as the Standard Webhooks message id, which
// stays the same across retries so receivers can deduplicate.
type Envelope struct {
	ID        string          `json:"id"`
	Topic     string          `json:"topic"`
	CreatedAt keyway.Time     `json:"createdAt"`
	Data      json.RawMessage `json:"data"`
}
