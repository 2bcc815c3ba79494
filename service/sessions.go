package service

import (
	"context"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// The dashboard's sessions: a cookie names a session kept in the database,
// so that signing out or changing the password ends it on every node at
// once. Each session is tied to a refresh-token family of its own.
const (
	// DefaultSessionIdle ends a session unused for this long.
	DefaultSessionIdle = 2 * time.Hour
	// DefaultSessionMax ends any session this long after it started.
	DefaultSessionMax = 24 * time.Hour
	// sessionTouchEvery is how stale a session's LastSeenAt may get: a
	// busy page writes it at most once a minute, not on every request, so
	// idle expiry is exact to within this much.
	sessionTouchEvery = time.Minute
	// sessionPruneBatch bounds the expired sessions one start deletes, so
	// a backlog is cleared over several starts and never slows one.
	sessionPruneBatch = 100
)

// StartSessionWithPassword signs a person in to the dashboard with their
// email and password, by Login's own check (throttle, hashing queue, the
// same answer for an unknown email).
func (s *Service) StartSessionWithPassword(ctx context.Context, in *keyway.Login) (keyway.SessionToken, *keyway.Session, error) {
	p := s.people
	u, err := s.checkLogin(ctx, p, in)
	if err != nil {
		return "", nil, err
	}
	return s.startSession(ctx, p, u.ID)
}

// StartSessionWithCode signs a person in to the dashboard with a mailed
// one-time code, by ValidateLoginCode's own check.
func (s *Service) StartSessionWithCode(ctx context.Context, in *keyway.LoginCode) (keyway.SessionToken, *keyway.Session, error) {
	p := s.people
	userID, err := s.spendLoginCode(ctx, p, in)
	if err != nil {
		return "", nil, err
	}
	return s.startSession(ctx, p, userID)
}

// startSession stores a new session of a user in a new refresh-token
// family, after deleting a bounded batch of expired ones.
func (s *Service) startSession(ctx context.Context, p *People, userID string) (keyway.SessionToken, *keyway.Session, error) {
	now := s.sessionNow()
	if _, err := p.Store.PruneSessions(ctx, now, now.Add(-p.SessionIdle), sessionPruneBatch); err != nil {
		return "", nil, err
	}
	token, digest := keycrypt.NewSessionToken()
	se := &keyway.Session{ID: newID(), UserID: userID, Family: newFamily(), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(p.SessionMax)}
	if err := p.Store.CreateSession(ctx, digest, se); err != nil {
		return "", nil, err
	}
	return keyway.SessionToken(token), se, nil
}

// sessionNow is the clock's time at the store's precision (milliseconds),
// so a session returned is the session stored.
func (s *Service) sessionNow() time.Time { return time.UnixMilli(s.clock.Now().UnixMilli()).UTC() }

// SessionCaller resolves a cookie's token: ErrUnauthorized when unknown,
// ended, idle-expired or past absolute expiry, or when its family was revoked.
// It records activity (write at most once a minute per session, so a
// busy page does not write on every request). The caller is the one the
// user's access token would give: the same grants, read afresh.
func (s *Service) SessionCaller(ctx context.Context, token string) (*keyway.Caller, *keyway.Session, error) {
	p := s.people
	digest, err := keycrypt.SessionDigest(token)
	if err != nil {
		// Not a session token at all: refused without a database read.
		return nil, nil, keyway.ErrUnauthorized
	}
	now := s.sessionNow()
	se, err := p.Store.Session(ctx, digest, now, now.Add(-p.SessionIdle))
	if err != nil {
		return nil, nil, err
	}
	c, err := s.userCaller(ctx, p, se.UserID)
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(se.LastSeenAt) >= sessionTouchEvery {
		if err := p.Store.TouchSession(ctx, se.ID, now); err != nil {
			return nil, nil, err
		}
		se.LastSeenAt = now
	}
	return c, se, nil
}

// EndSession signs a session out: it is deleted and its refresh-token
// family revoked, on every node at once. Idempotent: an unknown, ended or
// malformed token is no error.
func (s *Service) EndSession(ctx context.Context, token string) error {
	digest, err := keycrypt.SessionDigest(token)
	if err != nil {
		return nil
	}
	return s.people.Store.EndSession(ctx, digest, s.clock.Now())
}
