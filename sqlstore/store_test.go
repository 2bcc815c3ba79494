package sqlstore_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/sqlstore"
)

// The suite runs against SQLite always, and against PostgreSQL too when
// KEYWAY_TEST_POSTGRES_URL is set, each test in a schema of its own.

var testSealer = func() *keycrypt.Sealer {
	s, err := keycrypt.NewSealer(keycrypt.NewSecret())
	if err != nil {
		panic(err)
	}
	return s
}()

// forEachURL runs fn once per engine with the URL of a fresh, empty database.
func forEachURL(t *testing.T, fn func(t *testing.T, dbURL string)) {
	keywaytest.ForEachDatabase(t, fn)
}

// forEachStore runs fn once per engine with a store on a fresh database.
func forEachStore(t *testing.T, fn func(t *testing.T, s *sqlstore.Store)) {
	forEachURL(t, func(t *testing.T, dbURL string) {
		fn(t, openStore(t, dbURL))
	})
}

func sqliteURL(t *testing.T) string { return keywaytest.SQLiteURL(t) }

// newStore opens a store on a fresh SQLite file.
func newStore(t *testing.T) *sqlstore.Store {
	return openStore(t, sqliteURL(t))
}

func openStore(t *testing.T, dbURL string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dbURL, testSealer)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var ctx = context.Background()

var seq atomic.Int64

func uniqueID(prefix string) string {
	return fmt.Sprintf("%s_%d_%s", prefix, seq.Add(1), keycrypt.RandomString(6))
}

// at returns a fixed instant, n seconds into the test epoch, in the exact
// representation the store reads back.
func at(n int) keyway.Time { return keyway.TimeFromMillis(1_750_000_000_000 + int64(n)*1000 + 123) }

func ptr[T any](v T) *T { return &v }

func mustEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("%s differs\n got: %s %+v\nwant: %s %+v", what, g, got, w, want)
	}
}

func mustCode(t *testing.T, err error, code keyway.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if c := keyway.ErrorCode(err); c != code {
		t.Fatalf("got %v (code %s), want code %s", err, c, code)
	}
}

func mustIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newAccount(t *testing.T, s *sqlstore.Store) *keyway.Account {
	t.Helper()
	a := &keyway.Account{
		ID: uniqueID("acc"), Name: "Acme", IsActive: true,
		Audit: keyway.Audit{
			CreatedBy: "user-1", CreatedByType: keyway.ActorUser, CreatedIn: "bootstrap",
			LastChangedBy: "user-1", LastChangedByType: keyway.ActorUser,
		},
		CreatedAt: at(0), UpdatedAt: at(0),
	}
	check(t, s.CreateAccount(ctx, a))
	return a
}

func newProject(t *testing.T, s *sqlstore.Store, accountID string, created keyway.Time) *keyway.Project {
	t.Helper()
	p := &keyway.Project{
		ID: uniqueID("prj"), Name: "Web", AccountID: accountID, Env: keyway.EnvLive, IsActive: true,
		Audit: keyway.Audit{
			CreatedBy: "access-key:…abcd", CreatedByType: keyway.ActorAccessKey, CreatedIn: "api",
			LastChangedBy: "access-key:…abcd", LastChangedByType: keyway.ActorAccessKey,
		},
		CreatedAt: created, UpdatedAt: created,
	}
	check(t, s.CreateProject(ctx, p))
	return p
}

// fullAPIKey has every field set.
func fullAPIKey(p *keyway.Project, created keyway.Time) *keyway.APIKey {
	return &keyway.APIKey{
		ID:              uniqueID("key"),
		AccountID:       p.AccountID,
		Key:             keyway.APIKeySecret(keycrypt.NewKey("live_")),
		Name:            "Full key",
		ProjectID:       p.ID,
		Env:             p.Env,
		CustomMetaData:  json.RawMessage(`{"plan":"pro","seats":3}`),
		CustomAccountID: ptr("cust-acc"),
		CustomUserID:    ptr("cust-user"),
		IsActive:        true,
		ExpiresAt:       ptr(at(86400)),
		RateLimit:       &keyway.RateLimit{RateLimit: 100, RateLimitTTL: 60},
		AllowedDomains:  []string{"example.com", "*.example.org"},
		CreationContext: json.RawMessage(`{"ip":"203.0.113.7","userAgent":"test"}`),
		CreatedAt:       created,
		UpdatedAt:       created,
	}
}

