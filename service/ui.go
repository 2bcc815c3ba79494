package service

import (
	"context"

	"github.com/keywayhq/keyway"
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
