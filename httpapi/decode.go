package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

const formType = "application/x-www-form-urlencoded"

var (
	errMalformedJSON = errf(http.StatusBadRequest, "MALFORMED_JSON", "Malformed JSON")
	errMalformedForm = errf(http.StatusBadRequest, "MALFORMED_BODY", "Malformed form body")
	errMediaType     = errf(http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Request bodies must be JSON (application/json) or a URL-encoded form")
)

func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(ct))
	}
	return mt
}

// isJSONType accepts what upstream's express.json parses, and a missing
// Content-Type (curl --data-raw without -H).
func isJSONType(mt string) bool {
	return mt == "" || mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func bodyReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	return errf(http.StatusBadRequest, "BAD_REQUEST", "Could not read the request body")
}

// decode reads the request body into dst (a pointer to a struct). An empty
// body leaves dst as it is. JSON and URL-encoded forms are accepted; bad
// syntax is 400 MALFORMED_JSON, a value of the wrong type 400
// VALIDATION_ERROR naming the field, an oversized body 413.
func (c *call) decode(dst any) error {
	r := c.r
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyReadError(err)
	}
	return decodeBody(r.Header.Get("Content-Type"), data, dst)
}

func decodeBody(contentType string, data []byte, dst any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	mt := mediaType(contentType)
	switch {
	case isJSONType(mt):
		return decodeJSON(data, dst)
	case mt == formType:
		vals, err := url.ParseQuery(string(data))
		if err != nil {
			return errMalformedForm
		}
		m := make(map[string]any, len(vals))
		for k, v := range vals {
			k = strings.TrimSuffix(k, "[]")
			if len(v) == 1 {
				m[k] = v[0]
			} else {
				m[k] = v
			}
		}
		j, err := json.Marshal(m)
		if err != nil {
			return errMalformedForm
		}
		return decodeJSON(j, dst)
	}
	return errMediaType
}

func decodeJSON(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keep big integers in metadata exact
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return typeError(te)
		}
		return errMalformedJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return errMalformedJSON // trailing data after the value
	}
	return nil
}

func typeError(te *json.UnmarshalTypeError) error {
	if te.Field == "" {
		return invalidFields("Invalid request data", fieldDetail{Type: "field", Msg: "The request body must be a JSON object", Path: "body", Location: "body"})
	}
	return invalidFields("Invalid request data", fieldDetail{Type: "field",
		Msg: "must be " + kindName(te.Type) + ", not " + te.Value, Path: te.Field, Location: "body"})
}

func kindName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a valid value"
}

// query reads query parameters, collecting every bad one so that a 400
// names them all.
type query struct {
	v    url.Values
	errs []fieldDetail
}

func (c *call) query() *query { return &query{v: c.r.URL.Query()} }

func (q *query) str(name string) string { return q.v.Get(name) }

func (q *query) bad(name, value, msg string) {
	q.errs = append(q.errs, fieldDetail{Type: "field", Value: value, Msg: msg, Path: name, Location: "query"})
}

// int reads an integer parameter in [lo, hi] (hi 0: no upper bound).
func (q *query) int(name string, def, lo, hi int) int {
	s := q.v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lo || (hi > 0 && n > hi) {
		switch {
		case hi > 0:
			q.bad(name, s, capital(name)+" must be between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi))
		default:
			q.bad(name, s, capital(name)+" must be an integer of at least "+strconv.Itoa(lo))
		}
		return def
	}
	return n
}

// bool reads "true"/"false" (anything else is false, as upstream compares
// with the string 'true').
func (q *query) bool(name string) bool { return q.v.Get(name) == "true" }

// oneOf reads a parameter that must be one of allowed (or absent: def).
func (q *query) oneOf(name, def string, allowed ...string) string {
	s := q.v.Get(name)
	if s == "" {
		return def
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	q.bad(name, s, capital(name)+" must be one of: "+strings.Join(allowed, ", "))
	return def
}

// maxLen reads a string parameter of at most n bytes.
func (q *query) maxLen(name string, n int) string {
	s := q.v.Get(name)
	if len(s) > n {
		q.bad(name, "", capital(name)+" must be at most "+strconv.Itoa(n)+" characters")
		return ""
	}
	return s
}

// err is the 400 for everything bad so far, or nil.
func (q *query) err(msg string) error {
	if len(q.errs) == 0 {
		return nil
	}
	return invalidFields(msg, q.errs...)
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// list splits a comma-separated parameter (type=bylaw,policy).
func list(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
