package app

// PluginInstances calls fn for every loaded plugin with how many of its
// instances are running a call and how many are idle. With Observer, it
// makes *App a metrics.Source.
func (a *App) PluginInstances(fn func(tool string, busy, idle int)) {
	for _, t := range a.current() {
		select {
		case <-t.ready:
		default:
			continue // still loading: no instances yet
		}
		if t.p != nil {
			busy, idle := t.p.Instances()
			fn(t.cfg.Name, busy, idle)
		}
	}
}

// ComfyUIBackends calls fn for every ComfyUI backend with its queue length
// (running plus pending, as last reported) and whether it is up: its event
// stream is connected or, with several backends, its last probe succeeded
// (a single backend is not probed).
func (a *App) ComfyUIBackends(fn func(backend string, queueRemaining int, up bool)) {
	probed := !a.pool.Single()
	for _, s := range a.pool.Statuses() {
		fn(s.Name, s.QueueRemaining, s.EventStream || probed && s.Healthy)
	}
}
