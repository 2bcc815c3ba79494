package sqlstore_test

import (
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/sqlstore"
)

func newUser(t *testing.T, s *sqlstore.Store, email string) (*keyway.User, *keyway.Account) {
	t.Helper()
	u := &keyway.User{ID: uniqueID("usr"), Email: email, Name: "Ada", PasswordHash: "$argon2id$stub", CreatedAt: at(1), UpdatedAt: at(1)}
	a := &keyway.Account{ID: uniqueID("acc"), Name: "Ada's account", IsActive: true, CreatedAt: at(1), UpdatedAt: at(1)}
	check(t, s.CreateUserWithAccount(ctx, u, a))
	return u, a
}

func TestUsers(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		u, a := newUser(t, s, "ada@example.com")
		got, err := s.UserByEmail(ctx, "ada@example.com")
		check(t, err)
		mustEqual(t, "user by email", got, u)
		got, err = s.User(ctx, u.ID)
		check(t, err)
		mustEqual(t, "user by id", got, u)
		roles, err := s.UserRoles(ctx, u.ID)
		check(t, err)
		mustEqual(t, "roles", roles, []keyway.UserRole{{UserID: u.ID, AccountID: a.ID, Role: keyway.RoleAdmin}})

		// A taken email writes nothing: no second account either.
		dup := &keyway.User{ID: uniqueID("usr"), Email: "ada@example.com", Name: "x", PasswordHash: "h", CreatedAt: at(2), UpdatedAt: at(2)}
		acc := &keyway.Account{ID: uniqueID("acc"), Name: "x", IsActive: true, CreatedAt: at(2), UpdatedAt: at(2)}
		mustCode(t, s.CreateUserWithAccount(ctx, dup, acc), keyway.CodeConflict)
		_, err = s.Account(ctx, acc.ID)
		mustIs(t, err, keyway.ErrAccountNotFound)

		_, err = s.UserByEmail(ctx, "nobody@example.com")
		mustIs(t, err, keyway.ErrUserNotFound)
	})
}

func TestRefreshTokenRotationAndReuse(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		u, _ := newUser(t, s, "bob@example.com")
		now := time.UnixMilli(at(10).Millis())
		first := keycrypt.HashKey("rt_first")
		check(t, s.CreateRefreshToken(ctx, first, u.ID, "fam-1", now, now.Add(time.Hour)))
		user, family, err := s.UseRefreshToken(ctx, first, now)
		check(t, err)
		if user != u.ID || family != "fam-1" {
			t.Fatalf("UseRefreshToken = %s, %s", user, family)
		}
		second := keycrypt.HashKey("rt_second")
		check(t, s.CreateRefreshToken(ctx, second, u.ID, "fam-1", now, now.Add(time.Hour)))

		// Replaying the spent token is refused and revokes the family.
		_, _, err = s.UseRefreshToken(ctx, first, now)
		mustIs(t, err, keyway.ErrUnauthorized)
		_, _, err = s.UseRefreshToken(ctx, second, now)
		mustIs(t, err, keyway.ErrUnauthorized)

		// Another login's family is untouched; expiry is enforced.
		other := keycrypt.HashKey("rt_other")
		check(t, s.CreateRefreshToken(ctx, other, u.ID, "fam-2", now, now.Add(time.Minute)))
		_, _, err = s.UseRefreshToken(ctx, other, now.Add(time.Minute))
		mustIs(t, err, keyway.ErrUnauthorized)
		_, _, err = s.UseRefreshToken(ctx, keycrypt.HashKey("rt_unknown"), now)
		mustIs(t, err, keyway.ErrUnauthorized)
	})
}
