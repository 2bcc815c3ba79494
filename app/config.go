package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/keywayhq/keyway/service"
	"github.com/keywayhq/keyway/verify"
	"github.com/keywayhq/keyway/webhook"
)

// Config is every setting of `keyway serve`. The struct tags are read by
// kong in cmd/keyway: flags win over environment variables.
type Config struct {
	Addr                 string        `default:"${Addr}" env:"KEYWAY_ADDR" help:"Address to listen on."`
	DataDir              string        `default:"${DataDir}" env:"KEYWAY_DATA_DIR" help:"Directory for the embedded database and generated secret."`
	DatabaseURL          string        `env:"KEYWAY_DATABASE_URL" help:"sqlite:///abs/path.db (default: keyway.db in the data dir)."`
	DatabaseMaxConns     int           `env:"KEYWAY_DATABASE_MAX_CONNS" help:"Connections to the database, kept open and reused (default: 16 on PostgreSQL; SQLite readers: max(4, cores))."`
	LogLevel             string        `default:"${LogLevel}" enum:"debug,info,warn,error" env:"KEYWAY_LOG_LEVEL" help:"debug, info, warn or error."`
	RedisURL             string        `env:"KEYWAY_REDIS_URL" help:"redis://host:port/db: rate limits shared by all nodes and cross-node cache invalidation (optional)."`
	RedisOutage          string        `default:"${RedisOutage}" enum:"open,closed" env:"KEYWAY_REDIS_OUTAGE" help:"When Redis is unreachable: open (rate limits hold per node) or closed (rate-limited keys answer 503)."`
	WebhookRetryBase     time.Duration `default:"${WebhookRetryBase}" env:"KEYWAY_WEBHOOK_RETRY_BASE" help:"First delay before retrying a failed webhook delivery; it doubles per attempt."`
	WebhookRetryMax      time.Duration `default:"${WebhookRetryMax}" env:"KEYWAY_WEBHOOK_RETRY_MAX" help:"Longest delay between two attempts of a delivery."`
	WebhookMaxAttempts   int           `env:"KEYWAY_WEBHOOK_MAX_ATTEMPTS" help:"Sends of one delivery before it is given up, the first included (default: enough for about 24 hours of retrying)."`
	WebhookTimeout       time.Duration `default:"${WebhookTimeout}" env:"KEYWAY_WEBHOOK_TIMEOUT" help:"How long one delivery attempt may take."`
	WebhookFailingAfter  time.Duration `default:"${WebhookFailingAfter}" env:"KEYWAY_WEBHOOK_FAILING_AFTER" help:"How long a webhook's deliveries may keep failing before it is marked failing and a notification is written."`
	WebhookAllowNetworks string        `env:"KEYWAY_WEBHOOK_ALLOW_NETWORKS" help:"Comma-separated CIDRs webhooks may reach although private or local, e.g. 127.0.0.0/8 for testing."`
	PublicURL            string        `env:"KEYWAY_PUBLIC_URL" help:"Where people reach Keyway, e.g. https://keys.example.com; links in emails start there (default: http:// and the listen address)."`
	MailFrom             string        `default:"${MailFrom}" env:"KEYWAY_MAIL_FROM" help:"From address of the email Keyway sends."`
	FirebaseProjectID    string        `env:"KEYWAY_FIREBASE_PROJECT_ID" help:"Firebase project whose ID tokens sign people in (POST /auth/add-user-from-firebase); empty turns it off."`
	FirebaseCertsURL     string        `env:"KEYWAY_FIREBASE_CERTS_URL" help:"Where the certificates that sign Firebase ID tokens are published (default: Google's)."`
	SigninAddressLimit   int           `default:"${SigninAddressLimit}" env:"KEYWAY_SIGNIN_ADDRESS_LIMIT" help:"Sign-in attempts (signup, login, email codes, password resets, setup) one client address may make per 15 minutes."`
	PasswordHashSlots    int           `env:"KEYWAY_PASSWORD_HASH_SLOTS" help:"Password hashes (argon2id, 19 MiB and a core each) computed at once; 4 more per slot may wait, past that sign-ups and logins answer 429 (default: cores - 1, at least 1)."`
	ClientAddressHeader  string        `env:"KEYWAY_CLIENT_ADDRESS_HEADER" help:"Header a trusted load balancer puts the client address in (X-Forwarded-For: its last entry); empty uses the connection's address."`
	ExpiryNoticeInterval time.Duration `default:"${ExpiryNoticeInterval}" env:"KEYWAY_EXPIRY_NOTICE_INTERVAL" help:"How often to look for API keys expiring within 7 days and notify their accounts."`
	UsageFlushInterval   time.Duration `default:"${UsageFlushInterval}" env:"KEYWAY_USAGE_FLUSH_INTERVAL" help:"How often counted verifications are written to the database; a crash loses at most this much counting, a clean stop nothing."`
	UsageMaxPending      int           `default:"${UsageMaxPending}" env:"KEYWAY_USAGE_MAX_PENDING" help:"Usage rows (a key's counts in one minute) kept in memory while the database refuses them; past it the oldest minutes are rolled up into hours, then days, never dropped."`
	CacheMaxBytes        string        `default:"${CacheMaxBytes}" env:"KEYWAY_CACHE_MAX_BYTES" help:"Memory for cached API keys (about 650 bytes each), e.g. 512MiB or 4GiB; the least used keys are evicted past it."`
	CacheRefresh         time.Duration `default:"${CacheRefresh}" env:"KEYWAY_CACHE_REFRESH" help:"How long after its load a cached key's next use reloads it in the background; changes reach the cache at once anyway, this bounds staleness should one ever be missed."`
	DebugAddr            string        `env:"KEYWAY_DEBUG_ADDR" help:"Address for a separate listener serving /debug/pprof/ (e.g. 127.0.0.1:6060, or :6060 for loopback); empty: none."`
	UsageMinuteRetention time.Duration `default:"${UsageMinuteRetention}" env:"KEYWAY_USAGE_MINUTE_RETENTION" help:"How long per-minute usage is kept (0 keeps it forever)."`
	UsageHourRetention   time.Duration `default:"${UsageHourRetention}" env:"KEYWAY_USAGE_HOUR_RETENTION" help:"How long hourly usage is kept, which bounds dateGrouping=hour (0 keeps it forever)."`
	UsageDayRetention    time.Duration `default:"${UsageDayRetention}" env:"KEYWAY_USAGE_DAY_RETENTION" help:"How long daily usage is kept, which bounds day, week and month (0 keeps it forever)."`
	UISessionIdle        time.Duration `default:"${UISessionIdle}" env:"KEYWAY_UI_SESSION_IDLE" help:"How long a dashboard session may go unused before it ends."`
	UISessionMax         time.Duration `default:"${UISessionMax}" env:"KEYWAY_UI_SESSION_MAX" help:"How long after signing in a dashboard session ends, however busy."`
	// ShutdownTimeout bounds how long in-flight requests may take to finish.
	ShutdownTimeout time.Duration `default:"${ShutdownTimeout}" env:"KEYWAY_SHUTDOWN_TIMEOUT" help:"How long to wait for in-flight requests on shutdown."`
	// Secrets are read from the environment only, so they never show in a
	// process listing.
	SecretKey          string `kong:"-"`
	BootstrapAccessKey string `kong:"-"`
	// SMTPURL may hold a password.
	SMTPURL string `kong:"-"`
}

