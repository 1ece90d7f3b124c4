package main

import "strings"

// Output is the tool's structured result: folders when no folder was given,
// else the folder's files.
type Output struct {
	Folder    string   `json:"folder,omitempty"`
	Folders   []string `json:"folders,omitempty" description:"Model folder names, when no folder was given"`
	Files     []string `json:"files,omitempty" description:"The folder's files, as loader nodes take them"`
	Total     int      `json:"total" description:"Names matching the filter, before limit"`
	Truncated bool     `json:"truncated" description:"More names matched than limit allowed"`
	Note      string   `json:"note,omitempty"`
}

// selectNames keeps the names that contain filter, ignoring case, in
// ComfyUI's order (sorted), and cuts the list at limit. total counts every
// match.
func selectNames(names []string, filter string, limit int) (kept []string, total int, truncated bool) {
	needle := strings.ToLower(filter)
	for _, n := range names {
		if needle != "" && !strings.Contains(strings.ToLower(n), needle) {
			continue
		}
		total++
		if len(kept) < limit {
			kept = append(kept, n)
		}
	}
	return kept, total, total > len(kept)
}
