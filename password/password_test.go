package password

import (
	"strings"
	"testing"
)

// fast keeps the tests quick; the format and the checks are the same.
var fast = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashAndCheck(t *testing.T) {
	h, err := Hash("correct horse battery", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q", h)
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		ok, err := Check(pw, h)
		if err != nil || ok != want {
			t.Errorf("Check(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	h2, _ := Hash("correct horse battery", fast)
	if h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestDefaultParamsVerify(t *testing.T) {
	h, err := Hash("a password of some length", Default)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("default hash %q", h)
	}
	if ok, err := Check("a password of some length", h); !ok || err != nil {
		t.Fatalf("Check = %v, %v", ok, err)
	}
}

func TestMalformedHashes(t *testing.T) {
	good, _ := Hash("password123", fast)
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":         "",
		"bcrypt":        "$2a$10$abcdefghijklmnopqrstuv",
		"argon2i":       strings.Replace(good, "argon2id", "argon2i", 1),
		"old version":   strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":   strings.Replace(good, "m=64", "m=99999999", 1),
		"zero passes":   strings.Replace(good, "t=1", "t=0", 1),
		"bad salt":      strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"),
		"short key":     strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
		"missing field": strings.Join(parts[:5], "$"),
	} {
		if ok, err := Check("password123", h); ok || err != ErrMalformed {
			t.Errorf("%s: Check = %v, %v; want false, ErrMalformed", name, ok, err)
		}
	}
}
