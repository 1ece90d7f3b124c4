package comfyui

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Doer is anything that performs ComfyUI requests: a *Client, or a wrapper
// around one.
type Doer interface {
	Do(ctx context.Context, req Request) (*Response, error)
}

// ObjectInfoCache answers GET /object_info and /object_info/{class} from
// memory for a while. The full catalog is hundreds of kilobytes (megabytes
// with custom nodes) and changes only when ComfyUI restarts or a file is
// uploaded (LoadImage lists the input folder), so tools that look nodes up
// repeatedly should not fetch it every time. An upload clears the cache.
type ObjectInfoCache struct {
	next Doer
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	resp    *Response
	expires time.Time
}

// NewObjectInfoCache caches next's /object_info answers for ttl.
func NewObjectInfoCache(next Doer, ttl time.Duration) *ObjectInfoCache {
	return &ObjectInfoCache{next: next, ttl: ttl, now: time.Now, entries: map[string]cacheEntry{}}
}

// Do implements Doer.
func (c *ObjectInfoCache) Do(ctx context.Context, req Request) (*Response, error) {
	path := strings.TrimPrefix(req.Path, "/api")
	if req.Method != "GET" || (path != "/object_info" && !strings.HasPrefix(path, "/object_info/")) || len(req.Query) > 0 {
		resp, err := c.next.Do(ctx, req)
		if req.Method == "POST" && strings.HasPrefix(path, "/upload/") {
			c.clear()
		}
		return resp, err
	}
	c.mu.Lock()
	e, ok := c.entries[path]
	c.mu.Unlock()
	if ok && c.now().Before(e.expires) {
		return e.resp, nil
	}
	resp, err := c.next.Do(ctx, req)
	if err == nil && resp.Status == 200 {
		c.mu.Lock()
		c.entries[path] = cacheEntry{resp: resp, expires: c.now().Add(c.ttl)}
		c.mu.Unlock()
	}
	return resp, err
}

func (c *ObjectInfoCache) clear() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}
