package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// apiClient talks to one API process.
type apiClient struct {
	t    testing.TB
	base string // http://host:port/api/v1 (or a host's mount point)
}

var httpClient = &http.Client{Timeout: 60 * time.Second}

type response struct {
	status int
	body   map[string]any
	raw    []byte
}

// call makes a request; it does not fail the test, so goroutines can use it.
func (c *apiClient) call(method, path, token string, body any) (response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	r := response{status: resp.StatusCode}
	if r.raw, err = io.ReadAll(resp.Body); err != nil {
		return r, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if err := json.Unmarshal(r.raw, &r.body); err != nil {
		return r, fmt.Errorf("%s %s: %d %q: %w", method, path, r.status, r.raw, err)
	}
	return r, nil
}

// expect makes a request and fails the test unless it answers status.
func (c *apiClient) expect(method, path, token string, body any, status int) map[string]any {
	c.t.Helper()
	r, err := c.call(method, path, token, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if r.status != status {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, r.status, status, r.raw)
	}
	return r.body
}

func (c *apiClient) login(username, password string) string {
	c.t.Helper()
	r := c.expect("POST", "/auth/password", "", map[string]any{"username": username, "password": password}, 200)
	tok, _ := dig(r, "data", "session", "token").(string)
	if tok == "" {
		c.t.Fatalf("login %s: no token in %v", username, r)
	}
	return tok
}

// createUser makes a user (as admin) and returns a session token for it.
func (c *apiClient) createUser(adminToken, username, role, password string) string {
	c.t.Helper()
	c.expect("POST", "/users", adminToken, map[string]any{"username": username, "role": role, "password": password,
		"email": username + "@example.org"}, 200)
	return c.login(username, password)
}

// createDraft creates a record draft and returns its id.
func (c *apiClient) createDraft(token, title, content string) string {
	c.t.Helper()
	r := c.expect("POST", "/records", token, map[string]any{"title": title, "type": "bylaw", "content": content}, 201)
	id, _ := dig(r, "data", "id").(string)
	if id == "" {
		c.t.Fatalf("create: no id in %v", r)
	}
	return id
}

// editView is GET /records/{id}?edit=true: the draft when one exists, else the record.
func (c *apiClient) editView(token, id string) (isDraft bool, body string) {
	c.t.Helper()
	r := c.expect("GET", "/records/"+id+"?edit=true", token, nil, 200)
	isDraft, _ = dig(r, "data", "isDraft").(bool)
	if isDraft {
		body, _ = dig(r, "data", "markdownBody").(string)
	} else {
		body, _ = dig(r, "data", "content").(string)
	}
	return isDraft, body
}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}
