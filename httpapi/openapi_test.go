package httpapi

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// TestOpenAPIMatchesRoutes keeps openapi.json honest: every route the
// router serves is documented with its operationId and path parameters,
// and the document lists nothing the router does not serve.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI    string                                 `json:"openapi"`
		Servers    []struct{ URL string }                 `json:"servers"`
		Paths      map[string]map[string]openapiOperation `json:"paths"`
		Components map[string]map[string]any              `json:"components"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 || doc.Servers[0].URL != Prefix {
		t.Fatalf("openapi %q servers %v", doc.OpenAPI, doc.Servers)
	}
	documented := map[string]openapiOperation{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" "+path] = op
		}
	}

	e := getEnv(t, Options{})
	r := e.h.(*mux.Router)
	served := map[string]string{}
	err := r.Walk(func(rt *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := rt.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := rt.GetMethods()
		if err != nil {
			return nil // a prefix (group) route
		}
		for _, m := range methods {
			if m == "HEAD" {
				continue // served with every GET, as net/http and Express do
			}
			served[m+" "+strings.TrimPrefix(tpl, Prefix)] = rt.GetName()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(served) < 40 {
		t.Fatalf("walked only %d routes", len(served))
	}
	param := regexp.MustCompile(`\{([^}:]+)`)
	for key, name := range served {
		op, ok := documented[key]
		if !ok {
			t.Errorf("served but not documented: %s (%s)", key, name)
			continue
		}
		if op.OperationID != name {
			t.Errorf("%s: operationId %q, route name %q", key, op.OperationID, name)
		}
		var declared []string
		for _, p := range op.Parameters {
			if p.In == "path" {
				declared = append(declared, p.Name)
			}
		}
		for _, m := range param.FindAllStringSubmatch(key, -1) {
			if !slices.Contains(declared, m[1]) {
				t.Errorf("%s: path parameter %s not declared", key, m[1])
			}
		}
		if len(op.Responses) == 0 {
			t.Errorf("%s: no responses", key)
		}
	}
	for key := range documented {
		if _, ok := served[key]; !ok {
			t.Errorf("documented but not served: %s", key)
		}
	}
	// Every $ref resolves.
	refs := regexp.MustCompile(`"\$ref":\s*"#/components/(\w+)/(\w+)"`)
	for _, m := range refs.FindAllStringSubmatch(string(openapiDoc), -1) {
		if _, ok := doc.Components[m[1]][m[2]]; !ok {
			t.Errorf("dangling $ref %s/%s", m[1], m[2])
		}
	}
}

type openapiOperation struct {
	OperationID string `json:"operationId"`
	Parameters  []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	Responses map[string]any `json:"responses"`
}
