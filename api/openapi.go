package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/keywayhq/keyway"
)

// schemaOptions teaches the schema generator the domain's own JSON types.
func schemaOptions() *jsonschema.ForOptions {
	str := func(format string) *jsonschema.Schema { return &jsonschema.Schema{Type: "string", Format: format} }
	nullable := func(s *jsonschema.Schema) *jsonschema.Schema {
		c := *s
		if c.Type != "" {
			c.Types = []string{c.Type, "null"}
			c.Type = ""
		}
		return &c
	}
	object := &jsonschema.Schema{Type: "object", Description: "any JSON object"}
	rateLimit := &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{
		"rateLimit":    {Type: "integer", Description: "successful calls allowed per window"},
		"rateLimitTtl": {Type: "integer", Description: "window length in seconds"},
	}, Required: []string{"rateLimit", "rateLimitTtl"}}
	env := &jsonschema.Schema{Type: "string", Enum: []any{"live", "test"}}
	role := &jsonschema.Schema{Type: "string", Enum: []any{"admin", "user", "viewer"}}
	invitationStatus := &jsonschema.Schema{Type: "string", Enum: []any{"pending", "accepted", "cancelled", "expired"}}
	webhookStatus := &jsonschema.Schema{Type: "string", Enum: []any{"live", "paused"}}
	return &jsonschema.ForOptions{TypeSchemas: map[reflect.Type]*jsonschema.Schema{
		reflect.TypeFor[keyway.Role]():                           role,
		reflect.TypeFor[keyway.InvitationStatus]():               invitationStatus,
		reflect.TypeFor[keyway.WebhookStatus]():                  webhookStatus,
		reflect.TypeFor[keyway.Optional[keyway.WebhookStatus]](): nullable(webhookStatus),
		reflect.TypeFor[keyway.Time]():                           str("date-time"),
		reflect.TypeFor[json.RawMessage]():                       object,
		reflect.TypeFor[keyway.Env]():                            env,
		reflect.TypeFor[keyway.RateLimit]():                      rateLimit,
		reflect.TypeFor[keyway.Optional[string]]():               nullable(&jsonschema.Schema{Type: "string"}),
		reflect.TypeFor[keyway.Optional[json.RawMessage]]():      nullable(object),
		reflect.TypeFor[keyway.Optional[keyway.Time]]():          nullable(str("date-time")),
		reflect.TypeFor[keyway.Optional[keyway.RateLimit]]():     nullable(rateLimit),
		reflect.TypeFor[keyway.Optional[[]string]]():             nullable(&jsonschema.Schema{Type: "array", Items: &jsonschema.Schema{Type: "string"}}),

		// A secret is a string on the wire; its type only masks it in logs.
		reflect.TypeFor[keyway.Optional[keyway.APIKeySecret]](): nullable(&jsonschema.Schema{Type: "string"}),
	}}
}

// SchemaFor returns the JSON Schema of t. Unknown properties are allowed,
// since request bodies ignore them.
func SchemaFor(t reflect.Type) (*jsonschema.Schema, error) {
	s, err := jsonschema.ForType(t, schemaOptions())
	if err != nil {
		return nil, err
	}
	openObjects(s)
	applyEnums(t, s)
	return s, nil
}

// Enum lists the values a field tagged `enum:"…"` may take: the tag's
// comma-separated values, or a list the domain keeps (topics, methods).
func Enum(tag string) []any {
	var values []string
	switch tag {
	case "":
		return nil
	case "topics":
		values = keyway.Topics
	case "methods":
		values = keyway.WebhookMethods
	default:
		values = strings.Split(tag, ",")
	}
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

// applyEnums sets the values of the struct fields tagged `enum`, on the
// property itself or, for a list, on its items.
func applyEnums(t reflect.Type, s *jsonschema.Schema) {
	if t.Kind() != reflect.Struct || s == nil {
		return
	}
	for _, f := range reflect.VisibleFields(t) {
		values := Enum(f.Tag.Get("enum"))
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		p := s.Properties[name]
		if values == nil || p == nil {
			continue
		}
		if p.Items != nil {
			p.Items.Enum = values
		} else {
			p.Enum = values
		}
	}
}

func openObjects(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if s.Type == "object" && s.Properties != nil {
		s.AdditionalProperties = nil
	}
	for _, p := range s.Properties {
		openObjects(p)
	}
	openObjects(s.Items)
}

type openAPIParam struct {
	Name        string             `json:"name"`
	In          string             `json:"in"`
	Required    bool               `json:"required"`
	Description string             `json:"description,omitempty"`
	Schema      *jsonschema.Schema `json:"schema"`
}

// OpenAPI renders the OpenAPI 3.1 document of ops.
func OpenAPI(ops []Operation, version string) ([]byte, error) {
	paths := map[string]map[string]any{}
	for _, o := range ops {
		item := paths[o.Path]
		if item == nil {
			item = map[string]any{}
			paths[o.Path] = item
		}
		entry := map[string]any{"operationId": o.ID, "summary": o.Summary}
		if len(o.Tools) > 0 {
			entry["x-mcp-tools"] = o.Tools
		}
		if o.Public {
			entry["security"] = []any{}
		}
		var params []openAPIParam
		for _, p := range o.Params() {
			s, err := SchemaFor(p.Type)
			if err != nil {
				return nil, err
			}
			if p.In == InBody {
				entry["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": s}}}
				continue
			}
			s.Enum = p.Enum
			params = append(params, openAPIParam{Name: p.Name, In: string(p.In), Required: p.Required, Description: p.Doc, Schema: s})
		}
		if params != nil {
			entry["parameters"] = params
		}
		ok := map[string]any{"description": http.StatusText(o.Status)}
		switch {
		case o.Output == reflect.TypeFor[CSV]():
			ok["content"] = map[string]any{"text/csv": map[string]any{"schema": map[string]any{"type": "string"}}}
		case o.Output != nil && o.Output != reflect.TypeFor[Empty]():
			s, err := SchemaFor(o.Output)
			if err != nil {
				return nil, err
			}
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": s}}
		}
		responses := map[string]any{strconv.Itoa(o.Status): ok, "default": map[string]any{"$ref": "#/components/responses/Error"}}
		entry["responses"] = responses
		item[strings.ToLower(o.Method)] = entry
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Keyway",
			"version":     version,
			"description": "Self-hosted API-key management, wire-compatible with The Auth API.",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"accessKey": map[string]any{"type": "apiKey", "in": "header", "name": "x-api-key"}},
			"responses": map[string]any{"Error": map[string]any{
				"description": "NestJS-shaped error",
				"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
					"type": "object",
					"properties": map[string]any{
						"statusCode": map[string]any{"type": "integer"},
						"message":    map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}},
						"error":      map[string]any{"type": "string"},
					},
				}}},
			}},
		},
		"security": []any{map[string]any{"accessKey": []any{}}},
	}
	return json.MarshalIndent(doc, "", "  ")
}
