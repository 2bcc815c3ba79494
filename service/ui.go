package service

import (
	"context"
	"encoding/hex"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// APIKeyByID reads a key by its internal id, revoked or not, for the
// dashboard, which names keys by id so that the key string (a secret)
// never goes in a URL. The caller needs the role GetAPIKey needs; a key it
// cannot see is not found, as for GetAPIKey.
func (s *Service) APIKeyByID(ctx context.Context, c *keyway.Caller, id string) (*keyway.APIKey, error) {
	if err := guard(c, keyway.RoleViewer); err != nil {
		return nil, err
	}
	keys, err := s.store.APIKeysByID(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(keys) != 1 || c.Role(keys[0].AccountID, keys[0].ProjectID) == "" {
		return nil, keyway.ErrAPIKeyNotFound
	}
	return keys[0], nil
}

// AccessKeyID is the dashboard's name for an access key: the hex SHA-256
// digest its row is stored under. Access keys have no other identity than
// their string, a secret that must not go in a URL; the digest names the
// key without being usable as it.
func AccessKeyID(k *keyway.AccessKey) string {
	h := keycrypt.HashKey(k.Key.Reveal())
	return hex.EncodeToString(h[:])
}

// AccessKeyByID reads an access key by its AccessKeyID for the dashboard,
// with the checks of the operations that act on one (rename, deactivate,
// reactivate): a key the caller cannot reach, or an id that names none,
// is not found; managing one takes an admin of its scope.
func (s *Service) AccessKeyByID(ctx context.Context, c *keyway.Caller, id string) (*keyway.AccessKey, error) {
	if err := guard(c, keyway.RoleViewer); err != nil {
		return nil, err
	}
	hash, err := hex.DecodeString(id)
	if err != nil || len(hash) != len(keycrypt.Hash{}) {
		return nil, keyway.ErrAccessKeyNotFound
	}
	k, err := s.store.AccessKeyByHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	if err := mayManageAccessKey(c, k); err != nil {
		return nil, err
	}
	return k, nil
}

// RevealAPIKey reads a key by its internal id to show it in full on the
// dashboard, which otherwise shows keys masked. Only an account-wide admin
// of the key's account may (403 for anyone else who can see the key, 404
// for anyone who cannot), and every reveal is recorded: an api-key.revealed
// event naming who saw it, stored with the key's row like every other key
// event, and delivered to the webhooks that subscribe to it.
func (s *Service) RevealAPIKey(ctx context.Context, c *keyway.Caller, id string) (*keyway.APIKey, error) {
	return retryStale(func() (*keyway.APIKey, error) { return s.revealAPIKey(ctx, c, id) })
}

func (s *Service) revealAPIKey(ctx context.Context, c *keyway.Caller, id string) (*keyway.APIKey, error) {
	k, err := s.APIKeyByID(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := need(c, keyway.RoleAdmin, k.AccountID, ""); err != nil {
		return nil, err
	}
	by, byType := c.Actor()
	ev := must(keyway.APIKeyRevealedEvent(keycrypt.NewEventID(), k, by, byType, s.now()))
	// The row is written unchanged (its version moves on), so the event
	// commits in the same transaction as every key event does.
	if err := s.store.UpdateAPIKey(ctx, k, ev); err != nil {
		return nil, err
	}
	return k, nil
}

// KeyDelivery is a delivery of an event about a key, with the webhook it
// went to.
type KeyDelivery struct {
	*keyway.Delivery
	Webhook *keyway.Webhook
}

// maxKeyDeliveries bounds what KeyDeliveries returns, and
// maxKeyDeliveriesRead what it reads to find them.
const (
	maxKeyDeliveries     = 100
	maxKeyDeliveriesRead = 1000
)

// KeyDeliveries is what webhooks made of the latest events about a key the
// caller can read (APIKeyByID): its deliveries to the webhooks the caller
// can read as well, newest first, at most limit of them. A webhook the
// caller cannot see (an account-wide one, for a caller narrowed to a
// project) is left out, not named.
func (s *Service) KeyDeliveries(ctx context.Context, c *keyway.Caller, keyID string, limit int) ([]KeyDelivery, error) {
	k, err := s.APIKeyByID(ctx, c, keyID)
	if err != nil {
		return nil, err
	}
	want := min(max(limit, 1), maxKeyDeliveries)
	hooks := map[string]*keyway.Webhook{}
	// Deliveries to webhooks the caller cannot read are left out, so a
	// page of the store's may hold fewer than want: it reads more, newest
	// first as before, until want are found, the key has no more, or
	// maxKeyDeliveriesRead were read.
	var out []KeyDelivery
	for n := want; ; n = min(4*n, maxKeyDeliveriesRead) {
		ds, err := s.hooks.Store.SubjectDeliveries(ctx, k.ID, n)
		if err != nil {
			return nil, err
		}
		out = make([]KeyDelivery, 0, want)
		for _, d := range ds {
			w, seen := hooks[d.WebhookID]
			if !seen {
				_, w, err = s.pathWebhook(ctx, c, d.WebhookID, keyway.RoleViewer)
				if code := keyway.ErrorCode(err); err != nil && code != keyway.CodeNotFound && code != keyway.CodeForbidden {
					return nil, err
				}
				hooks[d.WebhookID] = w
			}
			if w != nil && len(out) < want {
				out = append(out, KeyDelivery{d, w})
			}
		}
		if len(out) == want || len(ds) < n || n == maxKeyDeliveriesRead {
			break
		}
	}
	return out, nil
}
