package comfyui

import "testing"

func TestCheckPath(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"/", true},
		{"/queue", true},
		{"/api/history/24e8d9f3-7fbb-42c0-8a3e-1a1b90d26b33", true},
		{"/userdata/workflows%2Frec.json", true},
		{"/object_info/Save%20Image", true},
		{"/view", true},
		{"/a/b:c@d", true},
		{"", false},
		{"queue", false},
		{"//evil.example/x", false},
		{"/a//b", false},
		{"/history/", false},
		{"/..", false},
		{"/a/../b", false},
		{"/a/./b", false},
		{"/%2e%2e/admin", false},
		{"/%2E%2e/admin", false},
		{"/a/.%2e", false},
		{"/a/..%2fadmin", false},
		{"/a/..%5cadmin", false},
		{"/a%2F%2Fb", false},
		{"/a\\b", false},
		{"/queue?x=1", false},
		{"/queue#f", false},
		{"/a\x00b", false},
		{"/a%00b", false},
		{"/a%0ab", false},
		{"/a\nb", false},
		{"/a b", false},
		{"/a%zzb", false},
		{"/a%2", false},
		{"/é", false},
		{"/a\"b", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			err := CheckPath(tt.path)
			if (err == nil) != tt.ok {
				t.Errorf("CheckPath(%q) = %v, want ok=%v", tt.path, err, tt.ok)
			}
		})
	}
}
