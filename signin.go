package keyway

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
)

// Role is what a person may do in an account (CONTRACT.md "Management
// authentication"): a viewer reads, a user also manages API keys and
// webhooks, an admin manages everything of the account.
type Role string

const (
	RoleAdmin  Role = "admin"
	RoleUser   Role = "user"
	RoleViewer Role = "viewer"
)

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleUser:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// AtLeast reports whether r includes everything need may do.
func (r Role) AtLeast(need Role) bool { return r.rank() >= need.rank() && r.rank() > 0 }

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// User is a person who signs in.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	// PasswordHash is an argon2id PHC string; never shown.
	PasswordHash string `json:"-"`
	CreatedAt    Time   `json:"createdAt"`
	UpdatedAt    Time   `json:"updatedAt"`
}

// UserRole is one role of a user in an account, narrowed to a project when
// ProjectID is set.
type UserRole struct {
	UserID    string  `json:"userId"`
	AccountID string  `json:"accountId"`
	ProjectID *string `json:"projectId"`
	Role      Role    `json:"role"`
}

// NormalizeEmail lower-cases and trims an address, so one person is one
// account however they type it.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// MinPasswordLen is the shortest password accepted at signup.
const MinPasswordLen = 10

// MaxPasswordLen bounds the work of hashing one.
const MaxPasswordLen = 256

func (p *problems) email(v string) {
	a, err := mail.ParseAddress(v)
	if v == "" {
		p.add("email should not be empty")
	} else if err != nil || a.Address != v || len(v) > 254 {
		p.add("email must be an email")
	}
}

// Signup is the body of POST /auth/signup.
type Signup struct {
	Email        string   `json:"email"`
	Password     Password `json:"password"`
	Name         string   `json:"name"`
	AccountID    string   `json:"accountId,omitempty"`
	InvitationID string   `json:"invitationId,omitempty"`
}

func (in *Signup) Validate() error {
	var p problems
	in.Email = NormalizeEmail(in.Email)
	p.email(in.Email)
	p.password("password", in.Password)
	p.name("name", in.Name)
	return p.err()
}

// password checks a new password (signup, setup, change, reset) against
// the one length rule.
func (p *problems) password(field string, v Password) {
	switch n := len(v); {
	case n < MinPasswordLen:
		p.add("%s must be longer than or equal to %d characters", field, MinPasswordLen)
	case n > MaxPasswordLen:
		p.add("%s must be shorter than or equal to %d characters", field, MaxPasswordLen)
	}
}

// Login is the body of POST /auth/login.
type Login struct {
	Email    string   `json:"email"`
	Password Password `json:"password"`
}

func (in *Login) Validate() error {
	var p problems
	in.Email = NormalizeEmail(in.Email)
	if in.Email == "" {
		p.add("email should not be empty")
	}
	if in.Password == "" {
		p.add("password should not be empty")
	}
	return p.err()
}

// TokenRefresh is the body of POST /auth/refresh-access-token.
type TokenRefresh struct {
	AccessToken  Token `json:"access_token"`
	RefreshToken Token `json:"refresh_token"`
}

func (in *TokenRefresh) Validate() error {
	var p problems
	// Both are required (UserAccessTokenDto), though only the refresh
	// token is spent: the access token may have expired long ago.
	if in.AccessToken == "" {
		p.add("access_token should not be empty")
	}
	if in.RefreshToken == "" {
		p.add("refresh_token should not be empty")
	}
	return p.err()
}

