package fastws

import (
	"errors"
	"strings"
)

// Extension is one entry of a Sec-WebSocket-Extensions header: a name and
// its parameters, in order.
type Extension struct {
	Name   string
	Params []ExtensionParam

	// Rsv lists the reserved frame bits (wsframe.Rsv1|Rsv2|Rsv3) the
	// extension's frames may carry once it is negotiated. It is not sent:
	// it tells the connection which bits to let through to ReadFrame
	// instead of failing the connection with 1002.
	Rsv byte
}

// ExtensionParam is an extension parameter; HasValue tells "p" from "p=".
type ExtensionParam struct {
	Name     string
	Value    string
	HasValue bool
}

// String formats e as it appears in a header.
func (e Extension) String() string {
	var b strings.Builder
	b.WriteString(e.Name)
	for _, p := range e.Params {
		b.WriteString("; ")
		b.WriteString(p.Name)
		if p.HasValue {
			b.WriteByte('=')
			if isToken(p.Value) {
				b.WriteString(p.Value)
			} else {
				b.WriteString(quote(p.Value))
			}
		}
	}
	return b.String()
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

func formatExtensions(exts []Extension) string {
	parts := make([]string, len(exts))
	for i, e := range exts {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

var errExtensionSyntax = errors.New("malformed Sec-WebSocket-Extensions header")

// ParseExtensions parses the value of a Sec-WebSocket-Extensions header
// (RFC 6455 section 9.1): a comma-separated list of extensions, each a token
// followed by parameters "; name" or "; name=value", where the value is a
// token or a quoted string. Several header lines are parsed joined by
// commas. Empty list elements are skipped, as HTTP lists allow.
func ParseExtensions(header string) ([]Extension, error) {
	var exts []Extension
	s := header
	for {
		s = skipOWS(s)
		if s == "" {
			return exts, nil
		}
		if s[0] == ',' {
			s = s[1:]
			continue
		}
		var ext Extension
		var ok bool
		ext.Name, s, ok = cutToken(s)
		if !ok {
			return nil, errExtensionSyntax
		}
		for {
			s = skipOWS(s)
			if s == "" || s[0] == ',' {
				break
			}
			if s[0] != ';' {
				return nil, errExtensionSyntax
			}
			s = skipOWS(s[1:])
			var p ExtensionParam
			if p.Name, s, ok = cutToken(s); !ok {
				return nil, errExtensionSyntax
			}
			s = skipOWS(s)
			if s != "" && s[0] == '=' {
				s = skipOWS(s[1:])
				p.HasValue = true
				if s != "" && s[0] == '"' {
					if p.Value, s, ok = cutQuoted(s); !ok {
						return nil, errExtensionSyntax
					}
				} else if p.Value, s, ok = cutToken(s); !ok {
					return nil, errExtensionSyntax
				}
			}
			ext.Params = append(ext.Params, p)
		}
		exts = append(exts, ext)
	}
}

func skipOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

func cutToken(s string) (tok, rest string, ok bool) {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	return s[:i], s[i:], i > 0
}

// cutQuoted parses a quoted string at the start of s, undoing escapes.
func cutQuoted(s string) (val, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), s[i+1:], true
		case c == '\\':
			// quoted-pair: an escaped character is still a visible one.
			i++
			if i == len(s) || s[i] < 0x20 && s[i] != '\t' || s[i] == 0x7F {
				return "", "", false
			}
			b.WriteByte(s[i])
		case c < 0x20 && c != '\t' || c == 0x7F:
			return "", "", false
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}
