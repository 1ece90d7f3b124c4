// Package plugin runs easel's WebAssembly tool plugins.
//
// A [Runtime] owns one wazero runtime, its compilation cache and the host
// functions of ABI v1 (module "easel_v1", see docs/abi.md). [Runtime.Load]
// compiles a module once, checks that it exports the ABI, asks it to describe
// its tool and returns a [Plugin]: the tool's metadata plus a pool of
// instances. [Plugin.Call] runs one MCP tool call on a pooled instance.
//
// # Isolation
//
// A plugin is untrusted code. Each instance serves one call at a time and is
// discarded after any trap, ABI violation, cancellation or timeout, so a broken
// call never poisons the next one. Instances get WASI with no files, no
// environment and no sockets; their only way out is the host functions, and
// the only network route is [Requester], which the host points at the
// configured ComfyUI server. Every module is instrumented before it is compiled
// (package internal/instrument): its loops and calling functions spend fuel
// and, when it runs out, call a host function that traps once the call's
// context has ended, so a cancelled or timed-out call stops even a plugin that
// spins forever, at a fraction of the cost of wazero's close-on-context-done.
// The same rewrite caps each plugin's linear memory at its own limit.
//
// # Notes
//
//   - Guest stdout and stderr are logged line by line, tagged with the tool
//     name; long lines are cut.
//   - Clocks are real and the random source is crypto/rand (wazero's defaults
//     are deterministic fakes). Sleeps are real and end with the call.
package plugin
