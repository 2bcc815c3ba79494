package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

// kpaVersion is migration 00012_keys_per_account.
const kpaVersion = 12

// Migration 00012 makes key strings unique per account instead of across
// accounts. Keys written under the old schema keep verifying and read back
// exactly as before; afterwards another account may hold the same string
// while the same account still may not; Down restores global uniqueness
// and refuses while a string is held twice.
func TestKeysPerAccountMigration(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		s, err := openURL(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if s.sealer, err = keycrypt.NewSealer(keycrypt.NewSecret()); err != nil {
			t.Fatal(err)
		}
		p := umProvider(t, s)
		if _, err := p.UpTo(ctx, kpaVersion-1); err != nil {
			t.Fatalf("migrate to %d: %v", kpaVersion-1, err)
		}

		// The old schema, written through the store as it was used then.
		now := keyway.NewTime(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		var projects []*keyway.Project
		for _, id := range []string{"acc-a", "acc-b"} {
			a := &keyway.Account{ID: id, Name: id, IsActive: true, CreatedAt: now, UpdatedAt: now}
			pr := &keyway.Project{ID: "prj-" + id, AccountID: id, Name: "p", Env: keyway.EnvLive, IsActive: true, CreatedAt: now, UpdatedAt: now}
			if err := s.CreateAccount(ctx, a); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateProject(ctx, pr); err != nil {
				t.Fatal(err)
			}
			projects = append(projects, pr)
		}
		key := func(id string, pr *keyway.Project, str string, at int) *keyway.APIKey {
			created := keyway.NewTime(now.Add(time.Duration(at) * time.Second))
			return &keyway.APIKey{
				ID: id, AccountID: pr.AccountID, Key: keyway.APIKeySecret(str), Name: id, ProjectID: pr.ID, Env: pr.Env,
				CustomMetaData: json.RawMessage(`{"plan":"pro"}`), IsActive: true, AllowedDomains: []string{"example.com"},
				RateLimit: &keyway.RateLimit{RateLimit: 5, RateLimitTTL: 60}, CreationContext: json.RawMessage(`{}`),
				CreatedAt: created, UpdatedAt: created,
			}
		}
		pa, pb := projects[0], projects[1]
		old := []*keyway.APIKey{
			key("key-1", pa, keycrypt.NewKey("live_"), 1),
			key("key-2", pa, "acme-prod", 2),
			key("key-3", pb, keycrypt.NewKey("live_"), 3),
			key("key-4", pb, "beta-staging", 4),
		}
		old[3].IsActive = false
		for _, k := range old {
			if err := s.CreateAPIKey(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		// Under the old schema a string was taken everywhere: the oracle.
		if err := s.CreateAPIKey(ctx, key("key-x", pb, "acme-prod", 5)); keyway.ErrorCode(err) != keyway.CodeConflict {
			t.Fatalf("old schema: another account's string: %v, want a conflict", err)
		}
		ids := []string{"key-1", "key-2", "key-3", "key-4"}
		before := kpaJSON(t, s, ids)

		if _, err := p.UpTo(ctx, kpaVersion); err != nil {
			t.Fatalf("migrate to %d: %v", kpaVersion, err)
		}

		// Every key reads back as it was and verifies in its account.
		if after := kpaJSON(t, s, ids); after != before {
			t.Fatalf("keys changed across the migration:\nbefore %s\n after %s", before, after)
		}
		var ask []keyway.AccountKey
		for _, k := range old {
			ask = append(ask, keyway.AccountKey{AccountID: k.AccountID, Key: k.Key})
			got, err := s.APIKey(ctx, k.AccountID, k.Key.Reveal())
			if err != nil || got.ID != k.ID {
				t.Fatalf("APIKey(%s, %s) after the migration = %+v, %v", k.AccountID, k.ID, got, err)
			}
			if _, err := s.APIKey(ctx, other(k.AccountID), k.Key.Reveal()); !errors.Is(err, keyway.ErrAPIKeyNotFound) {
				t.Fatalf("key %s found in the other account: %v", k.ID, err)
			}
		}
		found, err := s.APIKeysForVerification(ctx, ask)
		if err != nil || len(found) != len(old) {
			t.Fatalf("APIKeysForVerification after the migration: %d keys, %v", len(found), err)
		}
		for _, vk := range found {
			if !vk.OwnersActive {
				t.Fatalf("key %s reported with inactive owners", vk.Key.ID)
			}
		}
		list, _, err := s.APIKeys(ctx, keyway.APIKeyFilter{ProjectID: pa.ID, IsActive: true})
		if err != nil || len(list) != 2 || list[0].ID != "key-2" || list[1].ID != "key-1" {
			t.Fatalf("listing after the migration: %v, %v", list, err)
		}

		// Now per account: b may hold "acme-prod", a may not hold it twice,
		// nor rename another key to it.
		theirs := key("key-5", pb, "acme-prod", 6)
		if err := s.CreateAPIKey(ctx, theirs); err != nil {
			t.Fatalf("another account's string after the migration: %v", err)
		}
		if err := s.CreateAPIKey(ctx, key("key-6", pa, "acme-prod", 7)); keyway.ErrorCode(err) != keyway.CodeConflict {
			t.Fatalf("a duplicate within the account: %v, want a conflict", err)
		}
		rename := *old[2]
		rename.Key = "acme-prod"
		if err := s.UpdateAPIKey(ctx, &rename); keyway.ErrorCode(err) != keyway.CodeConflict {
			t.Fatalf("renaming to a string the account holds: %v, want a conflict", err)
		}
		for _, want := range []*keyway.APIKey{old[1], theirs} {
			got, err := s.APIKey(ctx, want.AccountID, "acme-prod")
			if err != nil || got.ID != want.ID {
				t.Fatalf("acme-prod in %s = %+v, %v; want %s", want.AccountID, got, err, want.ID)
			}
		}

		// The rest of the migrations, as Open runs them.
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}

		// Down is refused while a string is held twice, and changes nothing.
		if _, err := p.DownTo(ctx, kpaVersion-1); err == nil {
			t.Fatal("down with a string in two accounts succeeded")
		}
		if v, err := p.GetDBVersion(ctx); err != nil || v < kpaVersion {
			t.Fatalf("version after a refused down: %d, %v", v, err)
		}
		if got, err := s.APIKey(ctx, "acc-b", "acme-prod"); err != nil || got.ID != "key-5" {
			t.Fatalf("after a refused down: %+v, %v", got, err)
		}
		if _, err := s.w.ExecContext(ctx, `DELETE FROM api_keys WHERE id = 'key-5'`); err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, kpaVersion-1); err != nil {
			t.Fatalf("down: %v", err)
		}
		if after := kpaJSON(t, s, ids); after != before {
			t.Fatalf("keys changed across down:\nbefore %s\n after %s", before, after)
		}
		if err := s.CreateAPIKey(ctx, key("key-7", pb, "acme-prod", 8)); keyway.ErrorCode(err) != keyway.CodeConflict {
			t.Fatalf("after down: another account's string: %v, want a conflict", err)
		}
	})
}

func other(accountID string) string {
	if accountID == "acc-a" {
		return "acc-b"
	}
	return "acc-a"
}

// kpaJSON is the keys with the given ids as the API shows them.
func kpaJSON(t *testing.T, s *Store, ids []string) string {
	t.Helper()
	keys, err := s.APIKeysByID(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(ids) {
		t.Fatalf("%d of %d keys read", len(keys), len(ids))
	}
	byID := map[string]*keyway.APIKey{}
	for _, k := range keys {
		byID[k.ID] = k
	}
	var out []*keyway.APIKey
	for _, id := range ids {
		out = append(out, byID[id])
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