// readBack is k as the store returns it: absent JSON objects read as {} and
// absent allowed domains as [].
func readBack(k *keyway.APIKey) *keyway.APIKey {
	c := *k
	if len(c.CustomMetaData) == 0 || string(c.CustomMetaData) == "null" {
		c.CustomMetaData = json.RawMessage(`{}`)
	}
	if len(c.CreationContext) == 0 || string(c.CreationContext) == "null" {
		c.CreationContext = json.RawMessage(`{}`)
	}
	if c.AllowedDomains == nil {
		c.AllowedDomains = []string{}
	}
	return &c
}

// minimalAPIKey leaves every optional field nil.
func minimalAPIKey(p *keyway.Project, created keyway.Time) *keyway.APIKey {
	return &keyway.APIKey{
		ID: uniqueID("key"), AccountID: p.AccountID, Key: keyway.APIKeySecret(keycrypt.NewKey("live_")), Name: "Minimal",
		ProjectID: p.ID, Env: p.Env, IsActive: true, CreatedAt: created, UpdatedAt: created,
	}
}

func keysOf(ks []*keyway.APIKey) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Key.Reveal()
	}
	return out
}

func TestAccount(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		got, err := s.Account(ctx, a.ID)
		check(t, err)
		mustEqual(t, "account", got, a)

		a.Name, a.IsActive, a.UpdatedAt = "Acme 2", false, at(10)
		a.LastChangedBy, a.LastChangedByType = "access-key:…wxyz", keyway.ActorAccessKey
		check(t, s.UpdateAccount(ctx, a))
		got, err = s.Account(ctx, a.ID)
		check(t, err)
		mustEqual(t, "updated account", got, a)

		// Empty audit fields are stored as given.
		b := &keyway.Account{ID: uniqueID("acc"), Name: "Bare", CreatedAt: at(1), UpdatedAt: at(1)}
		check(t, s.CreateAccount(ctx, b))
		got, err = s.Account(ctx, b.ID)
		check(t, err)
		mustEqual(t, "bare account", got, b)

		_, err = s.Account(ctx, "missing")
		mustIs(t, err, keyway.ErrAccountNotFound)
		mustIs(t, s.UpdateAccount(ctx, &keyway.Account{ID: "missing"}), keyway.ErrAccountNotFound)
		mustCode(t, s.CreateAccount(ctx, a), keyway.CodeConflict)
	})
}

func TestProject(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(1))
		got, err := s.Project(ctx, p.ID)
		check(t, err)
		mustEqual(t, "project", got, p)

		p.Name, p.IsActive, p.UpdatedAt = "Web 2", false, at(5)
		p.LastChangedBy, p.LastChangedByType = "user-9", keyway.ActorUser
		check(t, s.UpdateProject(ctx, p))
		got, err = s.Project(ctx, p.ID)
		check(t, err)
		mustEqual(t, "updated project", got, p)

		_, err = s.Project(ctx, "missing")
		mustIs(t, err, keyway.ErrProjectNotFound)
		mustIs(t, s.UpdateProject(ctx, &keyway.Project{ID: "missing"}), keyway.ErrProjectNotFound)
		mustCode(t, s.CreateProject(ctx, p), keyway.CodeConflict)
		orphan := &keyway.Project{ID: uniqueID("prj"), Name: "x", AccountID: "missing", Env: keyway.EnvTest}
		mustIs(t, s.CreateProject(ctx, orphan), keyway.ErrAccountNotFound)
	})
}

