package putiotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxParamBody bounds a form or JSON body; parameters are small.
const maxParamBody = 1 << 20

// paramSet is the request parameters, merged from query, form and JSON
// body, because put.io clients use all three.
type paramSet struct {
	parsed bool
	values url.Values
}

// params parses the parameters once; on a malformed body it sends a 400
// and reports false.
func (c *call) params() (url.Values, bool) {
	if c.paramsCache.parsed {
		return c.paramsCache.values, true
	}
	values, err := parseParams(c.r)
	if err != nil {
		c.badRequest("BadRequest", err.Error())
		return nil, false
	}
	c.paramsCache = paramSet{parsed: true, values: values}
	return values, true
}

func parseParams(r *http.Request) (url.Values, error) {
	values := url.Values{}
	for k, v := range r.URL.Query() {
		values[k] = append(values[k], v...)
	}
	if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return values, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxParamBody+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the request body: %v", err)
	}
	if len(body) > maxParamBody {
		return nil, fmt.Errorf("request body over %d bytes; send parameters only", maxParamBody)
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if len(bytes.TrimSpace(body)) == 0 {
		return values, nil
	}
	if mediaType == "application/json" {
		return values, mergeJSON(values, body)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("malformed form body: %v; send application/x-www-form-urlencoded or JSON", err)
	}
	for k, v := range form {
		values[k] = append(values[k], v...)
	}
	return values, nil
}

// mergeJSON adds the members of a JSON object body; arrays become CSV, as
// put.io takes id lists.
func mergeJSON(values url.Values, body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("malformed JSON body: %v; send a JSON object", err)
	}
	for k, v := range m {
		if s, ok := jsonScalar(v); ok {
			values.Add(k, s)
		}
	}
	return nil
}

func jsonScalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	case []any:
		parts := make([]string, 0, len(v))
		for _, item := range v {
			if s, ok := jsonScalar(item); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ","), true
	}
	return "", false
}

// intParam reads an integer parameter; def if absent, an error if garbled.
func intParam(values url.Values, name string, def int64) (int64, error) {
	s := strings.TrimSpace(values.Get(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errBadRequest("BadRequest", fmt.Sprintf("%s must be an integer, got %q", name, s))
	}
	return n, nil
}

// requiredInt is intParam for a parameter that must be given.
func requiredInt(values url.Values, name string) (int64, error) {
	if strings.TrimSpace(values.Get(name)) == "" {
		return 0, errBadRequest("BadRequest", name+" is required")
	}
	return intParam(values, name, 0)
}

// idsParam reads a comma-separated id list from the first of names given.
func idsParam(values url.Values, names ...string) ([]int64, error) {
	for _, name := range names {
		s := strings.TrimSpace(values.Get(name))
		if s == "" {
			continue
		}
		var ids []int64
		for _, part := range strings.Split(s, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil {
				return nil, errBadRequest("BadRequest", fmt.Sprintf("%s must be comma-separated ids, got %q", name, s))
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
	return nil, errBadRequest("BadRequest", names[0]+" is required")
}

// flagParam reads a flag: on only for 1 or true, the values put.io
// clients are known to send.
func flagParam(values url.Values, name string) bool {
	switch strings.TrimSpace(values.Get(name)) {
	case "1", "true":
		return true
	}
	return false
}
