package httpapi

import (
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
)

// Upstream's catalogue lists the same static fields and checks for every
// type (routes/system.ts).
var (
	typeFields     = []string{"id", "title", "content", "status", "author", "created", "updated"}
	typeValidation = []string{"required_title", "required_type", "required_status", "required_author"}
)

// GET /system/record-types
func (a *api) recordTypes(c *call) error {
	types := a.core.Settings().Project.RecordTypes
	out := make([]map[string]any, len(types))
	for i, t := range types {
		out[i] = map[string]any{"key": t.Key, "label": t.Label, "description": t.Description, "source": t.Source,
			"priority": t.Priority, "fields": typeFields, "validation": typeValidation}
	}
	return c.ok(map[string]any{"record_types": out, "total": len(out)})
}

// GET /system/record-statuses. Upstream always sends transitions: [];
// here they are the workflow's (for any role), so a UI can draw them.
func (a *api) recordStatuses(c *call) error {
	s := a.core.Settings()
	out := make([]map[string]any, len(s.Project.Statuses))
	for i, st := range s.Project.Statuses {
		tr := s.Workflows.Transitions[st.Key]
		if tr == nil {
			tr = []string{}
		}
		out[i] = map[string]any{"key": st.Key, "label": st.Label, "description": st.Description, "source": st.Source,
			"priority": st.Priority, "color": st.Color, "transitions": tr, "editable": st.Editable}
	}
	return c.ok(map[string]any{"record_statuses": out, "total": len(out)})
}

// healthCache keeps the memory figures for a second: reading them stops
// the world briefly, which a load balancer polling health should not cause.
type healthCache struct {
	mu  sync.Mutex
	at  time.Time
	mem map[string]uint64
}

func (hc *healthCache) memory() map[string]uint64 {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	if time.Since(hc.at) < time.Second && hc.mem != nil {
		return hc.mem
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	hc.mem = map[string]uint64{"rss": rss(ms.Sys), "heapTotal": ms.HeapSys, "heapUsed": ms.HeapAlloc,
		"external": 0, "arrayBuffers": 0}
	hc.at = time.Now()
	return hc.mem
}

// rss reads the resident set size on Linux; elsewhere the memory obtained
// from the OS stands in for it.
func rss(fallback uint64) uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return fallback
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return fallback
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return fallback
	}
	return pages * uint64(os.Getpagesize())
}

// checks asks the database and the data directory whether they work.
func (a *api) checks(c *call) (map[string]string, bool) {
	res, ok := map[string]string{"database": "ok", "dataDir": "ok"}, true
	if err := a.core.Health(c.ctx()); err != nil {
		a.log.Error("httpapi: health: database", "err", err)
		res["database"], ok = "unavailable", false
	}
	if fi, err := os.Stat(a.core.Paths().DataDir); err != nil || !fi.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		a.log.Error("httpapi: health: data directory", "err", err)
		res["dataDir"], ok = "unavailable", false
	}
	return res, ok
}

func (a *api) healthData(c *call, detailed bool) error {
	checks, ok := a.checks(c)
	data := map[string]any{"status": "healthy", "timestamp": isoMillis(time.Now()),
		"uptime": time.Since(a.started).Seconds(), "memory": a.mem.memory(), "environment": a.env, "checks": checks}
	if detailed {
		data["version"] = runtime.Version()
		data["platform"] = runtime.GOOS
		data["arch"] = runtime.GOARCH
		data["pid"] = os.Getpid()
	}
	if !ok {
		return &httpError{status: http.StatusServiceUnavailable, code: "SERVICE_UNAVAILABLE",
			msg: "Service unhealthy", details: map[string]any{"checks": checks}}
	}
	return c.ok(data)
}

// GET /health: 200 when the database answers and the data directory is
// there, else 503 naming what failed.
func (a *api) health(c *call) error { return a.healthData(c, false) }

// GET /health/detailed: the same with runtime facts.
func (a *api) healthDetailed(c *call) error { return a.healthData(c, true) }

// GET /info: the organization for everyone; the caller's user when
// authenticated; the system's locations for administrators.
func (a *api) info(c *call) error {
	org := a.core.Settings().Org.Raw
	if org == nil {
		org = map[string]any{}
	}
	data := map[string]any{"organization": org, "analytics": nil}
	if u := c.user(); u != nil {
		data["user"] = viewUser(u)
		if a.core.Can(u, "system:admin", civicpress.PermContext{}) {
			p := a.core.Paths()
			db := map[string]any{"type": "sqlite", "path": p.SQLitePath}
			if p.DatabaseURL != "" {
				db = map[string]any{"type": "postgres"}
			}
			data["system"] = map[string]any{"projectDir": p.ProjectDir, "dataDir": p.DataDir, "database": db,
				"modules": a.core.Settings().Project.Modules, "version": a.core.Settings().Project.Version}
		} else {
			data["note"] = "System config is only visible to admin users."
		}
	}
	return c.ok(data)
}

//go:embed openapi.json
var openapiDoc []byte

// GET /openapi.json: the OpenAPI 3.1 document of every route (kept equal
// to the router by TestOpenAPIMatchesRoutes).
func (a *api) openapi(c *call) error {
	h := c.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", fmt.Sprint(len(openapiDoc)))
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(openapiDoc)
	return nil
}
