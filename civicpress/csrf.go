package civicpress

import "github.com/civicpress/civicpress-go/internal/secrets"

// CSRFToken mints a CSRF token in upstream's format ("<64 hex>.<64 hex
// HMAC-SHA256>" under the project's CSRF key). Like upstream it is
// stateless and not bound to a session, so a token minted by either
// implementation from the same root secret verifies in the other.
func (c *Core) CSRFToken() string {
	tok, _ := c.secret.Signer(secrets.CSRFSigning).Mint()
	return tok
}

// VerifyCSRFToken reports whether tok was minted by CSRFToken (here or by an
// upstream process sharing the root secret).
func (c *Core) VerifyCSRFToken(tok string) bool {
	_, ok := c.secret.Signer(secrets.CSRFSigning).Verify(tok)
	return ok
}