// Database creates the data dir if needed and returns it (absolute) with
// the database URL: the configured one, or SQLite in the data dir.
func (c *Config) Database() (dataDir, dbURL string, err error) {
	dataDir, err = filepath.Abs(c.DataDir)
	if err != nil {
		return "", "", fmt.Errorf("data dir: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", "", fmt.Errorf("create data dir: %w", err)
	}
	dbURL = c.DatabaseURL
	if dbURL == "" {
		dbURL = "sqlite://" + filepath.ToSlash(filepath.Join(dataDir, "keyway.db"))
	}
	return dataDir, dbURL, nil
}

// FromEnv fills the environment-only settings.
func (c *Config) FromEnv() {
	c.SecretKey = os.Getenv("KEYWAY_SECRET_KEY")
	c.BootstrapAccessKey = os.Getenv("KEYWAY_BOOTSTRAP_ACCESS_KEY")
	c.SMTPURL = os.Getenv("KEYWAY_SMTP_URL")
}

// DefaultConfig is every default of `keyway serve`, written once: the
// flags' defaults are taken from it (Vars), and code that builds a Config
// (tests, embedders) starts from it and changes what it needs.
func DefaultConfig() Config {
	return Config{
		Addr:                 "127.0.0.1:8080",
		DataDir:              "./keyway-data",
		LogLevel:             "info",
		RedisOutage:          "open",
		WebhookRetryBase:     5 * time.Second,
		WebhookRetryMax:      time.Hour,
		WebhookTimeout:       webhook.DefaultTimeout,
		WebhookFailingAfter:  webhook.DefaultFailingAfter,
		MailFrom:             "keyway@localhost",
		SigninAddressLimit:   100,
		ExpiryNoticeInterval: time.Hour,
		UsageFlushInterval:   10 * time.Second,
		UsageMaxPending:      verify.DefaultMaxPending,
		CacheMaxBytes:        humanize.IBytes(verify.DefaultMaxBytes),
		CacheRefresh:         verify.DefaultRefreshInterval,
		UsageMinuteRetention: 48 * time.Hour,
		UsageHourRetention:   90 * 24 * time.Hour,
		ShutdownTimeout:      30 * time.Second,
		UISessionIdle:        service.DefaultSessionIdle,
		UISessionMax:         service.DefaultSessionMax,
	}
}

// Vars are DefaultConfig's values as the flag parser's variables: a field
// whose tag says default:"${Name}" takes DefaultConfig().Name.
func Vars() map[string]string {
	d := reflect.ValueOf(DefaultConfig())
	vars := map[string]string{}
	for i := range d.NumField() {
		f, v := d.Type().Field(i), d.Field(i)
		if !strings.HasPrefix(f.Tag.Get("default"), "${") {
			continue
		}
		switch x := v.Interface().(type) {
		case time.Duration:
			vars[f.Name] = shortDuration(x)
		case int:
			vars[f.Name] = strconv.Itoa(x)
		case string:
			vars[f.Name] = x
		default:
			panic(fmt.Sprintf("app: Config.%s: no flag form for %T", f.Name, x))
		}
	}
	return vars
}

// shortDuration writes 1h rather than time.Duration's 1h0m0s, for --help.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// check refuses settings no node can run with, before anything opens. A
// Config built in code starts from DefaultConfig, so a zero here was set,
// not forgotten.
func (c *Config) check() error {
	for _, s := range []struct {
		env, want string
		ok        bool
	}{
		{"KEYWAY_USAGE_FLUSH_INTERVAL", "must be positive", c.UsageFlushInterval > 0},
		{"KEYWAY_EXPIRY_NOTICE_INTERVAL", "must be positive", c.ExpiryNoticeInterval > 0},
		{"KEYWAY_WEBHOOK_FAILING_AFTER", "must be positive", c.WebhookFailingAfter > 0},
		{"KEYWAY_SIGNIN_ADDRESS_LIMIT", "must be positive", c.SigninAddressLimit > 0},
		{"KEYWAY_USAGE_MAX_PENDING", "must be positive", c.UsageMaxPending > 0},
		{"KEYWAY_CACHE_REFRESH", "must not be negative", c.CacheRefresh >= 0},
		{"KEYWAY_DATABASE_MAX_CONNS", "must not be negative", c.DatabaseMaxConns >= 0},
		{"KEYWAY_PASSWORD_HASH_SLOTS", "must not be negative", c.PasswordHashSlots >= 0},
		{"KEYWAY_UI_SESSION_IDLE", "must be positive", c.UISessionIdle > 0},
		{"KEYWAY_UI_SESSION_MAX", "must be positive", c.UISessionMax > 0},
	} {
		if !s.ok {
			return fmt.Errorf("%s %s", s.env, s.want)
		}
	}
	if c.WebhookRetryBase <= 0 || c.WebhookRetryMax < c.WebhookRetryBase || c.WebhookTimeout <= 0 || c.WebhookMaxAttempts < 0 {
		return errors.New("webhook settings: retry base, timeout and attempts must be positive, and retry max at least the base")
	}
	if _, err := c.cacheBytes(); err != nil {
		return err
	}
	return nil
}

// cacheBytes is CacheMaxBytes parsed.
func (c *Config) cacheBytes() (uint64, error) {
	n, err := humanize.ParseBytes(c.CacheMaxBytes)
	if err != nil || n < 1<<20 || n > 1<<40 {
		return 0, fmt.Errorf("KEYWAY_CACHE_MAX_BYTES %q: want a size from 1MiB to 1TiB, like 512MiB", c.CacheMaxBytes)
	}
	return n, nil
}
