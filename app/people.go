package app

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/firebase"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/mailer"
	"github.com/keywayhq/keyway/password"
	"github.com/keywayhq/keyway/service"
)

// people configures sign-in and email. Without SMTP, email goes to the log
// with its secrets masked, except in the embedded default, where a person
// trying Keyway on their machine reads the sign-in code there.
func (a *App) people(embedded bool, secret []byte) (service.People, error) {
	var sender mailer.Sender = mailer.LogSender{Log: a.log, ShowSecrets: embedded && a.cfg.DatabaseURL == ""}
	if a.cfg.SMTPURL != "" {
		smtp, err := mailer.NewSMTP(a.cfg.SMTPURL, a.cfg.MailFrom)
		if err != nil {
			return service.People{}, fmt.Errorf("KEYWAY_SMTP_URL: %w", err)
		}
		sender = smtp
	}
	queue := mailer.NewQueue(sender, mailer.QueueOptions{Log: a.log})
	a.closers = append(a.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return queue.Close(ctx)
	})
	codeKey, err := keycrypt.DeriveKey(secret, "login-code")
	if err != nil {
		return service.People{}, err
	}
	hasher := password.NewHasher(password.Default, a.cfg.PasswordHashSlots)
	a.log.Info("password hashing bounded", "slots", hasher.Slots(), "queue", hasher.Queue(), "maxMemoryMiB", hasher.MaxMemory()>>20)
	p := service.People{
		Passwords: hasher, Mail: queue, CodeKey: codeKey,
		PublicURL:    cmp.Or(a.cfg.PublicURL, "http://"+a.listener.Addr().String()),
		AddressLimit: keyway.RateLimit{RateLimit: a.cfg.SigninAddressLimit, RateLimitTTL: service.SigninWindow},
		SessionIdle:  a.cfg.UISessionIdle, SessionMax: a.cfg.UISessionMax,
	}
	if a.cfg.FirebaseProjectID != "" {
		v, err := firebase.New(firebase.Options{ProjectID: a.cfg.FirebaseProjectID, CertsURL: a.cfg.FirebaseCertsURL, Now: a.clock.Now})
		if err != nil {
			return service.People{}, fmt.Errorf("KEYWAY_FIREBASE_PROJECT_ID: %w", err)
		}
		p.Firebase = v
	}
	return p, nil
}
