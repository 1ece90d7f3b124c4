package comfyui

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

type countingDoer struct{ calls atomic.Int32 }

func (d *countingDoer) Do(ctx context.Context, req Request) (*Response, error) {
	d.calls.Add(1)
	return &Response{Status: 200, Body: []byte(req.Method + " " + req.Path)}, nil
}

func TestObjectInfoCache(t *testing.T) {
	next := &countingDoer{}
	c := NewObjectInfoCache(next, time.Minute)
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	ctx := context.Background()
	get := func(path string) {
		t.Helper()
		if _, err := c.Do(ctx, Request{Method: "GET", Path: path}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		do        func()
		wantCalls int32
	}{
		{func() { get("/object_info") }, 1},
		{func() { get("/object_info") }, 1},            // cached
		{func() { get("/api/object_info") }, 1},        // same route under /api
		{func() { get("/object_info/KSampler") }, 2},   // another key
		{func() { get("/queue") }, 3},                  // never cached
		{func() { get("/queue") }, 4},                  //
		{func() { now = now.Add(2 * time.Minute) }, 4}, // expire
		{func() { get("/object_info") }, 5},            // fetched again
		{func() { c.Do(ctx, Request{Method: "POST", Path: "/upload/image"}) }, 6},
		{func() { get("/object_info") }, 7}, // an upload changes LoadImage's list
	}
	for i, s := range steps {
		s.do()
		if got := next.calls.Load(); got != s.wantCalls {
			t.Fatalf("step %d: %d calls to ComfyUI, want %d", i, got, s.wantCalls)
		}
	}
}
