package realtime

import (
	"context"
	"sync"

	"github.com/olahol/melody"
)

// sessions finds the client behind a melody session. melody's own place for
// it, the session's Keys map, costs about 330 bytes per connection; an entry
// here costs about 60.
type sessions struct{ m sync.Map }

func (ss *sessions) get(s *melody.Session) *client {
	v, ok := ss.m.Load(s)
	if !ok {
		return nil
	}
	return v.(*client)
}

func (ss *sessions) put(s *melody.Session, c *client) { ss.m.Store(s, c) }
func (ss *sessions) drop(s *melody.Session)           { ss.m.Delete(s) }

// clientKey carries the client to onConnect in the upgrade request's
// context: melody hands onConnect the session, whose Request is the one
// serveRoom passed in.
type clientKey struct{}

func withClient(ctx context.Context, c *client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

func requestClient(s *melody.Session) *client {
	if s.Request == nil {
		return nil
	}
	c, _ := s.Request.Context().Value(clientKey{}).(*client)
	return c
}
