package metrics

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// parsedFamily is one family as checkText read it back.
type parsedFamily struct {
	help, typ string
	samples   []parsedSample
}

type parsedSample struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// checkText is a strict reader of the text format 0.0.4 as easel writes
// it: every family has HELP then TYPE then samples, families are sorted
// and unique, sample names belong to their family, label values use only
// the format's escapes, series are unique, counters are non-negative and
// histograms are cumulative up to a +Inf bucket equal to _count.
func checkText(text string) (map[string]*parsedFamily, error) {
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("output does not end in a newline")
	}
	fams := map[string]*parsedFamily{}
	var cur *parsedFamily
	var curName, prev string
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		n := i + 1
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, help, _ := strings.Cut(strings.TrimPrefix(line, "# HELP "), " ")
			if !metricName.MatchString(name) || name <= prev {
				return nil, fmt.Errorf("line %d: family %q invalid or out of order after %q", n, name, prev)
			}
			if cur != nil && len(cur.samples) == 0 {
				return nil, fmt.Errorf("line %d: family %s has no samples", n, curName)
			}
			h, err := unescape(help, false)
			if err != nil {
				return nil, fmt.Errorf("line %d: HELP: %v", n, err)
			}
			cur, curName, prev = &parsedFamily{help: h}, name, name
			fams[name] = cur
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(strings.TrimPrefix(line, "# TYPE "))
			if cur == nil || len(f) != 2 || f[0] != curName || cur.typ != "" || len(cur.samples) > 0 {
				return nil, fmt.Errorf("line %d: TYPE not right after its HELP: %q", n, line)
			}
			switch f[1] {
			case "counter", "gauge", "histogram", "summary":
				cur.typ = f[1]
			default:
				return nil, fmt.Errorf("line %d: type %q", n, f[1])
			}
		default:
			if cur == nil || cur.typ == "" {
				return nil, fmt.Errorf("line %d: sample before HELP and TYPE: %q", n, line)
			}
			s, err := parseSample(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
			if !belongs(s, curName, cur.typ) {
				return nil, fmt.Errorf("line %d: sample %s does not belong to %s family %s", n, s.name, cur.typ, curName)
			}
			key := s.name + fmt.Sprint(s.labels)
			if seen[key] {
				return nil, fmt.Errorf("line %d: duplicate series %s", n, key)
			}
			seen[key] = true
			cur.samples = append(cur.samples, s)
		}
	}
	if cur != nil && len(cur.samples) == 0 {
		return nil, fmt.Errorf("family %s has no samples", curName)
	}
	for name, f := range fams {
		if err := checkFamily(name, f); err != nil {
			return nil, err
		}
	}
	return fams, nil
}

// belongs says whether a sample name and labels fit the family's type.
func belongs(s parsedSample, fam, typ string) bool {
	switch typ {
	case "histogram":
		_, le := s.labels["le"]
		return (s.name == fam+"_bucket" && le) || (!le && (s.name == fam+"_sum" || s.name == fam+"_count"))
	case "summary":
		_, q := s.labels["quantile"]
		return (s.name == fam && q) || (!q && (s.name == fam+"_sum" || s.name == fam+"_count"))
	case "counter":
		return s.name == fam && strings.HasSuffix(fam, "_total") && s.value >= 0
	}
	return s.name == fam
}

// checkFamily checks histogram buckets: ascending le, cumulative counts,
// a last +Inf bucket equal to _count, and a _sum.
func checkFamily(name string, f *parsedFamily) error {
	if f.typ != "histogram" {
		return nil
	}
	type series struct {
		les, counts []float64
		sum, count  *float64
	}
	all := map[string]*series{}
	for _, s := range f.samples {
		rest := map[string]string{}
		for k, v := range s.labels {
			if k != "le" {
				rest[k] = v
			}
		}
		key := fmt.Sprint(rest)
		if all[key] == nil {
			all[key] = &series{}
		}
		sr, v := all[key], s.value
		switch s.name {
		case name + "_bucket":
			le, err := strconv.ParseFloat(s.labels["le"], 64)
			if err != nil {
				return fmt.Errorf("%s%s: le: %v", s.name, key, err)
			}
			if n := len(sr.les); n > 0 && (le <= sr.les[n-1] || v < sr.counts[n-1]) {
				return fmt.Errorf("%s%s: bucket le=%v count %v not above the previous one", s.name, key, le, v)
			}
			sr.les, sr.counts = append(sr.les, le), append(sr.counts, v)
		case name + "_sum":
			sr.sum = &v
		case name + "_count":
			sr.count = &v
		}
	}
	for key, sr := range all {
		n := len(sr.les)
		if n == 0 || !math.IsInf(sr.les[n-1], 1) || sr.sum == nil || sr.count == nil || *sr.count != sr.counts[n-1] {
			return fmt.Errorf("%s%s: want buckets ending in +Inf equal to _count, and _sum", name, key)
		}
	}
	return nil
}

// parseSample reads `name{l="v",...} value`.
func parseSample(line string) (parsedSample, error) {
	s := parsedSample{labels: map[string]string{}}
	end := strings.IndexAny(line, "{ ")
	if end < 0 {
		return s, fmt.Errorf("no value: %q", line)
	}
	s.name, line = line[:end], line[end:]
	if !metricName.MatchString(s.name) {
		return s, fmt.Errorf("metric name %q", s.name)
	}
	if strings.HasPrefix(line, "{") {
		line = line[1:]
		for {
			name, rest, ok := strings.Cut(line, `="`)
			if !ok || !labelName.MatchString(name) {
				return s, fmt.Errorf("label name in %q", line)
			}
			raw, after, err := cutQuoted(rest)
			if err != nil {
				return s, err
			}
			if _, dup := s.labels[name]; dup {
				return s, fmt.Errorf("label %s twice", name)
			}
			if s.labels[name], err = unescape(raw, true); err != nil {
				return s, err
			}
			if line, ok = strings.CutPrefix(after, ","); ok {
				continue
			}
			if line, ok = strings.CutPrefix(after, "}"); !ok {
				return s, fmt.Errorf("want , or } at %q", after)
			}
			break
		}
	}
	v, ok := strings.CutPrefix(line, " ")
	if !ok || strings.Contains(v, " ") {
		return s, fmt.Errorf("want one space and a value (no timestamp): %q", line)
	}
	var err error
	if s.value, err = strconv.ParseFloat(v, 64); err != nil {
		return s, fmt.Errorf("value: %v", err)
	}
	return s, nil
}

// cutQuoted splits s after the closing quote of a label value.
func cutQuoted(s string) (raw, after string, err error) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return s[:i], s[i+1:], nil
		}
	}
	return "", "", fmt.Errorf("unterminated label value %q", s)
}

// unescape undoes \\ and \n (and \" in label values), refusing anything
// else, including raw newlines and unescaped quotes.
func unescape(s string, quotes bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' && quotes {
			return "", fmt.Errorf("unescaped quote in %q", s)
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i++; i == len(s) {
			return "", fmt.Errorf("trailing backslash in %q", s)
		}
		switch {
		case s[i] == '\\':
			b.WriteByte('\\')
		case s[i] == 'n':
			b.WriteByte('\n')
		case s[i] == '"' && quotes:
			b.WriteByte('"')
		default:
			return "", fmt.Errorf("escape \\%c in %q", s[i], s)
		}
	}
	return b.String(), nil
}
