// Package jsonenc writes JSON on the host's per-call paths (the answer to
// a tools/call) without encoding/json's reflection and buffer pool, byte
// for byte as encoding/json would: its fuzz tests compare every function
// with json.Marshal.
package jsonenc

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/easel-mcp/easel/sdk/jsonread"
)

// AppendString appends s as encoding/json writes a string (HTML escaping
// on, its default): <, >, & and U+2028/U+2029 escaped, invalid UTF-8 as
// U+FFFD. It is a copy of encoding/json's appendString, which is not
// exported; TestAppendStringIsMarshal and FuzzAppendString hold the two
// equal.
func AppendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendRaw appends json.Marshal(json.RawMessage(raw)): raw compacted
// and HTML-escaped. A plugin's structuredContent is nearly always compact
// already and free of <, >, & and U+2028/U+2029, so when a check of one
// pass finds it valid and so, it is copied as it is; anything else goes
// through encoding/json.
func AppendRaw(b, raw []byte) ([]byte, error) {
	r := jsonread.New(raw)
	r.Skip()
	if r.End() != nil || !compactAndHTMLSafe(raw) {
		j, err := json.Marshal(json.RawMessage(raw))
		return append(b, j...), err
	}
	return append(b, raw...), nil
}

// compactAndHTMLSafe reports whether valid JSON has no whitespace outside
// its strings and nothing encoding/json escapes when it compacts: <, >, &
// and the first byte of U+2028 and U+2029 (0xE2, conservatively).
func compactAndHTMLSafe(raw []byte) bool {
	inString := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '<' || c == '>' || c == '&' || c == 0xE2:
			return false
		case inString && c == '\\':
			i++ // the escaped byte; \uXXXX's digits are plain bytes
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		}
	}
	return true
}
