package main

import (
	"errors"
	"sort"
	"strings"

	"github.com/easel-mcp/easel/sdk/jsonread"
)

// Search is the answer to a search.
type Search struct {
	Matches   []Match `json:"matches"`
	Total     int     `json:"total" description:"Matches before limit"`
	Truncated bool    `json:"truncated"`
}

// Match is one class found by a search.
type Match struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Category    string `json:"category"`
	OutputNode  bool   `json:"output_node"`
	Deprecated  bool   `json:"deprecated,omitempty"`
}

// maxSuggestions bounds the close names offered for an unknown class.
const maxSuggestions = 8

// summary is the part of a class's object_info a search reads.
type summary struct {
	Name        string     `json:"-"` // the key in /object_info
	DisplayName flexString `json:"display_name"`
	Category    flexString `json:"category"`
	OutputNode  flexBool   `json:"output_node"`
	Deprecated  flexBool   `json:"deprecated"`
}

// summarize decodes the few fields a search needs from every class of an
// /object_info answer. A class whose value is not an object still counts,
// by its name. The answer is hundreds of kilobytes, so it is read in one
// pass with jsonread (encoding/json's decoder took 47 ms a search in
// WebAssembly); members are read as encoding/json reads them into
// summary, keys matched exactly.
func summarize(body []byte) ([]summary, error) {
	r := jsonread.New(body)
	if r.Kind() != jsonread.Object {
		return nil, errors.New("not a JSON object of node classes")
	}
	var all []summary
	r.Object(func(name string) {
		s := summary{Name: name}
		if r.Kind() == jsonread.Object {
			readSummary(r, &s)
		}
		if s.DisplayName == "" {
			s.DisplayName = flexString(s.Name)
		}
		all = append(all, s)
	})
	if err := r.End(); err != nil {
		return nil, err
	}
	return all, nil
}

// readSummary reads a class's members into s as flexString and flexBool
// read them: a value of another type leaves the field as it was.
func readSummary(r *jsonread.Reader, s *summary) {
	r.ObjectBytes(func(key []byte) {
		var str *flexString
		var flag *flexBool
		switch string(key) {
		case "display_name":
			str = &s.DisplayName
		case "category":
			str = &s.Category
		case "output_node":
			flag = &s.OutputNode
		case "deprecated":
			flag = &s.Deprecated
		}
		switch {
		case str != nil && r.Kind() == jsonread.String:
			*str = flexString(r.String())
		case flag != nil && r.Kind() == jsonread.Bool:
			*flag = flexBool(r.Bool())
		}
	})
}

// Tiers of a match, best first.
const (
	tierExact       = iota // the name, ignoring case
	tierPrefix             // the name starts with the query
	tierName               // the name contains the query (spaces ignored)
	tierDisplay            // the display name contains the query
	tierWords              // name and display name hold every word
	tierCategory           // the category contains the query
	tierAnywhere           // name, display name and category hold every word
	tierNameInQuery        // the query contains the name (suggestions only)
	noMatch
)

// query is a search string prepared for matching.
type query struct {
	whole   string   // lower case
	compact string   // lower case, without spaces, '_' and '-'
	words   []string // lower case, each cut to its stem
}

func newQuery(s string) query {
	q := query{whole: strings.ToLower(strings.TrimSpace(s))}
	for _, w := range strings.Fields(q.whole) {
		q.words = append(q.words, stem(w))
	}
	q.compact = compact(q.whole)
	return q
}

var compacter = strings.NewReplacer(" ", "", "_", "", "-", "")

// compact is s without spaces, '_' and '-', so that "Upscale Image" and
// "upscale_image" meet "UpscaleImage".
func compact(s string) string { return compacter.Replace(s) }

// stem cuts an English ending off a search word, so that "upscale" finds
// the category "image/upscaling" and "loaders" the class "CheckpointLoader";
// a stem keeps at least four letters.
func stem(w string) string {
	for _, end := range []string{"ing", "ers", "ed", "es", "er", "s", "e"} {
		if len(w)-len(end) >= 4 && strings.HasSuffix(w, end) {
			return w[:len(w)-len(end)]
		}
	}
	return w
}

// tier says how well s matches q.
func (q query) tier(s summary) int {
	name, display, category := strings.ToLower(s.Name), strings.ToLower(string(s.DisplayName)), strings.ToLower(string(s.Category))
	switch {
	case name == q.whole:
		return tierExact
	case strings.HasPrefix(name, q.whole):
		return tierPrefix
	case strings.Contains(name, q.whole), q.compact != "" && strings.Contains(name, q.compact):
		return tierName
	case strings.Contains(display, q.whole), q.compact != "" && strings.Contains(compact(display), q.compact):
		return tierDisplay
	case containsAll(name+" "+display, q.words):
		return tierWords
	case strings.Contains(category, q.whole):
		return tierCategory
	case containsAll(name+" "+display+" "+category, q.words):
		return tierAnywhere
	case len(name) >= 4 && strings.Contains(q.compact, strings.ReplaceAll(name, "_", "")):
		return tierNameInQuery
	}
	return noMatch
}

func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return len(words) > 0
}

type ranked struct {
	summary
	tier int
}

// rank returns the classes within maxTier of q, best first: by tier, then
// current before deprecated, then by name.
func rank(all []summary, q query, maxTier int) []ranked {
	var out []ranked
	for _, s := range all {
		if t := q.tier(s); t <= maxTier {
			out = append(out, ranked{s, t})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.tier != b.tier {
			return a.tier < b.tier
		}
		if a.Deprecated != b.Deprecated {
			return !bool(a.Deprecated)
		}
		return strings.ToLower(a.Name) < strings.ToLower(b.Name)
	})
	return out
}

func search(all []summary, text string, limit int) *Search {
	found := rank(all, newQuery(text), tierAnywhere)
	s := &Search{Matches: []Match{}, Total: len(found), Truncated: len(found) > limit}
	for _, r := range found[:min(limit, len(found))] {
		s.Matches = append(s.Matches, Match{
			Name:        r.Name,
			DisplayName: string(r.DisplayName),
			Category:    string(r.Category),
			OutputNode:  bool(r.OutputNode),
			Deprecated:  bool(r.Deprecated),
		})
	}
	return s
}

// suggest returns up to max class names close to an unknown one: matches of
// the name or display name, or names the unknown one contains
// ("KSamplerNode" → KSampler).
func suggest(all []summary, name string, max int) []string {
	var out []string
	for _, r := range rank(all, newQuery(name), tierNameInQuery) {
		if r.tier == tierCategory || r.tier == tierAnywhere {
			continue
		}
		if len(out) == max {
			break
		}
		out = append(out, r.Name)
	}
	return out
}
