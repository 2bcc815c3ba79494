package keycrypt

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
)

func TestNewKeyShape(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		k := NewKey("live_")
		if !strings.HasPrefix(k, "live_") || len(k) != 5+KeyRandomLen {
			t.Fatalf("bad key %q", k)
		}
		for _, c := range k[5:] {
			if !strings.ContainsRune(alphabet, c) {
				t.Fatalf("key %q has %q outside [A-Za-z0-9]", k, c)
			}
		}
		if seen[k] {
			t.Fatalf("duplicate key %q", k)
		}
		seen[k] = true
	}
}

func TestSealOpen(t *testing.T) {
	s, err := NewSealer(NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	key := NewKey("test_")
	h := HashKey(key)
	sealed := s.Seal(key, h)
	if bytes.Contains(sealed, []byte(key)) {
		t.Fatal("sealed copy contains the plaintext key")
	}
	got, err := s.Open(sealed, h)
	if err != nil || got != key {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(sealed, HashKey("other")); err != ErrOpen {
		t.Fatalf("open with another hash: %v, want ErrOpen", err)
	}
	other, _ := NewSealer(NewSecret())
	if _, err := other.Open(sealed, h); err != ErrOpen {
		t.Fatalf("open with another secret: %v, want ErrOpen", err)
	}
	if _, err := s.Open(sealed[:3], h); err != ErrOpen {
		t.Fatalf("open truncated: %v, want ErrOpen", err)
	}
}

func TestParseSecret(t *testing.T) {
	if _, err := ParseSecret("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="); err != nil {
		t.Fatalf("valid secret: %v", err)
	}
	for _, bad := range []string{"", "not base64!!", "AAAA"} {
		if _, err := ParseSecret(bad); err == nil {
			t.Errorf("ParseSecret(%q) accepted", bad)
		}
	}
}

func TestHashKeyAllocs(t *testing.T) {
	key := NewKey("live_")
	if n := testing.AllocsPerRun(100, func() { _ = HashKey(key) }); n != 0 {
		t.Fatalf("HashKey allocates %v times", n)
	}
}

func TestDeriveKey(t *testing.T) {
	secret := NewSecret()
	a, err := DeriveKey(secret, "jwt")
	if err != nil || len(a) != 32 {
		t.Fatalf("DeriveKey = %x, %v", a, err)
	}
	again, _ := DeriveKey(secret, "jwt")
	other, _ := DeriveKey(secret, "other")
	fromOtherSecret, _ := DeriveKey(NewSecret(), "jwt")
	if !bytes.Equal(a, again) || bytes.Equal(a, other) || bytes.Equal(a, fromOtherSecret) || bytes.Equal(a, secret) {
		t.Fatal("derived keys are not stable per purpose and secret, or leak the secret")
	}
}

// AccountKeyHash is SHA-256 over "account\x00key", built on the stack or,
// past the buffer, on the heap: both must give the same digest, and the
// same key in two accounts two digests.
func TestAccountKeyHash(t *testing.T) {
	for _, tc := range []struct{ account, key string }{
		{"acc-1", "acme-prod"},
		{"019a0000-0000-7000-8000-000000000000", NewKey("live_")},
		{strings.Repeat("a", 36), strings.Repeat("k", 91)},   // 128 bytes: the short buffer exactly
		{strings.Repeat("a", 36), strings.Repeat("k", 92)},   // one past it
		{strings.Repeat("a", 127), strings.Repeat("k", 256)}, // 384 bytes: the long buffer exactly
		{strings.Repeat("a", 128), strings.Repeat("k", 256)}, // one past it
		{strings.Repeat("a", 300), strings.Repeat("k", 300)}, // far past it
	} {
		want := sha256.Sum256([]byte(tc.account + "\x00" + tc.key))
		if got := AccountKeyHash(tc.account, tc.key); got != Hash(want) {
			t.Errorf("AccountKeyHash(%d bytes, %d bytes) is not SHA-256 of account NUL key", len(tc.account), len(tc.key))
		}
	}
	if AccountKeyHash("acc-1", "acme-prod") == AccountKeyHash("acc-2", "acme-prod") {
		t.Fatal("one key string in two accounts has one digest")
	}
	if AccountKeyHash("acc-1", "acme-prod") == HashKey("acme-prod") {
		t.Fatal("the account digest is the plain key digest")
	}
	// "ab" + "c" and "a" + "bc" must not meet.
	if AccountKeyHash("ab", "c") == AccountKeyHash("a", "bc") {
		t.Fatal("the separator does not separate")
	}
}

func TestAccountKeyHashAllocates(t *testing.T) {
	account := "019a0000-0000-7000-8000-000000000000"
	for _, key := range []string{NewKey("live_"), strings.Repeat("k", 256)} { // 256: keyway.MaxCustomKeyLen
		if n := testing.AllocsPerRun(100, func() { AccountKeyHash(account, key) }); n != 0 {
			t.Fatalf("AccountKeyHash of a %d-byte key allocates %v times per call, want 0", len(key), n)
		}
	}
}

func BenchmarkHashKey(b *testing.B) {
	key := NewKey("live_")
	for b.Loop() {
		HashKey(key)
	}
}

func BenchmarkAccountKeyHash(b *testing.B) {
	account, key := "019a0000-0000-7000-8000-000000000000", NewKey("live_")
	for b.Loop() {
		AccountKeyHash(account, key)
	}
}
