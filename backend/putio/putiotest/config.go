package putiotest

import (
	"bytes"
	"encoding/json"
	"io"
)

// The config store is a JSON object per account that apps keep their
// settings in (go-putio's config.go, the TS SDK's config.ts). App tokens
// may use it: the SDK suite's config tests run with one.

func (e *Emulator) configRoutes() []*route {
	return []*route{
		newRoute("GET /v2/config", authed, e.readConfig),
		newRoute("PUT /v2/config", authed, e.writeConfig),
		newRoute("GET /v2/config/{key}", authed, e.readConfigKey),
		newRoute("PUT /v2/config/{key}", authed, e.writeConfigKey),
		newRoute("DELETE /v2/config/{key}", authed, e.deleteConfigKey),
	}
}

// readConfig serves GET /v2/config: {config: {...}}.
func (e *Emulator) readConfig(c *call) {
	e.mu.Lock()
	config := obj{}
	for k, v := range c.acct.config {
		config[k] = v
	}
	e.mu.Unlock()
	c.ok(obj{"config": config})
}

// writeConfig serves PUT /v2/config with a JSON body {config: {...}},
// which replaces the whole store.
func (e *Emulator) writeConfig(c *call) {
	var body struct {
		Config map[string]json.RawMessage `json:"config"`
	}
	if !c.jsonBody(&body) {
		return
	}
	if body.Config == nil {
		c.badRequest("BadRequest", `the body must be {"config": {...}}, a JSON object`)
		return
	}
	e.mu.Lock()
	c.acct.config = body.Config
	e.mu.Unlock()
	c.ok(nil)
}

// readConfigKey serves GET /v2/config/{key}: {value}, null for a key not
// set (go-putio's Get reads null as not found).
func (e *Emulator) readConfigKey(c *call) {
	e.mu.Lock()
	value, ok := c.acct.config[c.r.PathValue("key")]
	e.mu.Unlock()
	if !ok {
		value = json.RawMessage("null")
	}
	c.ok(obj{"value": value})
}

// writeConfigKey serves PUT /v2/config/{key} with a JSON body {value}.
func (e *Emulator) writeConfigKey(c *call) {
	var body struct {
		Value json.RawMessage `json:"value"`
	}
	if !c.jsonBody(&body) {
		return
	}
	if body.Value == nil {
		c.badRequest("BadRequest", `the body must be {"value": ...}`)
		return
	}
	e.mu.Lock()
	if c.acct.config == nil {
		c.acct.config = map[string]json.RawMessage{}
	}
	c.acct.config[c.r.PathValue("key")] = body.Value
	e.mu.Unlock()
	c.ok(nil)
}

// deleteConfigKey serves DELETE /v2/config/{key}; a key not set is no
// error.
func (e *Emulator) deleteConfigKey(c *call) {
	e.mu.Lock()
	delete(c.acct.config, c.r.PathValue("key"))
	e.mu.Unlock()
	c.ok(nil)
}

// jsonBody decodes a JSON object body into v; on failure it sends a 400
// and reports false.
func (c *call) jsonBody(v any) bool {
	data, err := io.ReadAll(io.LimitReader(c.r.Body, maxParamBody+1))
	if err == nil && len(data) > maxParamBody {
		c.badRequest("BadRequest", "request body over the size limit")
		return false
	}
	if err == nil {
		err = json.NewDecoder(bytes.NewReader(data)).Decode(v)
	}
	if err != nil {
		c.badRequest("BadRequest", "the body must be a JSON object: "+err.Error())
		return false
	}
	return true
}