func TestProjectsOldestFirst(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		other := newAccount(t, s)
		newProject(t, s, other.ID, at(0))
		var want []*keyway.Project
		for i := range 5 {
			// Two share a creation time to exercise the tie break.
			want = append(want, newProject(t, s, a.ID, at(min(i, 3))))
		}
		all, next, err := s.Projects(ctx, a.ID, keyway.Page{})
		check(t, err)
		if next != "" {
			t.Fatalf("offset pagination returned cursor %q", next)
		}
		if len(all) != 5 {
			t.Fatalf("got %d projects, want 5", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i-1].CreatedAt.After(all[i].CreatedAt.Time) {
				t.Fatalf("projects not oldest first: %v then %v", all[i-1].CreatedAt, all[i].CreatedAt)
			}
		}
		for i := range 3 {
			mustEqual(t, "project", all[i], want[i])
		}

		var paged []*keyway.Project
		cursor := ""
		for range 10 {
			page, next, err := s.Projects(ctx, a.ID, keyway.Page{Limit: 2, Cursor: &cursor})
			check(t, err)
			paged = append(paged, page...)
			if next == "" {
				break
			}
			cursor = next
		}
		mustEqual(t, "paged projects", paged, all)

		page, _, err := s.Projects(ctx, a.ID, keyway.Page{Limit: 2, Offset: 3})
		check(t, err)
		mustEqual(t, "offset page", page, all[3:5])

		// A deleted (inactive) project is no longer listed.
		all[1].IsActive = false
		check(t, s.UpdateProject(ctx, all[1]))
		left, _, err := s.Projects(ctx, a.ID, keyway.Page{})
		check(t, err)
		mustEqual(t, "projects after a delete", left, append([]*keyway.Project{all[0]}, all[2:]...))
	})
}

func TestAPIKeyRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(0))

		full := fullAPIKey(p, at(1))
		check(t, s.CreateAPIKey(ctx, full))
		got, err := s.APIKey(ctx, full.AccountID, full.Key.Reveal())
		check(t, err)
		mustEqual(t, "full key", got, full)

		bare := minimalAPIKey(p, at(2))
		check(t, s.CreateAPIKey(ctx, bare))
		got, err = s.APIKey(ctx, bare.AccountID, bare.Key.Reveal())
		check(t, err)
		mustEqual(t, "minimal key", got, readBack(bare))
		if b, _ := json.Marshal(got); !strings.Contains(string(b), `"allowedDomains":[]`) {
			t.Fatalf("allowedDomains must encode as [], got %s", b)
		}

		// Every field changes, optional ones to nil, in both directions.
		upd := fullAPIKey(p, at(3))
		upd.ID, upd.Key, upd.Name = bare.ID, bare.Key, "Renamed"
		upd.IsActive = false
		upd.CustomMetaData = json.RawMessage(`{"a":[1,2,{"b":null}]}`)
		check(t, s.UpdateAPIKey(ctx, upd))
		got, err = s.APIKey(ctx, bare.AccountID, bare.Key.Reveal())
		check(t, err)
		mustEqual(t, "updated key", got, upd)

		cleared := minimalAPIKey(p, at(1))
		cleared.ID, cleared.Key = full.ID, full.Key
		cleared.CustomMetaData = json.RawMessage(`null`)
		check(t, s.UpdateAPIKey(ctx, cleared))
		got, err = s.APIKey(ctx, full.AccountID, full.Key.Reveal())
		check(t, err)
		mustEqual(t, "cleared key", got, readBack(cleared))
	})
}

func TestAPIKeyErrors(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(0))
		k1 := fullAPIKey(p, at(1))
		k2 := fullAPIKey(p, at(2))
		check(t, s.CreateAPIKey(ctx, k1))
		check(t, s.CreateAPIKey(ctx, k2))

		_, err := s.APIKey(ctx, a.ID, "live_missing")
		mustIs(t, err, keyway.ErrAPIKeyNotFound)
		missing := fullAPIKey(p, at(3))
		mustIs(t, s.UpdateAPIKey(ctx, missing), keyway.ErrAPIKeyNotFound)

		dup := fullAPIKey(p, at(3))
		dup.Key = k1.Key
		err = s.CreateAPIKey(ctx, dup)
		mustCode(t, err, keyway.CodeConflict)
		if msg := keyway.AsError(err).Message; msg != "API key already exists" {
			t.Fatalf("conflict message = %q", msg)
		}

		// Renaming k2 to k1's key string is refused and changes nothing.
		taken := *k2
		taken.Key, taken.Name = k1.Key, "stolen"
		mustCode(t, s.UpdateAPIKey(ctx, &taken), keyway.CodeConflict)
		got, err := s.APIKey(ctx, k2.AccountID, k2.Key.Reveal())
		check(t, err)
		mustEqual(t, "k2 after refused update", got, k2)
		got, err = s.APIKey(ctx, k1.AccountID, k1.Key.Reveal())
		check(t, err)
		mustEqual(t, "k1 after refused update", got, k1)

		orphan := fullAPIKey(&keyway.Project{ID: "missing", AccountID: a.ID, Env: keyway.EnvLive}, at(3))
		mustIs(t, s.CreateAPIKey(ctx, orphan), keyway.ErrProjectNotFound)
	})
}

