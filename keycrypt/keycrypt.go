// Package keycrypt generates key strings and protects them at rest: a SHA-256
// digest to look a key up, and an AES-256-GCM sealed copy to show it again
// (the original API returns keys in lists, so they must be recoverable).
package keycrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"unsafe"
)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomString returns n characters of [A-Za-z0-9] from the CSPRNG.
func RandomString(n int) string { return RandomFrom(alphabet, n) }

// RandomFrom returns n characters of an alphabet (at most 256 single-byte
// characters) from the CSPRNG, without modulo bias: bytes at or above the
// largest multiple of the alphabet's size are redrawn.
func RandomFrom(alphabet string, n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	limit := 256 - 256%len(alphabet)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic(fmt.Sprintf("keycrypt: crypto/rand failed: %v", err))
		}
		for _, b := range buf {
			if int(b) < limit {
				out = append(out, alphabet[int(b)%len(alphabet)])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

// KeyRandomLen is the length of the random part of every generated key.
const KeyRandomLen = 64

// NewKey returns prefix followed by 64 random characters.
func NewKey(prefix string) string { return prefix + RandomString(KeyRandomLen) }

// Hash is the lookup digest of a key string.
type Hash [sha256.Size]byte

// HashKey digests a key without copying it: sha256 does not retain its
// input, so viewing the string's bytes in place is safe and keeps the
// verification path free of allocations.
func HashKey(key string) Hash {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(key), len(key)))
}

// AccountKeyHash is the digest that names an API key within its account:
// SHA-256 over the account id, a NUL and the key string. Key strings are
// unique per account, not across accounts (no tenant can learn whether
// another holds a string), so this digest, not HashKey, is the key's
// identity wherever one is needed without the account beside it: the
// verifier's cache and the invalidations between nodes. Account ids hold no
// NUL, so no two (account, key) pairs share an input. It is the one place
// that digest is computed.
//
// The verification path calls it once per request: the input is built on
// the stack (no allocation), and for a generated key (69 bytes) and an id
// of up to 49 bytes (Keyway's are 36) it stays within the two SHA-256
// blocks that HashKey of the key alone already costs.
func AccountKeyHash(accountID, key string) Hash {
	// 128 bytes fit a 36-byte id with a generated key (69) or a custom
	// one of up to 91 characters; the stack buffer is zeroed on every
	// call, so it is no larger than that.
	var buf [128]byte
	if n := len(accountID) + 1 + len(key); n <= len(buf) {
		copy(buf[copy(buf[:], accountID)+1:], key)
		return sha256.Sum256(buf[:n])
	}
	return accountKeyHashLong(accountID, key)
}

// accountKeyHashLong is AccountKeyHash for longer inputs, still without
// allocating up to the longest caller-chosen key (256) with a long id.
//
//go:noinline
func accountKeyHashLong(accountID, key string) Hash {
	var buf [384]byte
	if n := len(accountID) + 1 + len(key); n <= len(buf) {
		copy(buf[copy(buf[:], accountID)+1:], key)
		return sha256.Sum256(buf[:n])
	}
	return sha256.Sum256([]byte(accountID + "\x00" + key))
}

// Equal compares two digests in constant time.
func (h Hash) Equal(o Hash) bool { return subtle.ConstantTimeCompare(h[:], o[:]) == 1 }

// Sealer seals and opens key strings with AES-256-GCM.
type Sealer struct {
	aead cipher.AEAD
}

// SecretLen is the size of the sealing secret.
const SecretLen = 32

// NewSealer builds a Sealer from a 32-byte secret.
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) != SecretLen {
		return nil, fmt.Errorf("keycrypt: secret must be %d bytes, got %d", SecretLen, len(secret))
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, fmt.Errorf("keycrypt: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keycrypt: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// ParseSecret decodes a base64 (standard or URL, padded or not) secret.
func ParseSecret(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != SecretLen {
				return nil, fmt.Errorf("secret key must decode to %d bytes, got %d", SecretLen, len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("secret key must be base64")
}

// NewSecret returns a fresh random sealing secret.
func NewSecret() []byte {
	b := make([]byte, SecretLen)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("keycrypt: crypto/rand failed: %v", err))
	}
	return b
}

// Seal encrypts key, bound to its hash so a sealed copy cannot be moved to
// another row unnoticed. The result is nonce || ciphertext.
func (s *Sealer) Seal(key string, h Hash) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(key)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("keycrypt: crypto/rand failed: %v", err))
	}
	return s.aead.Seal(nonce, nonce, []byte(key), h[:])
}

// ErrOpen means a sealed key could not be opened: wrong secret or tampering.
var ErrOpen = errors.New("keycrypt: sealed key does not open with this secret")

// Open decrypts a sealed key and checks it against its hash.
func (s *Sealer) Open(sealed []byte, h Hash) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", ErrOpen
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], h[:])
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}

// DeriveKey derives a 32-byte key for one purpose from the sealing secret
// (HKDF-SHA256), so one configured secret can serve several uses without
// any of them revealing another's key.
func DeriveKey(secret []byte, purpose string) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, secret, nil, "keyway:"+purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("keycrypt: derive %s key: %w", purpose, err)
	}
	return k, nil
}
