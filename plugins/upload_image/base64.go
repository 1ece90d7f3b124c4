package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// maxText bounds the base64 text before decoding: what maxImageBytes takes, with
// room for line breaks.
const maxText = maxImageBytes/3*4 + maxImageBytes/8

// chunk is how much text is decoded at a time: a multiple of 4 characters,
// so that every chunk but the last is whole 3-byte groups.
const chunk = 64 << 10

// stripDataURL removes a "data:image/png;base64," prefix.
func stripDataURL(s string) (string, error) {
	rest, ok := strings.CutPrefix(s, "data:")
	if !ok {
		return s, nil
	}
	meta, payload, found := strings.Cut(rest, ",")
	if !found || !strings.HasSuffix(meta, ";base64") {
		return "", errors.New(`argument "data" is a data: URL without ";base64,": pass the image base64-encoded`)
	}
	return payload, nil
}

// maxDecodedLen bounds what n characters of base64 decode to.
func maxDecodedLen(n int) int { return n/4*3 + 3 }

// decodeBase64 decodes standard or URL-safe base64, padded or not, with or
// without whitespace, into dst (at least maxDecodedLen long).
//
// One unbroken line, which agents and most encoders write, is decoded
// directly, chunk by chunk: in WebAssembly every loop iteration is
// expensive (the host checks for a deadline at each), the standard decoder
// takes 8 characters per iteration, and looking at the text character by
// character first would cost more than decoding it. Only a failure looks
// closer: whitespace sends the text to a slower path that filters it, the
// URL-safe alphabet is tried, and anything else is reported where it is.
// Text with line breaks goes to the slow path at once, since the decoder
// skips line breaks, which would shift the chunks off 4-character groups.
func decodeBase64(dst []byte, s string) (int, error) {
	if strings.IndexByte(s, '\n') >= 0 || strings.IndexByte(s, '\r') >= 0 {
		return decodeFiltered(dst, s)
	}
	encodings := []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding}
	if strings.HasSuffix(strings.TrimRight(s, " \t"), "=") {
		encodings = []*base64.Encoding{base64.StdEncoding, base64.URLEncoding}
	}
	var bad base64.CorruptInputError
	for i, enc := range encodings {
		n, err := decodeChunks(enc, dst, s)
		if err == nil || !errors.As(err, &bad) || int(bad) >= len(s) {
			return n, describe(err, s)
		}
		switch c := s[bad]; {
		case c == ' ' || c == '\t':
			return decodeFiltered(dst, s)
		case i == 0 && (c == '-' || c == '_'):
			continue // URL-safe text: try that alphabet
		case i == 1 && (c == '+' || c == '/'):
			return n, errMixed
		}
		return n, describe(err, s)
	}
	panic("unreachable")
}

// decodeChunks decodes s with enc, chunk by chunk; a CorruptInputError
// offset is into s.
func decodeChunks(enc *base64.Encoding, dst []byte, s string) (int, error) {
	n := 0
	for start := 0; start < len(s); start += chunk {
		end := min(start+chunk, len(s))
		k, err := enc.Decode(dst[n:], []byte(s[start:end]))
		n += k
		if err != nil {
			var bad base64.CorruptInputError
			if errors.As(err, &bad) {
				return n, base64.CorruptInputError(int64(start) + int64(bad))
			}
			return n, err
		}
	}
	return n, nil
}

// describe turns a decoding error into one that names the argument and
// says what is wrong where.
func describe(err error, s string) error {
	var bad base64.CorruptInputError
	if err == nil {
		return nil
	}
	if !errors.As(err, &bad) {
		return fmt.Errorf("argument \"data\" is not base64: %v", err)
	}
	i := min(int(bad), len(s))
	if p := strings.IndexByte(s[:min(i+1, len(s))], '='); p >= 0 && strings.TrimLeft(s[p:], "= \r\n\t") != "" {
		return fmt.Errorf("argument \"data\" is not base64: it goes on after the \"=\" padding at offset %d", p)
	}
	if i == len(s) || s[i] == '=' || isBase64Char(s[i]) {
		// The decoder stopped at a good character: the length is wrong.
		return fmt.Errorf("argument \"data\" is not base64: its %d characters cannot be whole bytes (is it cut short, or padded wrongly?)", len(s))
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return fmt.Errorf("argument \"data\" is not base64: %q at offset %d", r, i)
}

// isBase64Char reports whether c is in the standard or URL-safe alphabet.
func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("+/-_", c) >= 0
}

var errMixed = errors.New(`argument "data" is not base64: it mixes the standard ("+", "/") and URL-safe ("-", "_") alphabets`)

// decodeFiltered decodes base64 broken into lines (or spaced): the text is
// checked and measured character by character, then decoded through a
// reader that drops the whitespace.
func decodeFiltered(dst []byte, s string) (int, error) {
	count, pad := 0, 0
	urlSafe, std := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			continue
		case c == '=':
			pad++
		case pad > 0:
			return 0, describe(base64.CorruptInputError(i), s)
		case c == '-' || c == '_':
			urlSafe = true
		case c == '+' || c == '/':
			std = true
		case !isBase64Char(c):
			return 0, describe(base64.CorruptInputError(i), s)
		}
		count++
	}
	switch {
	case urlSafe && std:
		return 0, errMixed
	case count == 0:
		return 0, nil
	case pad > 2 || pad > 0 && count%4 != 0 || count%4 == 1:
		return 0, describe(base64.CorruptInputError(len(s)), s)
	}
	enc := base64.StdEncoding
	switch {
	case urlSafe && pad > 0:
		enc = base64.URLEncoding
	case urlSafe:
		enc = base64.RawURLEncoding
	case pad == 0 && count%4 != 0:
		enc = base64.RawStdEncoding
	}
	n := (count - pad) * 6 / 8
	if n > len(dst) {
		return 0, fmt.Errorf("argument \"data\" is not base64: it decodes to more bytes than it can hold")
	}
	dec := base64.NewDecoder(enc, &dropSpace{s: s})
	if _, err := io.ReadFull(dec, dst[:n]); err != nil {
		return 0, fmt.Errorf("argument \"data\" is not base64: %v", err)
	}
	return n, nil
}

// dropSpace reads a string without its spaces, tabs and line breaks.
type dropSpace struct {
	s string
	i int
}

func (d *dropSpace) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && d.i < len(d.s) {
		c := d.s[d.i]
		d.i++
		if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			p[n] = c
			n++
		}
	}
	if n == 0 && d.i >= len(d.s) {
		return 0, io.EOF
	}
	return n, nil
}
