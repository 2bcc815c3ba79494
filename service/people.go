package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/password"
	"github.com/keywayhq/keyway/usertoken"
)

// People wires signup, login and user tokens.
type People struct {
	Store    keyway.UserStore
	Tokens   *usertoken.Issuer
	Password password.Params
	// RefreshTTL is how long a refresh token may wait to be used.
	RefreshTTL time.Duration
	// Limiter throttles password guessing per email: LoginLimit attempts
	// per window (shared by all nodes when it is Redis).
	Limiter    keyway.RateLimiter
	LoginLimit keyway.RateLimit
}

// EnablePeople turns the user operations on.
func (s *Service) EnablePeople(p People) {
	if p.RefreshTTL <= 0 {
		p.RefreshTTL = 30 * 24 * time.Hour
	}
	if p.LoginLimit.RateLimit <= 0 {
		p.LoginLimit = keyway.RateLimit{RateLimit: 10, RateLimitTTL: 15 * 60}
	}
	s.people = &p
	// A login for an unknown email still checks a password against this
	// hash, so the answer takes as long as for a known one.
	s.decoyHash, _ = password.Hash(keycrypt.RandomString(16), p.Password)
}

func (s *Service) peopleOn() (*People, error) {
	if s.people == nil {
		return nil, keyway.Errorf(keyway.CodeNotImplemented, "Not implemented")
	}
	return s.people, nil
}

