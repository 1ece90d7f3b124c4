package plugin

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/easel-mcp/easel/internal/benchtest"
)

// BenchmarkHostFunction is the cost of one comfyui_request host call as a
// plugin sees it: a probe call that fetches /queue once (from memory),
// against the same call that makes no host call ("echo", the baseline);
// hostcall-ns is the difference. The request itself costs nothing here,
// so what remains is crossing the boundary twice, the permission check,
// the framed answer and the guest's JSON decoding of a small body.
//
//	go test ./host/plugin -run xxx -bench HostFunction -benchmem
func BenchmarkHostFunction(b *testing.B) {
	f := newFixture(b)
	p := f.load(b, Spec{Requester: emptyQueue})
	ctx := context.Background()
	echo := json.RawMessage(`{"mode": "echo", "text": "1"}`)
	queue := json.RawMessage(`{"mode": "queue"}`)
	base := benchtest.Measure(time.Second, func() {
		if _, err := p.Call(ctx, echo, nil); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Call(ctx, queue, nil); err != nil {
			b.Fatal(err)
		}
	}
	benchtest.Report(b, base, "echo")
	b.ReportMetric(benchtest.PerOp(b)-base.NsPerOp, "hostcall-ns")
}

// BenchmarkPool is a pooled call against the same call on a fresh instance
// every time (the baseline: what easel would pay without a pool), and
// reports the bytes of linear memory one pooled instance holds after a call.
//
//	go test ./host/plugin -run xxx -bench Pool -benchmem
func BenchmarkPool(b *testing.B) {
	f := newFixture(b)
	p := f.load(b, Spec{})
	ctx := context.Background()
	echo := json.RawMessage(`{"mode": "echo", "text": "1"}`)
	input := p.callInput(echo, nil)
	fresh := benchtest.Measure(time.Second, func() {
		in, err := p.newInstance(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.call(ctx, input, nil); err != nil {
			b.Fatal(err)
		}
		in.close(ctx)
	})
	var memBytes uint32
	b.ReportAllocs()
	for b.Loop() {
		in, err := p.pool.acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.call(ctx, input, nil); err != nil {
			b.Fatal(err)
		}
		memBytes = in.mod.Memory().Size()
		p.pool.release(in, true)
	}
	benchtest.Report(b, fresh, "fresh")
	b.ReportMetric(float64(memBytes), "linear-bytes/instance")
}
