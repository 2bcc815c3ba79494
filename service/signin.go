package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// A one-time sign-in code: 10 characters from an alphabet without look-alikes
// (no 0/O, 1/I/L), about 50 bits, alive 10 minutes and spendable once. The
// per-address limit on validation leaves a guesser nowhere near that.
const (
	codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	codeLen      = 10
	codeTTL      = 10 * time.Minute
)

// EmailLoginCode is POST /auth/email-otc: mail a one-time code to a user.
// The answer is the same whether or not the email belongs to anyone.
func (s *Service) EmailLoginCode(ctx context.Context, in *keyway.EmailOTC) error {
	return s.mailCode(ctx, s.people, in, codeMail{
		action: "email-otc", subject: "Your Keyway sign-in code",
		text: "Your sign-in code is %s\n\nIt works once, for the next %d minutes. " +
			"If you did not ask for it, ignore this email.\n",
	})
}

// codeMail is what one kind of one-time code is for: the throttle's
// action, its email, and the purpose its digest is bound to.
type codeMail struct {
	action, subject string
	// text is the email's body, with the code and its minutes to fill in.
	text string
	// reset binds the code to a password reset of its email: its digest
	// differs from a sign-in code's, so neither spends as the other.
	reset bool
}

// mailCode mails a one-time code of one kind to the user an email names;
// the answer is the same whether or not the email belongs to anyone.
func (s *Service) mailCode(ctx context.Context, p *People, in *keyway.EmailOTC, m codeMail) error {
	if err := in.Validate(); err != nil {
		return err
	}
	if err := s.throttle(ctx, p, m.action, in.Email); err != nil {
		return err
	}
	u, err := p.Store.UserByEmail(ctx, in.Email)
	if errors.Is(err, keyway.ErrUserNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	code := keycrypt.RandomFrom(codeAlphabet, codeLen)
	now := s.clock.Now()
	purpose := ""
	if m.reset {
		purpose = resetPurpose(u.Email)
	}
	if err := p.Groups.CreateLoginCode(ctx, s.codeDigest(p, purpose, code), u.ID, now, now.Add(codeTTL)); err != nil {
		return err
	}
	if p.Mail != nil {
		shown := code[:5] + "-" + code[5:]
		p.Mail.Enqueue(keyway.MailMessage{
			To: u.Email, Subject: m.subject,
			Text:    fmt.Sprintf(m.text, shown, int(codeTTL/time.Minute)),
			Secrets: []string{shown},
		})
	}
	return nil
}

// ValidateLoginCode is POST /auth/validate-login-code: a code spent once
// for tokens, as a login gives.
func (s *Service) ValidateLoginCode(ctx context.Context, in *keyway.LoginCode) (keyway.Tokens, error) {
	p := s.people
	userID, err := s.spendLoginCode(ctx, p, in)
	if err != nil {
		return keyway.Tokens{}, err
	}
	return s.issueTokens(ctx, p, userID, newFamily())
}

// spendLoginCode is the one check of a sign-in code, for tokens and a
// dashboard session alike: the same throttle, spent once.
func (s *Service) spendLoginCode(ctx context.Context, p *People, in *keyway.LoginCode) (string, error) {
	if err := in.Validate(); err != nil {
		return "", err
	}
	if err := s.throttle(ctx, p, "validate-login-code", ""); err != nil {
		return "", err
	}
	return p.Groups.UseLoginCode(ctx, s.codeDigest(p, "", mailedCode(in.Code)), s.clock.Now())
}

// mailedCode reads a code forgivingly: case, spaces and the dash of the
// mailed form do not matter.
func mailedCode(c keyway.OneTimeCode) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(c.Reveal()))
}

// codeDigest keys the digest so a copy of the database alone cannot try
// the code space offline. purpose is "" for sign-in codes (their digests
// predate purposes) and resetPurpose's for password resets.
func (s *Service) codeDigest(p *People, purpose, code string) []byte {
	m := hmac.New(sha256.New, p.CodeKey)
	m.Write([]byte(purpose))
	m.Write([]byte(code))
	return m.Sum(nil)
}

// FirebaseSignIn is POST /auth/add-user-from-firebase: a verified Firebase
// identity becomes a Keyway user (joining the invitation's account, or an
// account of their own), or signs in the user who already has its email.
// Either way the answer is tokens, as a login gives.
func (s *Service) FirebaseSignIn(ctx context.Context, in *keyway.FirebaseSignup) (keyway.Tokens, error) {
	p := s.people
	if err := in.Validate(); err != nil {
		return keyway.Tokens{}, err
	}
	if p.Firebase == nil {
		return keyway.Tokens{}, keyway.Errorf(keyway.CodeNotImplemented, "Firebase sign-in is not configured (KEYWAY_FIREBASE_PROJECT_ID)")
	}
	id, err := p.Firebase.Verify(ctx, in.IDToken.Reveal())
	if errors.Is(err, keyway.ErrInvalidFirebaseToken) {
		return keyway.Tokens{}, keyway.ErrUnauthorized
	}
	if err != nil {
		return keyway.Tokens{}, &keyway.Error{Code: keyway.CodeUnavailable, Message: "Firebase certificates are unavailable", Err: err}
	}
	email := keyway.NormalizeEmail(id.Email)
	if email == "" || !id.EmailVerified {
		// An unverified address proves nothing about who holds it.
		return keyway.Tokens{}, keyway.ErrUnauthorized
	}
	u, err := p.Store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, keyway.ErrUserNotFound):
		now := s.now()
		name := strings.TrimSpace(id.Name)
		if name == "" || !keyway.ValidText(name) || len(name) > keyway.MaxNameLen {
			name, _, _ = strings.Cut(email, "@")
		}
		u = &keyway.User{ID: newID(), Email: email, Name: name, CreatedAt: now, UpdatedAt: now}
		if err := s.join(ctx, p, u, in.AccountID, in.InvitationID); err != nil {
			return keyway.Tokens{}, err
		}
	case err != nil:
		return keyway.Tokens{}, err
	case in.InvitationID != "":
		inv, err := s.invitationFor(ctx, p, in.InvitationID, u)
		if err != nil {
			return keyway.Tokens{}, err
		}
		if err := p.Groups.AcceptInvitation(ctx, inv.ID, u, false, s.acceptedNotice(inv, u), s.clock.Now()); err != nil {
			return keyway.Tokens{}, err
		}
	}
	return s.issueTokens(ctx, p, u.ID, newFamily())
}

// NotifyExpiringKeys writes a notification for every active API key that
// expires within a week and has not been noticed at its current expiry.
func (s *Service) NotifyExpiringKeys(ctx context.Context) (int, error) {
	p := s.people
	now := s.clock.Now()
	return p.Groups.NotifyExpiringKeys(ctx, now, now.Add(7*24*time.Hour), func(k *keyway.APIKey) *keyway.Notification {
		project := k.ProjectID
		return &keyway.Notification{
			Type: "api-key.expiring", Title: "API key expiring: " + k.Name,
			Message:   fmt.Sprintf("The API key %q expires at %s.", k.Name, k.ExpiresAt),
			AccountID: k.AccountID, ProjectID: &project, CreatedAt: keyway.NewTime(now),
		}
	})
}