func TestAPIKeyRotation(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(0))
		k := fullAPIKey(p, at(1))
		check(t, s.CreateAPIKey(ctx, k))
		old := k.Key

		k.Key, k.UpdatedAt = keyway.APIKeySecret(keycrypt.NewKey("live_")), at(2)
		check(t, s.UpdateAPIKey(ctx, k))
		_, err := s.APIKey(ctx, a.ID, old.Reveal())
		mustIs(t, err, keyway.ErrAPIKeyNotFound)
		got, err := s.APIKey(ctx, k.AccountID, k.Key.Reveal())
		check(t, err)
		mustEqual(t, "rotated key", got, k)

		// The old string is free again.
		again := fullAPIKey(p, at(3))
		again.Key = old
		check(t, s.CreateAPIKey(ctx, again))
	})
}

func TestAPIKeysFilters(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(0))
		other := newProject(t, s, a.ID, at(0))

		mk := func(n int, name string, custAcc, custUser *string, active bool) *keyway.APIKey {
			k := minimalAPIKey(p, at(n))
			k.Name, k.CustomAccountID, k.CustomUserID, k.IsActive = name, custAcc, custUser, active
			check(t, s.CreateAPIKey(ctx, k))
			return readBack(k)
		}
		unicode := mk(1, "Ünïcode Key", ptr("acc-1"), ptr("user-1"), true)
		plain := mk(2, "Plain", ptr("acc-1"), nil, true)
		noAcc := mk(3, "plain", nil, ptr("user-2"), true)
		inactive := mk(4, "Plain", ptr("acc-1"), nil, false)
		foreign := minimalAPIKey(other, at(5))
		foreign.Name = "Plain"
		check(t, s.CreateAPIKey(ctx, foreign))
		foreign = readBack(foreign)

		tests := []struct {
			name string
			f    keyway.APIKeyFilter
			want []*keyway.APIKey
		}{
			{"active", keyway.APIKeyFilter{IsActive: true}, []*keyway.APIKey{noAcc, plain, unicode}},
			{"inactive", keyway.APIKeyFilter{IsActive: false}, []*keyway.APIKey{inactive}},
			{"name any case", keyway.APIKeyFilter{IsActive: true, Name: ptr("PLAIN")}, []*keyway.APIKey{noAcc, plain}},
			{"non-ASCII name", keyway.APIKeyFilter{IsActive: true, Name: ptr("üNÏCODE kEY")}, []*keyway.APIKey{unicode}},
			{"name is exact", keyway.APIKeyFilter{IsActive: true, Name: ptr("Plai")}, nil},
			{"custom account", keyway.APIKeyFilter{IsActive: true, CustomAccountID: ptr("acc-1")}, []*keyway.APIKey{plain, unicode}},
			{"null custom account", keyway.APIKeyFilter{IsActive: true, NullCustomAccountID: true}, []*keyway.APIKey{noAcc}},
			{"custom user", keyway.APIKeyFilter{IsActive: true, CustomUserID: ptr("user-2")}, []*keyway.APIKey{noAcc}},
			{"null custom user", keyway.APIKeyFilter{IsActive: true, NullCustomUserID: true}, []*keyway.APIKey{plain}},
			{"combined", keyway.APIKeyFilter{IsActive: true, CustomAccountID: ptr("acc-1"), CustomUserID: ptr("user-1"), Name: ptr("ünïcode key")}, []*keyway.APIKey{unicode}},
			{"other project", keyway.APIKeyFilter{ProjectID: other.ID, IsActive: true}, []*keyway.APIKey{foreign}},
			{"unknown project", keyway.APIKeyFilter{ProjectID: "missing", IsActive: true}, nil},
		}
		for _, tc := range tests {
			if tc.f.ProjectID == "" {
				tc.f.ProjectID = p.ID
			}
			got, next, err := s.APIKeys(ctx, tc.f)
			check(t, err)
			if next != "" {
				t.Errorf("%s: offset pagination returned cursor %q", tc.name, next)
			}
			if len(got) == 0 && tc.want == nil {
				continue
			}
			mustEqual(t, tc.name, keysOf(got), keysOf(tc.want))
			mustEqual(t, tc.name+" (objects)", got, tc.want)
		}
	})
}