// Tokens is the answer of login and refresh.
type Tokens struct {
	AccessToken  Token  `json:"access_token"`
	RefreshToken Token  `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// UserStore persists people, their roles and their refresh tokens.
type UserStore interface {
	// CreateUserWithAccount creates a user, a new account and the user's
	// admin role in it, in one transaction; a taken email is CodeConflict.
	CreateUserWithAccount(ctx context.Context, u *User, a *Account) error
	UserByEmail(ctx context.Context, email string) (*User, error)
	User(ctx context.Context, id string) (*User, error)
	UserRoles(ctx context.Context, userID string) ([]UserRole, error)
	RenameUser(ctx context.Context, id, name string, at Time) (*User, error)
	// CreateRefreshToken stores a refresh token's digest in a family (the
	// chain of rotations from one login).
	CreateRefreshToken(ctx context.Context, digest [32]byte, userID, family string, created, expires time.Time) error
	// UseRefreshToken spends a refresh token once. A token used before,
	// revoked or expired is ErrUnauthorized, and a reused one revokes its
	// whole family: whoever holds the stolen chain is cut off too.
	UseRefreshToken(ctx context.Context, digest [32]byte, now time.Time) (userID, family string, err error)
	// Dashboard sessions and the setup link live with the people they
	// sign in: a session is tied to a refresh-token family, and a
	// password change ends both in one transaction.
	SessionStore
	SetupStore
}

// ErrUserNotFound keeps its public wording here.
var ErrUserNotFound = Errorf(CodeNotFound, "User not found")

type clientAddressKey struct{}

// WithClientAddress records the address a request came from, for the
// per-address limits on sign-in attempts.
func WithClientAddress(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientAddressKey{}, ip)
}

// ClientAddress is the address WithClientAddress recorded, "" if none.
func ClientAddress(ctx context.Context) string {
	ip, _ := ctx.Value(clientAddressKey{}).(string)
	return ip
}

func (p *problems) role(r Role) {
	if !r.Valid() {
		p.add("role must be one of the following values: admin, user, viewer")
	}
}

// EmailOTC is the body of POST /auth/email-otc.
type EmailOTC struct {
	Email string `json:"email"`
}

func (in *EmailOTC) Validate() error {
	var p problems
	in.Email = NormalizeEmail(in.Email)
	p.email(in.Email)
	return p.err()
}

// LoginCode is the body of POST /auth/validate-login-code.
type LoginCode struct {
	Code OneTimeCode `json:"code"`
}

func (in *LoginCode) Validate() error {
	var p problems
	p.code(in.Code)
	return p.err()
}

// code checks a presented one-time code's length.
func (p *problems) code(c OneTimeCode) {
	if c == "" {
		p.add("code should not be empty")
	} else if len(c) > 64 {
		p.add("code must be shorter than or equal to 64 characters")
	}
}

// FirebaseSignup is the body of POST /auth/add-user-from-firebase.
type FirebaseSignup struct {
	IDToken      Token  `json:"idToken"`
	AccountID    string `json:"accountId,omitempty"`
	InvitationID string `json:"invitationId,omitempty"`
}

func (in *FirebaseSignup) Validate() error {
	var p problems
	if in.IDToken == "" {
		p.add("idToken should not be empty")
	}
	p.id("accountId", in.AccountID)
	p.id("invitationId", in.InvitationID)
	return p.err()
}

// FirebaseIdentity is who a verified Firebase ID token says the bearer is.
type FirebaseIdentity struct {
	UID, Email    string
	EmailVerified bool
	Name          string
}

// ErrInvalidFirebaseToken: the token is forged, expired, malformed or for
// another project; a sign-in with it answers 401. Any other error of a
// FirebaseVerifier means the check itself could not be made.
var ErrInvalidFirebaseToken = errors.New("firebase: invalid ID token")

// FirebaseVerifier checks a Firebase ID token (firebase.Verifier).
type FirebaseVerifier interface {
	Verify(ctx context.Context, idToken string) (FirebaseIdentity, error)
}

// TokenIssuer signs and checks the access tokens people sign in with
// (usertoken.Issuer).
type TokenIssuer interface {
	// Issue returns an access token for a user and how long it lives.
	Issue(userID string) (token string, ttl time.Duration, err error)
	// Verify returns the user a token was issued to; any token it does
	// not accept is ErrUnauthorized.
	Verify(token string) (userID string, err error)
}

// ErrPasswordBusy means every password hashing slot is taken and the queue
// behind them is full: the caller should answer "try again shortly"
// instead of waiting.
var ErrPasswordBusy = errors.New("password: too many password hashes at once")

// PasswordHasher hashes and checks passwords a bounded number at a time
// (password.Hasher); past its queue it refuses at once with
// ErrPasswordBusy.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	// ReserveCheck takes a place in the queue for one Check before the
	// work leading to it (a login's database read), so that a refused
	// request costs nothing else.
	ReserveCheck() (PasswordCheck, error)
}

// PasswordCheck is a reserved place for checking one password. It serves
// once; Release after Check does nothing, so a deferred Release is safe.
type PasswordCheck interface {
	Check(ctx context.Context, password, stored string) (bool, error)
	Release()
}
