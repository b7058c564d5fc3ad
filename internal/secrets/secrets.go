// Package secrets holds the project's root secret and derives from it the keys
// that sign opaque tokens, exactly as upstream CivicPress does, so that a token
// minted by either implementation from the same secret validates in the other.
//
// key(scope) = HKDF-SHA256(ikm = hex-decoded root, salt = "civicpress-secrets-v1",
// info = scope, 32 bytes); a presented token is "<raw hex>.<HMAC-SHA256(key, raw hex) hex>";
// the database stores SHA-256(raw hex).
package secrets

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
)

// Salt is the HKDF salt upstream uses for every derived key.
const Salt = "civicpress-secrets-v1"

// Scopes ("<scope>:<info>") of the keys upstream derives.
const (
	SessionSigning = "session:signing"
	APIKeySigning  = "api_key:signing"
	TokenSigning   = "token:signing"
	CSRFSigning    = "csrf:signing"
	WebhookSigning = "webhook:signing"
	JWTSecret      = "jwt:secret"
)

// MinHexLen is the shortest root secret accepted (32 bytes), as upstream.
const MinHexLen = 64

// ErrBadSecret reports a root secret that is not hex or is too short.
var ErrBadSecret = errors.New("secrets: root secret must be at least 64 hex characters")

// Root is a loaded root secret. It is safe for concurrent use.
type Root struct {
	ikm  []byte
	mu   sync.Mutex
	keys map[string][]byte
}

// New parses a hex root secret.
func New(hexSecret string) (*Root, error) {
	if len(hexSecret) < MinHexLen {
		return nil, ErrBadSecret
	}
	ikm, err := hex.DecodeString(hexSecret)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSecret, err)
	}
	return &Root{ikm: ikm, keys: map[string][]byte{}}, nil
}

// Generate returns a fresh root secret: 64 random bytes as 128 hex chars, as upstream generates.
func Generate() string {
	var b [64]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// Key returns the 32-byte key derived for scope (e.g. SessionSigning).
func (r *Root) Key(scope string) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k, ok := r.keys[scope]; ok {
		return k
	}
	k, err := hkdf.Key(sha256.New, r.ikm, []byte(Salt), scope, 32)
	if err != nil {
		panic(err) // only for lengths > 255*32
	}
	r.keys[scope] = k
	return k
}

// Sign returns HMAC-SHA256(Key(scope), data) as lower-case hex.
func (r *Root) Sign(scope, data string) string {
	return sign(r.Key(scope), data)
}

// Signer returns the token signer of one scope.
func (r *Root) Signer(scope string) *Signer {
	return &Signer{key: r.Key(scope)}
}

func sign(key []byte, data string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return hex.EncodeToString(m.Sum(nil))
}

// Signer mints and verifies "<raw>.<hmac>" tokens for one scope.
type Signer struct{ key []byte }

// RawLen is the length of a token's raw part (32 bytes as hex).
const RawLen = 64

// TokenLen is the length of a presented token.
const TokenLen = RawLen + 1 + 64

// Mint returns a new presented token and its raw part.
func (s *Signer) Mint() (token, raw string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	raw = hex.EncodeToString(b[:])
	return s.Seal(raw), raw
}

// Seal returns the presented form of raw.
func (s *Signer) Seal(raw string) string {
	return raw + "." + sign(s.key, raw)
}

// Verify checks a presented token's shape and signature and returns its raw part.
// Only the exact upstream shape is accepted: 64 lower-case hex, one dot,
// 64 lower-case hex. The comparison is constant-time.
func (s *Signer) Verify(token string) (raw string, ok bool) {
	if len(token) != TokenLen || token[RawLen] != '.' {
		return "", false
	}
	raw, sig := token[:RawLen], token[RawLen+1:]
	if !isLowerHex(raw) || !isLowerHex(sig) {
		return "", false
	}
	want := sign(s.key, raw)
	if subtle.ConstantTimeCompare([]byte(want), []byte(sig)) != 1 {
		return "", false
	}
	return raw, true
}

// Hash returns the stored form of a raw token: SHA-256 of its ASCII, lower-case hex.
func Hash(raw string) string {
	h := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(h[:])
}

// RandomHex returns n random bytes as lower-case hex (password-reset tokens and the like).
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
