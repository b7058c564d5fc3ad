package civicpress

import (
	"context"
	"strings"
)

// Register is public self-registration (upstream POST /users/register): it
// needs no actor, requires a username, password and e-mail, and always
// creates the account with the public role whatever the caller asks for.
// Password policy, e-mail format and uniqueness are checked as by Create.
func (us *Users) Register(ctx context.Context, in NewUser) (*User, error) {
	var missing []FieldError
	if strings.TrimSpace(in.Username) == "" {
		missing = append(missing, FieldError{"username", "Username is required"})
	}
	if in.Password == "" {
		missing = append(missing, FieldError{"password", "Password is required"})
	}
	if strings.TrimSpace(in.Email) == "" {
		missing = append(missing, FieldError{"email", "Email is required"})
	}
	if len(missing) > 0 {
		return nil, invalid(CodeMissingFields, missing...)
	}
	in.Role = PublicRole
	return us.Create(ctx, System, in)
}
