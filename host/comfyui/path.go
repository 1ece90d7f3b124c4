package comfyui

import (
	"fmt"
	"net/url"
	"strings"
)

// CheckPath reports whether p is safe to append to a base URL as a request path.
//
// Plugins choose paths; the host must be sure that none of them reaches outside the ComfyUI
// routes, for instance through a reverse proxy in front of ComfyUI that decodes and
// normalises ".." (or "%2e%2e", or "..%2f"). So the rule is strict and encoding-blind:
//
//   - p is absolute ("/queue"), already percent-encoded, and made only of URL path
//     characters (letters, digits, "-._~!$&'()*+,;=:@/" and "%XX" escapes);
//   - no "?" or "#" (the query travels in Request.Query), no backslash, no control
//     characters, including escaped ones;
//   - after decoding every escape, no segment is empty ("//"), "." or "..".
//
// An escaped slash inside a segment ("/userdata/workflows%2Frec.json") is allowed:
// ComfyUI's user-data routes need it, and the decoded form has no dot segment.
func CheckPath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("path %q must start with /", p)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '?' || c == '#':
			return fmt.Errorf("path %q must not contain %q; pass the query separately", p, c)
		case c == '\\':
			return fmt.Errorf("path %q must not contain a backslash", p)
		case c < 0x20 || c == 0x7f:
			return fmt.Errorf("path %q must not contain control characters", p)
		case c == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return fmt.Errorf("path %q has an invalid %%-escape", p)
			}
		case !isPathChar(c):
			return fmt.Errorf("path %q must be percent-encoded (found %q)", p, c)
		}
	}
	if p == "/" {
		return nil
	}
	// Decode escapes, then split on both separators a server might honour.
	decoded, err := url.PathUnescape(p)
	if err != nil {
		return fmt.Errorf("path %q has an invalid %%-escape", p)
	}
	if strings.ContainsFunc(decoded, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("path %q must not contain control characters", p)
	}
	segments := strings.FieldsFunc(decoded[1:], func(r rune) bool { return r == '/' || r == '\\' })
	// FieldsFunc drops empty fields, so compare counts to find them.
	if strings.Count(decoded[1:], "/")+strings.Count(decoded[1:], "\\")+1 != len(segments) {
		// A trailing slash after a segment ("/history/") is an empty last segment; ComfyUI
		// routes have none, and allowing it would allow "//" in other positions too.
		return fmt.Errorf("path %q must not contain empty segments (//) or end with /", p)
	}
	for _, s := range segments {
		if s == "." || s == ".." {
			return fmt.Errorf("path %q must not contain . or .. segments (in any encoding)", p)
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isPathChar reports the characters RFC 3986 allows unescaped in a path (pchar and "/").
func isPathChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0
}
