package service

import (
	"context"

	"github.com/keywayhq/keyway"
)

// ChangePassword sets a signed-in person's new password, given their
// current one. Users only: an access key or MCP token is 403. A wrong
// current password is ErrUnauthorized, checked by Login's own check
// (throttle, hashing queue). Every session and refresh-token family of the
// user ends, this one included: whoever else held a sign-in is out.
func (s *Service) ChangePassword(ctx context.Context, c *keyway.Caller, in *keyway.PasswordChange) error {
	p := s.people
	if c.User == nil {
		return keyway.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return err
	}
	u, err := s.checkLogin(ctx, p, &keyway.Login{Email: c.User.Email, Password: in.Current})
	if err != nil {
		return err
	}
	return s.setPassword(ctx, p, u.ID, in.New)
}

// setPassword hashes a new password and stores it, ending every session
// and refresh-token family of the user in the same transaction.
func (s *Service) setPassword(ctx context.Context, p *People, userID string, pw keyway.Password) error {
	hash, err := p.Passwords.Hash(ctx, pw.Reveal())
	if err != nil {
		return hashFailed(err)
	}
	return p.Store.SetPassword(ctx, userID, hash, s.clock.Now())
}

// resetPurpose binds a password-reset code to its email, so its digest is
// never a sign-in code's: a sign-in code cannot reset a password, nor a
// reset code sign anyone in, nor one person's code reset another's.
func resetPurpose(email string) string { return "password-reset\x00" + email + "\x00" }

// RequestPasswordReset is POST /auth/forgot-password: mail a one-time
// code that resets the password of the user an email names. The answer is
// the same whether or not the email belongs to anyone.
func (s *Service) RequestPasswordReset(ctx context.Context, in *keyway.EmailOTC) error {
	return s.mailCode(ctx, s.people, in, codeMail{
		action: "forgot-password", subject: "Reset your Keyway password", reset: true,
		text: "Your password reset code is %s\n\nIt works once, for the next %d minutes. " +
			"If you did not ask for it, ignore this email: your password stays as it is.\n",
	})
}

// ResetPassword is POST /auth/reset-password: a reset code, spent once,
// sets a new password and ends every session and refresh-token family of
// the user. A wrong, used or expired code, or one for another email, is
// ErrUnauthorized. The code is checked before any hashing, so a guesser's
// attempts cost a throttle step and one read each.
func (s *Service) ResetPassword(ctx context.Context, in *keyway.PasswordReset) error {
	p := s.people
	if err := in.Validate(); err != nil {
		return err
	}
	if err := s.throttle(ctx, p, "reset-password", in.Email); err != nil {
		return err
	}
	userID, err := p.Groups.UseLoginCode(ctx, s.codeDigest(p, resetPurpose(in.Email), mailedCode(in.Code)), s.clock.Now())
	if err != nil {
		return err
	}
	return s.setPassword(ctx, p, userID, in.Password)
}
