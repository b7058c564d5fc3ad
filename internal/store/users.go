package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ErrNotFound is returned when an update or delete matched no row.
var ErrNotFound = errors.New("store: not found")

// InsertUser inserts u, setting its ID and timestamps.
func (q Q) InsertUser(ctx context.Context, u *User) error {
	now := time.Now()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = Stamp{now}
	}
	u.UpdatedAt = u.CreatedAt
	if u.AuthProvider == "" {
		u.AuthProvider = "password"
	}
	_, err := q.idb.NewInsert().Model(u).Returning("id").Exec(ctx)
	return err
}

// UserByID returns one user, or ErrNoRows.
func (q Q) UserByID(ctx context.Context, id int64) (*User, error) {
	u := new(User)
	if err := q.queryRow(ctx, "SELECT "+userColumnsU+" FROM users AS u WHERE u.id = ? LIMIT 1", []any{id}, u.scanDest()...); err != nil {
		return nil, err
	}
	return u, nil
}

// UserByUsername returns the user with exactly this username, or ErrNoRows.
func (q Q) UserByUsername(ctx context.Context, username string) (*User, error) {
	u := new(User)
	err := q.idb.NewSelect().Model(u).Where("username = ?", username).Limit(1).Scan(ctx)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UserByEmail returns the first user with this e-mail (case-insensitive), or ErrNoRows.
func (q Q) UserByEmail(ctx context.Context, email string) (*User, error) {
	u := new(User)
	err := q.idb.NewSelect().Model(u).Where("lower(email) = lower(?)", email).OrderExpr("id").Limit(1).Scan(ctx)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	Role   string
	Search string // substring of username, name or email
	Limit  int
	Offset int
}

// ListUsers returns a page of users ordered by id, and the total matching.
func (q Q) ListUsers(ctx context.Context, f UserFilter) ([]User, int, error) {
	var users []User
	sq := q.idb.NewSelect().Model(&users).OrderExpr("id ASC")
	if f.Role != "" {
		sq = sq.Where("role = ?", f.Role)
	}
	if f.Search != "" {
		like := "%" + escapeLike(f.Search) + "%"
		sq = sq.Where("(lower(username) LIKE lower(?) ESCAPE '\\' OR lower(coalesce(name, '')) LIKE lower(?) ESCAPE '\\' OR lower(coalesce(email, '')) LIKE lower(?) ESCAPE '\\')", like, like, like)
	}
	if f.Limit > 0 {
		sq = sq.Limit(int64(f.Limit))
	}
	if f.Offset > 0 {
		sq = sq.Offset(int64(f.Offset))
	}
	total, err := sq.ScanAndCount(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, err
	}
	return users, int(total), nil
}

// CountUsersWithRole counts users holding role.
func (q Q) CountUsersWithRole(ctx context.Context, role string) (int, error) {
	n, err := q.idb.NewSelect().Model((*User)(nil)).Where("role = ?", role).Count(ctx)
	return int(n), err
}

// UpdateUser writes the given columns of u (always bumping updated_at).
func (q Q) UpdateUser(ctx context.Context, u *User, columns ...string) error {
	u.UpdatedAt = Stamp{time.Now()}
	res, err := q.idb.NewUpdate().Model(u).Column(append(columns, "updated_at")...).WherePK().Exec(ctx)
	if err != nil {
		return err
	}
	return affectedOne(res)
}

// DeleteUser removes a user the way upstream does: sessions, API keys and
// reset tokens go, audit rows keep their history with user_id set to NULL.
func (q Q) DeleteUser(ctx context.Context, id int64) error {
	for _, stmt := range []string{
		"DELETE FROM sessions WHERE user_id = ?",
		"DELETE FROM api_keys WHERE user_id = ?",
		"DELETE FROM password_reset_tokens WHERE user_id = ?",
		"DELETE FROM email_verifications WHERE user_id = ?",
		"UPDATE audit_logs SET user_id = NULL WHERE user_id = ?",
	} {
		if _, err := q.idb.NewRaw(stmt, id).Exec(ctx); err != nil {
			return err
		}
	}
	res, err := q.idb.NewDelete().Model((*User)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return err
	}
	return affectedOne(res)
}

func affectedOne(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func escapeLike(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%', '_', '\\':
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}