// Signup creates a user. Without an invitation the user gets an account of
// their own and is its admin.
func (s *Service) Signup(ctx context.Context, in *keyway.Signup) error {
	p, err := s.peopleOn()
	if err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if in.InvitationID != "" || in.AccountID != "" {
		// Joining an account arrives with invitations.
		return keyway.Errorf(keyway.CodeNotImplemented, "Signing up into an existing account is not implemented yet")
	}
	hash, err := password.Hash(in.Password, p.Password)
	if err != nil {
		return keyway.Internal(err)
	}
	now := s.now()
	u := &keyway.User{ID: newID(), Email: in.Email, Name: in.Name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	audit := keyway.Audit{CreatedBy: u.ID, CreatedByType: keyway.ActorUser, CreatedIn: s.Region, LastChangedBy: u.ID, LastChangedByType: keyway.ActorUser}
	a := &keyway.Account{ID: newID(), Name: in.Name + "'s account", IsActive: true, Audit: audit, CreatedAt: now, UpdatedAt: now}
	return p.Store.CreateUserWithAccount(ctx, u, a)
}

// Login exchanges an email and password for tokens. A wrong password and
// an unknown email answer alike, and take alike.
func (s *Service) Login(ctx context.Context, in *keyway.Login) (keyway.Tokens, error) {
	p, err := s.peopleOn()
	if err != nil {
		return keyway.Tokens{}, err
	}
	if err := in.Validate(); err != nil {
		return keyway.Tokens{}, err
	}
	if err := s.throttle(ctx, p, "login:"+in.Email); err != nil {
		return keyway.Tokens{}, err
	}
	u, err := p.Store.UserByEmail(ctx, in.Email)
	if err != nil && !errors.Is(err, keyway.ErrUserNotFound) {
		return keyway.Tokens{}, err
	}
	stored := s.decoyHash
	if u != nil {
		stored = u.PasswordHash
	}
	ok, err := password.Check(in.Password, stored)
	if err != nil {
		return keyway.Tokens{}, keyway.Internal(fmt.Errorf("check password: %w", err))
	}
	if !ok || u == nil {
		return keyway.Tokens{}, keyway.ErrUnauthorized
	}
	return s.issueTokens(ctx, p, u.ID, keycrypt.RandomString(24))
}

// RefreshTokens spends a refresh token for a new pair; a replayed one
// revokes its family (the store's decision) and answers 401.
func (s *Service) RefreshTokens(ctx context.Context, in *keyway.TokenRefresh) (keyway.Tokens, error) {
	p, err := s.peopleOn()
	if err != nil {
		return keyway.Tokens{}, err
	}
	if err := in.Validate(); err != nil {
		return keyway.Tokens{}, err
	}
	digest, err := usertoken.RefreshDigest(in.RefreshToken)
	if err != nil {
		return keyway.Tokens{}, keyway.ErrUnauthorized
	}
	userID, family, err := p.Store.UseRefreshToken(ctx, digest, s.clock.Now())
	if err != nil {
		return keyway.Tokens{}, err
	}
	return s.issueTokens(ctx, p, userID, family)
}

// throttle spends one attempt of a login-like action for subject; past the
// limit it answers 429 with the time to wait. Successful and failed
// attempts count alike, so the limit is a ceiling on guesses either way.
func (s *Service) throttle(ctx context.Context, p *People, subject string) error {
	if p.Limiter == nil {
		return nil
	}
	now := s.clock.Now()
	r, err := p.Limiter.Take(ctx, keycrypt.HashKey("throttle:"+subject), p.LoginLimit, now)
	if err != nil {
		return err
	}
	if !r.Allowed {
		return &keyway.Error{Code: keyway.CodeRateLimited, Message: "Too many requests", RetryAfter: r.Reset.Sub(now)}
	}
	return nil
}

func (s *Service) issueTokens(ctx context.Context, p *People, userID, family string) (keyway.Tokens, error) {
	access, ttl, err := p.Tokens.Issue(userID)
	if err != nil {
		return keyway.Tokens{}, keyway.Internal(err)
	}
	refresh, digest := usertoken.NewRefreshToken()
	now := s.clock.Now()
	if err := p.Store.CreateRefreshToken(ctx, digest, userID, family, now, now.Add(p.RefreshTTL)); err != nil {
		return keyway.Tokens{}, err
	}
	return keyway.Tokens{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", ExpiresIn: int(ttl / time.Second)}, nil
}

// UserCaller resolves a user token to its caller. Until roles and
// invitations arrive, every user is the admin of the one account they
// signed up with, which makes them an account-level caller of it; any
// other shape of roles is refused rather than guessed at.
func (s *Service) UserCaller(ctx context.Context, token string) (*keyway.Caller, error) {
	p, err := s.peopleOn()
	if err != nil {
		return nil, keyway.ErrUnauthorized
	}
	userID, err := p.Tokens.Verify(token)
	if err != nil {
		return nil, err
	}
	u, err := p.Store.User(ctx, userID)
	if errors.Is(err, keyway.ErrUserNotFound) {
		return nil, keyway.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	roles, err := p.Store.UserRoles(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(roles) != 1 || roles[0].Role != keyway.RoleAdmin || roles[0].ProjectID != nil {
		return nil, keyway.ErrForbidden
	}
	a, err := s.store.Account(ctx, roles[0].AccountID)
	if err != nil || !a.IsActive {
		return nil, keyway.ErrUnauthorized
	}
	return &keyway.Caller{User: u, AccountID: a.ID}, nil
}

// CallerRoles answers GET /user-roles: the caller's roles, in one account
// when accountID is given. An access key holds the role it acts with: an
// account-level key is its account's admin, a project-level one a user of
// its project.
func (s *Service) CallerRoles(ctx context.Context, c *keyway.Caller, accountID string) ([]keyway.UserRole, error) {
	if accountID != "" {
		if err := namedAccount(c, accountID); err != nil {
			return nil, err
		}
	}
	if c.User == nil {
		actor, _ := c.Actor()
		r := keyway.UserRole{UserID: actor, AccountID: c.AccountID, Role: keyway.RoleAdmin}
		if !c.AccountLevel() {
			project := c.ProjectID
			r.ProjectID, r.Role = &project, keyway.RoleUser
		}
		return []keyway.UserRole{r}, nil
	}
	p, err := s.peopleOn()
	if err != nil {
		return nil, err
	}
	return p.Store.UserRoles(ctx, c.User.ID)
}

// RenameUser renames a user. Until teammates exist, a user can only see
// and rename themselves; anyone else is 404, and access keys, which act
// for programs rather than people, are 403.
func (s *Service) RenameUser(ctx context.Context, c *keyway.Caller, id string, in *keyway.Rename) (*keyway.User, error) {
	p, err := s.peopleOn()
	if err != nil {
		return nil, err
	}
	if c.User == nil {
		return nil, keyway.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if id != c.User.ID {
		return nil, keyway.ErrUserNotFound
	}
	return p.Store.RenameUser(ctx, id, in.Name, s.now())
}
