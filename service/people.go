package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// People wires signup, login, user tokens and what people do together.
type People struct {
	Store  keyway.UserStore
	Groups keyway.PeopleStore
	Tokens keyway.TokenIssuer
	// Passwords hashes and checks every password, a bounded number at a
	// time (password.Hasher).
	Passwords keyway.PasswordHasher
	// RefreshTTL is how long a refresh token may wait to be used.
	RefreshTTL time.Duration
	// Limiter throttles sign-in attempts per email (LoginLimit) and per
	// client address (AddressLimit); it is shared by all nodes when it is
	// Redis.
	// AddressLimit has no fallback here: it is a setting, and its default
	// is app.DefaultConfig's.
	Limiter      keyway.RateLimiter
	LoginLimit   keyway.RateLimit
	AddressLimit keyway.RateLimit
	// Mail sends email without making a request wait for it; nil sends
	// none.
	Mail keyway.Mailer
	// PublicURL is where people reach Keyway; links in emails start there.
	PublicURL string
	// CodeKey keys the digests of one-time sign-in codes.
	CodeKey []byte
	// InvitationTTL is how long an invitation may wait; 7 days by default.
	InvitationTTL time.Duration
	// Firebase verifies Firebase ID tokens; nil turns Firebase sign-in off.
	Firebase keyway.FirebaseVerifier
	// SessionIdle ends a dashboard session unused this long, SessionMax
	// any session this old; DefaultSessionIdle and DefaultSessionMax when
	// zero.
	SessionIdle, SessionMax time.Duration
}

// withDefaults is p with the settings left zero at their defaults.
func (p People) withDefaults() People {
	if p.RefreshTTL <= 0 {
		p.RefreshTTL = 30 * 24 * time.Hour
	}
	if p.LoginLimit.RateLimit <= 0 {
		p.LoginLimit = keyway.RateLimit{RateLimit: 10, RateLimitTTL: SigninWindow}
	}
	if p.InvitationTTL <= 0 {
		p.InvitationTTL = keyway.DefaultInvitationTTL
	}
	if p.SessionIdle <= 0 {
		p.SessionIdle = DefaultSessionIdle
	}
	if p.SessionMax <= 0 {
		p.SessionMax = DefaultSessionMax
	}
	return p
}