// sevenKeys creates seven active keys, the middle three at the same instant,
// and returns them newest first with ties in the store's stable order.
func sevenKeys(t *testing.T, s *sqlstore.Store) (*keyway.Project, []*keyway.APIKey) {
	t.Helper()
	a := newAccount(t, s)
	p := newProject(t, s, a.ID, at(0))
	for _, n := range []int{1, 2, 3, 3, 3, 4, 5} {
		check(t, s.CreateAPIKey(ctx, minimalAPIKey(p, at(n))))
	}
	all, _, err := s.APIKeys(ctx, keyway.APIKeyFilter{ProjectID: p.ID, IsActive: true})
	check(t, err)
	if len(all) != 7 {
		t.Fatalf("got %d keys, want 7", len(all))
	}
	return p, all
}

func TestAPIKeysOrderAndOffset(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		p, all := sevenKeys(t, s)
		for i := 1; i < len(all); i++ {
			prev, cur := all[i-1], all[i]
			if prev.CreatedAt.Before(cur.CreatedAt.Time) {
				t.Fatalf("not newest first at %d: %v before %v", i, prev.CreatedAt, cur.CreatedAt)
			}
			if prev.CreatedAt == cur.CreatedAt && prev.ID <= cur.ID {
				t.Fatalf("tie at %d not broken by id descending: %s then %s", i, prev.ID, cur.ID)
			}
		}
		// The order is stable across calls.
		again, _, err := s.APIKeys(ctx, keyway.APIKeyFilter{ProjectID: p.ID, IsActive: true})
		check(t, err)
		mustEqual(t, "second listing", keysOf(again), keysOf(all))

		for _, tc := range []struct{ limit, offset, from, to int }{
			{3, 0, 0, 3}, {3, 3, 3, 6}, {3, 6, 6, 7}, {3, 7, 7, 7}, {0, 2, 2, 7}, {-1, -5, 0, 7}, {keyway.MaxPageLimit * 10, 0, 0, 7},
		} {
			f := keyway.APIKeyFilter{ProjectID: p.ID, IsActive: true, Page: keyway.Page{Limit: tc.limit, Offset: tc.offset}}
			got, next, err := s.APIKeys(ctx, f)
			check(t, err)
			if next != "" {
				t.Fatalf("offset pagination returned cursor %q", next)
			}
			mustEqual(t, fmt.Sprintf("limit %d offset %d", tc.limit, tc.offset), keysOf(got), keysOf(all[tc.from:tc.to]))
		}
	})
}

func TestAPIKeysCursor(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		p, all := sevenKeys(t, s)
		var got []*keyway.APIKey
		var sizes []int
		cursor := ""
		for {
			// Offset is ignored once a cursor is given.
			f := keyway.APIKeyFilter{ProjectID: p.ID, IsActive: true, Page: keyway.Page{Limit: 3, Offset: 5, Cursor: &cursor}}
			page, next, err := s.APIKeys(ctx, f)
			check(t, err)
			got = append(got, page...)
			sizes = append(sizes, len(page))
			if next == "" {
				break
			}
			if len(sizes) > 5 {
				t.Fatal("cursor pagination does not end")
			}
			cursor = next
		}
		mustEqual(t, "page sizes", sizes, []int{3, 3, 1})
		mustEqual(t, "keys paged by cursor", keysOf(got), keysOf(all))

		// A page that ends exactly at the last row returns no cursor.
		cursor = ""
		f := keyway.APIKeyFilter{ProjectID: p.ID, IsActive: true, Page: keyway.Page{Limit: 7, Cursor: &cursor}}
		page, next, err := s.APIKeys(ctx, f)
		check(t, err)
		if len(page) != 7 || next != "" {
			t.Fatalf("full page: %d keys, cursor %q; want 7 and none", len(page), next)
		}

		for _, bad := range []string{"!!!", "bm90LWEtY3Vyc29y", "MTIzOg", "eDox"} {
			f := keyway.APIKeyFilter{ProjectID: p.ID, IsActive: true, Page: keyway.Page{Cursor: &bad}}
			_, _, err := s.APIKeys(ctx, f)
			mustCode(t, err, keyway.CodeInvalid)
		}
	})
}

