package keyway_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
)

// A first-use event carries the key as it was before its first use, and
// every event names the scope webhooks are matched against.
func TestEventConstructors(t *testing.T) {
	at := keyway.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	used := at
	k := &keyway.APIKey{ID: "k1", AccountID: "a1", ProjectID: "p1", LastUsedAt: &used}
	ev, err := keyway.APIKeyFirstUsedEvent("evt_1", k, at)
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "evt_1" || ev.Topic != keyway.TopicAPIKeyFirstUsed || ev.AccountID != "a1" || ev.ProjectID != "p1" || ev.CreatedAt != at {
		t.Errorf("first-use event = %+v", ev)
	}
	var data map[string]any
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		t.Fatal(err)
	}
	if v, ok := data["lastUsedAt"]; ok {
		t.Errorf("first-use event lastUsedAt = %v, want it absent (never used)", v)
	}

	ak, err := keyway.AccessKeyEvent("evt_2", keyway.TopicAccessKeyCreated, &keyway.AccessKey{AccountID: "a1"}, at)
	if err != nil {
		t.Fatal(err)
	}
	if ak.AccountID != "a1" || ak.ProjectID != "" || ak.Topic != keyway.TopicAccessKeyCreated {
		t.Errorf("account-level access key event = %+v", ak)
	}

	pe, err := keyway.ProjectEvent("evt_3", keyway.TopicProjectUpdated, &keyway.Project{ID: "p2", AccountID: "a2"}, at)
	if err != nil {
		t.Fatal(err)
	}
	if pe.AccountID != "a2" || pe.ProjectID != "p2" {
		t.Errorf("project event = %+v", pe)
	}
}