// Signup creates a user. Without an invitation the user gets an account of
// their own and is its admin; with one, the user joins the inviting account
// with the invited role.
func (s *Service) Signup(ctx context.Context, in *keyway.Signup) error {
	p := s.people
	if err := in.Validate(); err != nil {
		return err
	}
	// A sign-up needs no credential and costs a hash: it spends the same
	// budgets as a login, per address and per email.
	if err := s.throttle(ctx, p, "signup", in.Email); err != nil {
		return err
	}
	hash, err := p.Passwords.Hash(ctx, in.Password.Reveal())
	if err != nil {
		return hashFailed(err)
	}
	now := s.now()
	u := &keyway.User{ID: newID(), Email: in.Email, Name: in.Name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	return s.join(ctx, p, u, in.AccountID, in.InvitationID)
}

// join stores a new user: into the account of their invitation, or else
// into an account of their own.
func (s *Service) join(ctx context.Context, p *People, u *keyway.User, accountID, invitationID string) error {
	if invitationID == "" {
		if accountID != "" {
			// An account is joined by invitation only.
			return keyway.Invalid("accountId is accepted only with invitationId")
		}
		audit := keyway.Audit{CreatedBy: u.ID, CreatedByType: keyway.ActorUser, CreatedIn: s.Region, LastChangedBy: u.ID, LastChangedByType: keyway.ActorUser}
		a := &keyway.Account{ID: newID(), Name: u.Name + "'s account", IsActive: true, Audit: audit, CreatedAt: u.CreatedAt, UpdatedAt: u.CreatedAt}
		return p.Store.CreateUserWithAccount(ctx, u, a)
	}
	inv, err := s.invitationFor(ctx, p, invitationID, u)
	if err != nil {
		return err
	}
	if accountID != "" && accountID != inv.AccountID {
		return keyway.Invalid("accountId does not match the invitation")
	}
	return p.Groups.AcceptInvitation(ctx, inv.ID, u, true, s.acceptedNotice(inv, u), s.clock.Now())
}

// invitationFor loads an invitation for the person it was sent to, who is
// about to accept it. Anyone else is told it does not exist.
func (s *Service) invitationFor(ctx context.Context, p *People, id string, u *keyway.User) (*keyway.Invitation, error) {
	inv, err := p.Groups.Invitation(ctx, id)
	if err != nil {
		return nil, err
	}
	if inv.Email != u.Email {
		return nil, keyway.ErrInvitationNotFound
	}
	// An invitation into a deleted account leads nowhere.
	if a, err := s.store.Account(ctx, inv.AccountID); err != nil || !a.IsActive {
		if err != nil && !errors.Is(err, keyway.ErrAccountNotFound) {
			return nil, err
		}
		return nil, keyway.ErrInvitationNotFound
	}
	inv.Settle(s.clock.Now())
	if inv.Status != keyway.InvitationPending {
		return nil, keyway.ErrInvitationNotPending
	}
	return inv, nil
}

func (s *Service) acceptedNotice(inv *keyway.Invitation, u *keyway.User) *keyway.Notification {
	return &keyway.Notification{
		Type: "invitation.accepted", Title: "Invitation accepted",
		Message:   fmt.Sprintf("%s (%s) accepted the invitation and joined as %s.", u.Name, u.Email, inv.Role),
		AccountID: inv.AccountID, CreatedAt: s.now(),
	}
}

// Login exchanges an email and password for tokens. A wrong password and
// an unknown email answer alike, and take alike.
func (s *Service) Login(ctx context.Context, in *keyway.Login) (keyway.Tokens, error) {
	p := s.people
	u, err := s.checkLogin(ctx, p, in)
	if err != nil {
		return keyway.Tokens{}, err
	}
	return s.issueTokens(ctx, p, u.ID, newFamily())
}

// checkLogin is the one check of an email and password, for tokens
// (Login), a dashboard session and a password change alike: they spend
// the same "login" budget, queue for the same hashing slots, and a wrong
// password and an unknown email answer alike (ErrUnauthorized) and take
// alike, the unknown one checked against the decoy hash.
func (s *Service) checkLogin(ctx context.Context, p *People, in *keyway.Login) (*keyway.User, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if err := s.throttle(ctx, p, "login", in.Email); err != nil {
		return nil, err
	}
	// The place in the hashing queue comes first: a login refused for
	// want of one costs no database read.
	turn, err := p.Passwords.ReserveCheck()
	if err != nil {
		return nil, hashFailed(err)
	}
	defer turn.Release()
	u, err := p.Store.UserByEmail(ctx, in.Email)
	if err != nil && !errors.Is(err, keyway.ErrUserNotFound) {
		return nil, err
	}
	stored := s.decoyHash
	if u != nil && u.PasswordHash != "" {
		stored = u.PasswordHash
	} else {
		// A user who signed in only through Firebase has no password.
		u = nil
	}
	ok, err := turn.Check(ctx, in.Password.Reveal(), stored)
	if err != nil {
		return nil, hashFailed(fmt.Errorf("check password: %w", err))
	}
	if !ok || u == nil {
		return nil, keyway.ErrUnauthorized
	}
	return u, nil
}

// newFamily names a new refresh-token family: the chain of tokens (and
// the dashboard session, if any) that one sign-in starts.
func newFamily() string { return keycrypt.RandomString(24) }

// busyRetry is the Retry-After of a sign-in refused because every hashing
// slot and queue place is taken: the queue drains in a fraction of that.
const busyRetry = time.Second

// hashFailed maps a Hasher error to the caller's answer: a full queue is
// 429 with a time to wait (the sign-in throttle's answer; a 5xx would be
// logged as a server failure for every refused anonymous request), a
// client gone while waiting stays context.Canceled, anything else is a
// server failure.
func hashFailed(err error) error {
	switch {
	case errors.Is(err, keyway.ErrPasswordBusy):
		return &keyway.Error{Code: keyway.CodeRateLimited, Message: "Too many requests", RetryAfter: busyRetry, Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return keyway.Internal(err)
}

// RefreshTokens spends a refresh token for a new pair; a replayed one
// revokes its family (the store's decision) and answers 401.
func (s *Service) RefreshTokens(ctx context.Context, in *keyway.TokenRefresh) (keyway.Tokens, error) {
	p := s.people
	if err := in.Validate(); err != nil {
		return keyway.Tokens{}, err
	}
	digest, err := keycrypt.RefreshDigest(in.RefreshToken.Reveal())
	if err != nil {
		return keyway.Tokens{}, keyway.ErrUnauthorized
	}
	userID, family, err := p.Store.UseRefreshToken(ctx, digest, s.clock.Now())
	if err != nil {
		return keyway.Tokens{}, err
	}
	return s.issueTokens(ctx, p, userID, family)
}

// throttle spends one attempt of a sign-in action (signup, login,
// email-otc, validate-login-code) for the client's address, shared by all
// of them, and, when given, for the email it names in that action; past
// either limit it answers 429 with the time to wait. Successful and failed
// attempts count alike, so the limits are ceilings on guesses either way.
func (s *Service) throttle(ctx context.Context, p *People, action, email string) error {
	if p.Limiter == nil {
		return nil
	}
	if ip := keyway.ClientAddress(ctx); ip != "" {
		if err := s.spend(ctx, p, "address:"+ip, p.AddressLimit); err != nil {
			return err
		}
	}
	if email != "" {
		return s.spend(ctx, p, action+":"+email, p.LoginLimit)
	}
	return nil
}

func (s *Service) spend(ctx context.Context, p *People, subject string, limit keyway.RateLimit) error {
	now := s.clock.Now()
	r, err := p.Limiter.Take(ctx, keycrypt.HashKey("throttle:"+subject), limit, now)
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
	refresh, digest := keycrypt.NewRefreshToken()
	now := s.clock.Now()
	if err := p.Store.CreateRefreshToken(ctx, digest, userID, family, now, now.Add(p.RefreshTTL)); err != nil {
		return keyway.Tokens{}, err
	}
	return keyway.Tokens{AccessToken: keyway.Token(access), RefreshToken: keyway.Token(refresh), TokenType: "Bearer", ExpiresIn: int(ttl / time.Second)}, nil
}

// UserCaller resolves a user token to its caller, with the user's roles in
// active accounts as its grants.
func (s *Service) UserCaller(ctx context.Context, token string) (*keyway.Caller, error) {
	p := s.people
	userID, err := p.Tokens.Verify(token)
	if err != nil {
		return nil, err
	}
	return s.userCaller(ctx, p, userID)
}

// userCaller is the caller a signed-in user acts as, whichever credential
// (token or session) signed them in: their roles are read afresh.
func (s *Service) userCaller(ctx context.Context, p *People, userID string) (*keyway.Caller, error) {
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
	return keyway.UserCaller(u, roles), nil
}

// CallerRoles answers GET /user-roles: the caller's roles, in one account
// when accountID is given. An access key holds the role it acts with.
func (s *Service) CallerRoles(ctx context.Context, c *keyway.Caller, accountID string) ([]keyway.UserRole, error) {
	if accountID != "" && !c.InAccount(accountID) {
		return nil, keyway.ErrForbidden
	}
	actor, _ := c.Actor()
	out := []keyway.UserRole{}
	for _, g := range c.Grants {
		if accountID != "" && g.AccountID != accountID {
			continue
		}
		r := keyway.UserRole{UserID: actor, AccountID: g.AccountID, Role: g.Role}
		if g.ProjectID != "" {
			project := g.ProjectID
			r.ProjectID = &project
		}
		out = append(out, r)
	}
	return out, nil
}

// RenameUser renames a user: oneself, or a member of an account the caller
// administers. A teammate the caller may not rename is 403, anyone else
// 404; access keys, which act for programs rather than people, are 403.
func (s *Service) RenameUser(ctx context.Context, c *keyway.Caller, id string, in *keyway.Rename) (*keyway.User, error) {
	p := s.people
	if c.User == nil {
		return nil, keyway.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if id != c.User.ID {
		if err := s.administers(ctx, p, c, id); err != nil {
			return nil, err
		}
	}
	return p.Store.RenameUser(ctx, id, in.Name, s.now())
}

// administers checks the caller is an account-wide admin of an account the
// user belongs to. A teammate the caller sees but does not administer is
// 403; anyone else is 404.
func (s *Service) administers(ctx context.Context, p *People, c *keyway.Caller, userID string) error {
	roles, err := p.Store.UserRoles(ctx, userID)
	if err != nil {
		return err
	}
	seen := false
	for _, r := range roles {
		if c.Can(keyway.RoleAdmin, r.AccountID, "") {
			return nil
		}
		if r.ProjectID == nil && c.InAccount(r.AccountID) || r.ProjectID != nil && c.Role(r.AccountID, *r.ProjectID) != "" {
			seen = true
		}
	}
	if seen {
		return keyway.ErrForbidden
	}
	return keyway.ErrUserNotFound
}