func TestAccessKeys(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(0))
		other := newAccount(t, s)

		full := &keyway.AccessKey{
			Key: keyway.AccessKeySecret(keycrypt.NewKey("ak_")), Name: "CI", AccountID: a.ID, ProjectID: &p.ID, IsActive: true,
			RateLimit: ptr(10), RateLimitTTL: ptr(60), CreatedAt: at(1), UpdatedAt: at(1),
		}
		check(t, s.CreateAccessKey(ctx, full))
		got, err := s.AccessKey(ctx, full.Key.Reveal())
		check(t, err)
		mustEqual(t, "full access key", got, full)

		bare := &keyway.AccessKey{Key: keyway.AccessKeySecret(keycrypt.NewKey("ak_")), Name: "Root", AccountID: a.ID, IsActive: true, CreatedAt: at(2), UpdatedAt: at(2)}
		check(t, s.CreateAccessKey(ctx, bare))
		got, err = s.AccessKey(ctx, bare.Key.Reveal())
		check(t, err)
		mustEqual(t, "account-level access key", got, bare)

		bare.Name, bare.IsActive, bare.UpdatedAt = "Root (revoked)", false, at(9)
		check(t, s.UpdateAccessKey(ctx, bare))
		got, err = s.AccessKey(ctx, bare.Key.Reveal())
		check(t, err)
		mustEqual(t, "updated access key", got, bare)

		foreign := &keyway.AccessKey{Key: keyway.AccessKeySecret(keycrypt.NewKey("ak_")), Name: "Other", AccountID: other.ID, IsActive: true, CreatedAt: at(3), UpdatedAt: at(3)}
		check(t, s.CreateAccessKey(ctx, foreign))

		_, err = s.AccessKey(ctx, "ak_missing")
		mustIs(t, err, keyway.ErrAccessKeyNotFound)
		mustIs(t, s.UpdateAccessKey(ctx, &keyway.AccessKey{Key: "ak_missing"}), keyway.ErrAccessKeyNotFound)
		dup := *bare
		dup.Name = "dup"
		err = s.CreateAccessKey(ctx, &dup)
		mustCode(t, err, keyway.CodeConflict)
		if msg := keyway.AsError(err).Message; msg != "Access key already exists" {
			t.Fatalf("conflict message = %q", msg)
		}
		mustIs(t, s.CreateAccessKey(ctx, &keyway.AccessKey{Key: keyway.AccessKeySecret(keycrypt.NewKey("ak_")), Name: "x", AccountID: "missing"}), keyway.ErrAccountNotFound)
		mustIs(t, s.CreateAccessKey(ctx, &keyway.AccessKey{Key: keyway.AccessKeySecret(keycrypt.NewKey("ak_")), Name: "x", AccountID: a.ID, ProjectID: ptr("missing")}), keyway.ErrProjectNotFound)

		list := func(projectID string, active *bool, page keyway.Page) []*keyway.AccessKey {
			t.Helper()
			ks, _, err := s.AccessKeys(ctx, a.ID, projectID, active, page)
			check(t, err)
			return ks
		}
		mustEqual(t, "all", list("", nil, keyway.Page{}), []*keyway.AccessKey{bare, full})
		mustEqual(t, "project", list(p.ID, nil, keyway.Page{}), []*keyway.AccessKey{full})
		mustEqual(t, "active", list("", ptr(true), keyway.Page{}), []*keyway.AccessKey{full})
		mustEqual(t, "inactive", list("", ptr(false), keyway.Page{}), []*keyway.AccessKey{bare})
		mustEqual(t, "offset", list("", nil, keyway.Page{Limit: 1, Offset: 1}), []*keyway.AccessKey{full})
	})
}

func TestAccessKeysCursor(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		for _, n := range []int{1, 2, 2, 2, 3} {
			check(t, s.CreateAccessKey(ctx, &keyway.AccessKey{Key: keyway.AccessKeySecret(keycrypt.NewKey("ak_")), Name: "k", AccountID: a.ID, IsActive: true, CreatedAt: at(n), UpdatedAt: at(n)}))
		}
		all, _, err := s.AccessKeys(ctx, a.ID, "", nil, keyway.Page{})
		check(t, err)
		var got []*keyway.AccessKey
		cursor := ""
		for range 10 {
			page, next, err := s.AccessKeys(ctx, a.ID, "", nil, keyway.Page{Limit: 2, Cursor: &cursor})
			check(t, err)
			got = append(got, page...)
			if next == "" {
				break
			}
			cursor = next
		}
		mustEqual(t, "access keys paged by cursor", got, all)
		bad := "MTIzOnp6" // "123:zz", not hex
		_, _, err = s.AccessKeys(ctx, a.ID, "", nil, keyway.Page{Cursor: &bad})
		mustCode(t, err, keyway.CodeInvalid)
	})
}

