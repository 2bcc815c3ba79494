package keyway

import (
	"context"
	"time"
)

// SessionToken is the secret the dashboard's cookie carries (masked in logs).
type SessionToken string

// SetupToken is the secret of the first-run setup link: whoever holds it
// may create the first person, as admin of the bootstrapped account, once.
type SetupToken string

// Session is a dashboard sign-in, kept on the server so that signing out
// (or a password change) ends it on every node at once. The store keys it
// by its token's digest; the token itself is never stored.
type Session struct {
	ID     string // public id (UUIDv7), never the secret
	UserID string
	// Family is the refresh-token family the session is tied to: revoking
	// the family (a replayed refresh token, a password change) ends the
	// session, and ending the session revokes the family.
	Family     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute expiry
}

// SessionStore persists dashboard sessions by their token's digest
// (keycrypt.SessionDigest), never the token.
type SessionStore interface {
	// CreateSession stores a new session under its token's digest.
	CreateSession(ctx context.Context, digest [32]byte, s *Session) error
	// Session returns the live session a digest names: not past its
	// ExpiresAt at now, seen after idleSince, and of a family with no
	// revoked refresh token. Anything else is ErrUnauthorized.
	Session(ctx context.Context, digest [32]byte, now, idleSince time.Time) (*Session, error)
	// TouchSession records activity on a session at at; it never moves
	// LastSeenAt back.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// EndSession deletes the session a digest names and revokes its
	// refresh-token family, in one transaction. An unknown digest is no
	// error: signing out twice is signing out.
	EndSession(ctx context.Context, digest [32]byte, now time.Time) error
	// SetPassword stores a user's new password hash and, in the same
	// transaction, deletes every session of the user and revokes every
	// refresh token they hold: whoever had a sign-in is signed out.
	SetPassword(ctx context.Context, userID, hash string, now time.Time) error
	// PruneSessions deletes at most limit sessions that are past their
	// absolute expiry at now or were last seen before idleSince; it returns
	// how many it deleted.
	PruneSessions(ctx context.Context, now, idleSince time.Time, limit int) (int, error)
}

// SetupStore persists the one-time token of the first-run setup link, by
// digest only.
type SetupStore interface {
	// BootstrapWithSetup is Bootstrap that also stores a setup token's
	// digest for the new account, in the same transaction: the link is
	// printed once, so an account without it would have no way in.
	BootstrapWithSetup(ctx context.Context, a *Account, k *AccessKey, setup [32]byte) (bool, error)
	// SetupAccount is the account an unused setup token is for;
	// ErrSetupNotFound when the digest is unknown or was used.
	SetupAccount(ctx context.Context, digest [32]byte) (accountID string, err error)
	// CompleteSetup spends a setup token and creates u as admin of its
	// account, in one transaction: of two racing completions exactly one
	// wins, and the other (or a taken email) changes nothing. An unknown
	// or used token is ErrSetupNotFound.
	CompleteSetup(ctx context.Context, digest [32]byte, u *User, now time.Time) (accountID string, err error)
}

// ErrSetupNotFound answers for a setup link that does not exist or was
// used: the two are not told apart.
var ErrSetupNotFound = Errorf(CodeNotFound, "Setup link not found or already used")

// MaxTokenLen bounds a presented token before it is looked at.
const MaxTokenLen = 256

// PasswordChange is what a signed-in person sends to change their
// password.
type PasswordChange struct {
	Current Password `json:"current"`
	New     Password `json:"new"`
}

func (in *PasswordChange) Validate() error {
	var p problems
	if in.Current == "" {
		p.add("current should not be empty")
	} else if len(in.Current) > MaxPasswordLen {
		p.add("current must be shorter than or equal to %d characters", MaxPasswordLen)
	}
	p.password("new", in.New)
	return p.err()
}

// Setup is the form of the first-run setup link: the person it creates,
// validated like a signup, and the link's token.
type Setup struct {
	Token    SetupToken `json:"token"`
	Email    string     `json:"email"`
	Name     string     `json:"name"`
	Password Password   `json:"password"`
}

func (in *Setup) Validate() error {
	var p problems
	p.token("token", len(in.Token))
	in.Email = NormalizeEmail(in.Email)
	p.email(in.Email)
	p.password("password", in.Password)
	p.name("name", in.Name)
	return p.err()
}

// PasswordReset is the body of POST /auth/reset-password: the code mailed
// by POST /auth/forgot-password, and the new password.
type PasswordReset struct {
	Email    string      `json:"email"`
	Code     OneTimeCode `json:"code"`
	Password Password    `json:"password"`
}

func (in *PasswordReset) Validate() error {
	var p problems
	in.Email = NormalizeEmail(in.Email)
	p.email(in.Email)
	p.code(in.Code)
	p.password("password", in.Password)
	return p.err()
}

// token checks a presented token's length, the only thing known about it
// before it is looked up.
func (p *problems) token(field string, n int) {
	switch {
	case n == 0:
		p.add("%s should not be empty", field)
	case n > MaxTokenLen:
		p.add("%s must be shorter than or equal to %d characters", field, MaxTokenLen)
	}
}
