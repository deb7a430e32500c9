package engine

import (
	"net/http"
	"strconv"
	"strings"
)

// CORS configures Cross-Origin Resource Sharing the way the Node "cors"
// package does for the reference server.
type CORS struct {
	// Origins lists the allowed origins. "*" allows any origin and is sent
	// as "*" (unless AllowCredentials is set, in which case the request's
	// origin is reflected, since browsers refuse "*" with credentials).
	// Nil with a nil OriginFunc reflects every origin.
	Origins []string
	// OriginFunc, if set, decides whether an origin is allowed; the allowed
	// origin is reflected.
	OriginFunc func(origin string) bool
	// AllowCredentials sends Access-Control-Allow-Credentials: true.
	AllowCredentials bool
	// Methods are the methods allowed in a preflight answer. Nil means
	// GET,HEAD,PUT,PATCH,POST,DELETE.
	Methods []string
	// Headers are the request headers allowed in a preflight answer. Nil
	// means whatever the preflight asked for.
	Headers []string
	// ExposedHeaders are sent as Access-Control-Expose-Headers.
	ExposedHeaders []string
	// MaxAge, in seconds, is sent as Access-Control-Max-Age when positive.
	MaxAge int
}

// apply writes the CORS headers for r to h and reports whether r was a
// preflight request, which the caller must answer with 204 and nothing else.
func (c *CORS) apply(h http.Header, r *http.Request) (preflight bool) {
	origin := r.Header.Get("Origin")
	switch {
	case c.OriginFunc != nil:
		if origin != "" && c.OriginFunc(origin) {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		h.Add("Vary", "Origin")
	case c.Origins == nil:
		if origin != "" {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		h.Add("Vary", "Origin")
	case len(c.Origins) == 1 && c.Origins[0] == "*" && !c.AllowCredentials:
		h.Set("Access-Control-Allow-Origin", "*")
	default:
		for _, o := range c.Origins {
			if o == "*" || o == origin {
				if origin != "" {
					h.Set("Access-Control-Allow-Origin", origin)
				}
				break
			}
		}
		h.Add("Vary", "Origin")
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if len(c.ExposedHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposedHeaders, ","))
	}
	if r.Method != http.MethodOptions {
		return false
	}
	methods := "GET,HEAD,PUT,PATCH,POST,DELETE"
	if c.Methods != nil {
		methods = strings.Join(c.Methods, ",")
	}
	h.Set("Access-Control-Allow-Methods", methods)
	if c.Headers != nil {
		h.Set("Access-Control-Allow-Headers", strings.Join(c.Headers, ","))
	} else if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
		h.Add("Vary", "Access-Control-Request-Headers")
	}
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
	}
	return true
}