func TestReopenAndMigrateTwice(t *testing.T) {
	forEachURL(t, func(t *testing.T, dbURL string) {
		s1, err := sqlstore.Open(ctx, dbURL, testSealer)
		check(t, err)
		a := newAccount(t, s1)
		p := newProject(t, s1, a.ID, at(0))
		k := fullAPIKey(p, at(1))
		check(t, s1.CreateAPIKey(ctx, k))
		check(t, s1.Migrate(ctx))
		check(t, s1.Close())

		s2 := openStore(t, dbURL)
		got, err := s2.APIKey(ctx, k.AccountID, k.Key.Reveal())
		check(t, err)
		mustEqual(t, "key after reopen", got, k)
		check(t, s2.Migrate(ctx))
		check(t, s2.Ping(ctx))
	})
}

// Several nodes starting at once on an empty database must not trip over
// each other's migrations.
func TestConcurrentOpen(t *testing.T) {
	forEachURL(t, func(t *testing.T, dbURL string) {
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range cap(errs) {
			wg.Go(func() {
				s, err := sqlstore.Open(ctx, dbURL, testSealer)
				if err == nil {
					err = s.Close()
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			check(t, err)
		}
	})
}

func TestConcurrentWrites(t *testing.T) {
	forEachURL(t, func(t *testing.T, dbURL string) {
		// Two stores on one database stand for two processes: on SQLite
		// only busy_timeout keeps them from failing with SQLITE_BUSY.
		stores := []*sqlstore.Store{openStore(t, dbURL), openStore(t, dbURL)}
		a := newAccount(t, stores[0])
		p := newProject(t, stores[0], a.ID, at(0))
		const workers, perWorker = 8, 15
		var wg sync.WaitGroup
		errs := make(chan error, workers*perWorker*3)
		for w := range workers {
			s := stores[w%len(stores)]
			wg.Go(func() {
				for i := range perWorker {
					k := minimalAPIKey(p, at(i))
					if err := s.CreateAPIKey(ctx, k); err != nil {
						errs <- err
						continue
					}
					k.Name = "renamed"
					if err := s.UpdateAPIKey(ctx, k); err != nil {
						errs <- err
					}
					if _, err := s.APIKey(ctx, k.AccountID, k.Key.Reveal()); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		f := keyway.APIKeyFilter{ProjectID: p.ID, IsActive: true, Name: ptr("RENAMED"), Page: keyway.Page{Limit: keyway.MaxPageLimit}}
		all, _, err := stores[1].APIKeys(ctx, f)
		check(t, err)
		if len(all) != workers*perWorker {
			t.Fatalf("got %d keys, want %d", len(all), workers*perWorker)
		}
	})
}

func TestSQLiteFileHoldsNoKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyway.db")
	s, err := sqlstore.Open(ctx, "sqlite://"+path, testSealer)
	check(t, err)
	a := newAccount(t, s)
	p := newProject(t, s, a.ID, at(0))
	var keys []string
	for i := range 5 {
		k := fullAPIKey(p, at(i))
		if i == 0 {
			k.Key = "my-custom-key-0001"
		}
		check(t, s.CreateAPIKey(ctx, k))
		keys = append(keys, k.Key.Reveal())
		if i == 1 {
			// Rotated away: neither string may remain.
			k.Key = keyway.APIKeySecret(keycrypt.NewKey("live_"))
			check(t, s.UpdateAPIKey(ctx, k))
			keys = append(keys, k.Key.Reveal())
		}
		ak := &keyway.AccessKey{Key: keyway.AccessKeySecret(keycrypt.NewKey("ak_")), Name: "ak", AccountID: a.ID, IsActive: true, CreatedAt: at(i), UpdatedAt: at(i)}
		check(t, s.CreateAccessKey(ctx, ak))
		keys = append(keys, ak.Key.Reveal())
	}

	// Check before closing too, while the WAL still holds the pages.
	assertNoKeys := func(stage string) {
		t.Helper()
		var all []byte
		for _, f := range []string{path, path + "-wal"} {
			b, err := os.ReadFile(f)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			check(t, err)
			all = append(all, b...)
		}
		// The files do hold what was written, so the search below means something.
		if !strings.Contains(string(all), p.ID) {
			t.Fatalf("%s: database files do not contain project id %s", stage, p.ID)
		}
		for _, k := range keys {
			if strings.Contains(string(all), k) {
				t.Fatalf("%s: database files contain the plaintext key %s", stage, k)
			}
		}
	}
	assertNoKeys("open")
	check(t, s.Close())
	assertNoKeys("closed")

	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("database file mode = %v, want no group or other access", fi.Mode().Perm())
	}
}

func TestOpenErrors(t *testing.T) {
	for _, u := range []string{
		"mysql://localhost/db",
		"host=localhost password=hunter2",
		"sqlite://",
		"sqlite://" + filepath.Join(t.TempDir(), "missing-dir", "keyway.db"),
		"sqlite://" + filepath.Join(t.TempDir(), "x.db") + "?mode=ro",
	} {
		if s, err := sqlstore.Open(ctx, u, testSealer); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", u)
		} else {
			t.Logf("Open(%q): %v", u, err)
		}
	}
	if _, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "x.db"), nil); err == nil {
		t.Error("Open without a sealer succeeded")
	}
	// A password in the URL stays out of the error.
	_, err := sqlstore.Open(ctx, "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=1", testSealer)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Open(postgres with password) error = %v", err)
	}
}

func TestSQLiteRelativeURL(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := sqlstore.Open(ctx, "sqlite://data.db", testSealer)
	check(t, err)
	newAccount(t, s)
	check(t, s.Close())
	if _, err := os.Stat("data.db"); err != nil {
		t.Fatal(err)
	}
	s = newStore(t) // the absolute form, for completeness
	check(t, s.Ping(ctx))
}

// A write acknowledged to the caller survives the process being killed
// right after. The child, this test binary re-run, writes and reports; the
// parent kills it with SIGKILL and reads the write back.
func TestSQLiteWriteSurvivesKill(t *testing.T) {
	if os.Getenv("KEYWAY_SQLSTORE_KILL_CHILD") != "" {
		t.Skip("run by TestSQLiteKillChild")
	}
	secret := keycrypt.NewSecret()
	sealer, err := keycrypt.NewSealer(secret)
	check(t, err)
	dbURL := sqliteURL(t)
	key := keycrypt.NewKey("live_")

	cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		"KEYWAY_SQLSTORE_KILL_CHILD=1",
		"KEYWAY_KILL_URL="+dbURL,
		"KEYWAY_KILL_SECRET="+base64.StdEncoding.EncodeToString(secret),
		"KEYWAY_KILL_KEY="+key,
	)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	check(t, err)
	check(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	// The child says which account it wrote the key in.
	accountID, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "written ")
	if err != nil || !ok || accountID == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q, %v", line, err)
	}
	check(t, cmd.Process.Kill())
	cmd.Wait()

	s, err := sqlstore.Open(ctx, dbURL, sealer)
	check(t, err)
	defer s.Close()
	got, err := s.APIKey(ctx, accountID, key)
	check(t, err)
	if got.Key.Reveal() != key {
		t.Fatalf("read back %q", got.Key)
	}
}

// TestSQLiteKillChild is the child of TestSQLiteWriteSurvivesKill.
func TestSQLiteKillChild(t *testing.T) {
	if os.Getenv("KEYWAY_SQLSTORE_KILL_CHILD") == "" {
		t.Skip("only run by TestSQLiteWriteSurvivesKill")
	}
	secret, err := keycrypt.ParseSecret(os.Getenv("KEYWAY_KILL_SECRET"))
	check(t, err)
	sealer, err := keycrypt.NewSealer(secret)
	check(t, err)
	s, err := sqlstore.Open(ctx, os.Getenv("KEYWAY_KILL_URL"), sealer)
	check(t, err)
	a := newAccount(t, s)
	p := newProject(t, s, a.ID, at(0))
	k := minimalAPIKey(p, at(1))
	k.Key = keyway.APIKeySecret(os.Getenv("KEYWAY_KILL_KEY"))
	check(t, s.CreateAPIKey(ctx, k))
	fmt.Println("written", a.ID)
	// Killed here by the parent, before the test could end: the store is
	// never closed.
	<-t.Context().Done()
}
