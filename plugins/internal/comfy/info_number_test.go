package comfy

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNumber(t *testing.T) {
	tests := []struct {
		json string
		want int64
	}{
		{`25276510208`, 25276510208},
		{`104857600.0`, 104857600},
		{`1.5e10`, 15000000000},
		{`2.5`, 3},
		{`-1`, -1},
		{`null`, 0},
		{`"12"`, 12}, // encoding/json lets a json.Number come quoted
		{`[1]`, 0},
		{`1e300`, 0},
		{`18446744073709551615`, 0},
	}
	for _, tt := range tests {
		var v struct{ N Number }
		if err := json.Unmarshal([]byte(`{"N": `+tt.json+`}`), &v); err != nil {
			t.Errorf("%s: %v", tt.json, err)
			continue
		}
		if got := v.N.Int64(); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.json, got, tt.want)
		}
	}
	var p PromptInfo
	if err := json.Unmarshal([]byte(`{"exec_info": {"queue_remaining": 3}}`), &p); err != nil || p.ExecInfo.QueueRemaining.Int64() != 3 {
		t.Errorf("PromptInfo = %+v, %v", p, err)
	}
}

func TestSnippet(t *testing.T) {
	if got := Snippet([]byte("<html>\n  <body>login</body>\n</html>")); got != "<html> <body>login</body> </html>" {
		t.Errorf("short: %q", got)
	}
	long := strings.Repeat("é", 150) // 300 bytes: the cut falls inside a character
	if got := Snippet([]byte(long)); !strings.HasSuffix(got, "é…") || strings.Contains(got, "\uFFFD") || len(got) > 210 {
		t.Errorf("long: %q", got)
	}
	if got := Snippet(nil); got != "" {
		t.Errorf("empty: %q", got)
	}
}
