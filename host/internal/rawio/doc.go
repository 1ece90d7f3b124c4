// Package rawio reads and writes non-blocking descriptors — easel's stdin
// and stdout pipes, its connections to ComfyUI — with raw system calls,
// waiting for readiness in the Go runtime's poller as *os.File and net.Conn
// do.
//
// The difference is what the runtime is told. os.File and net.Conn make
// each read(2) and write(2) through syscall.Syscall, which marks the
// goroutine as in a system call; leaving that state wakes the runtime's
// monitor thread (sysmon) from its idle sleep and resets it to polling every
// 20 µs, as a bet that more blocking system calls follow. On a
// non-blocking descriptor the call cannot block, so the bet never pays,
// and an easel answering a tool call every millisecond or so kept its
// monitor awake all the time: about a fifth of easel's CPU per
// get_job_status call on the 2-core development VM (docs/performance.md).
// RawSyscall skips the bookkeeping; a read or write that would block
// returns EAGAIN, and the caller waits in the poller, as before.
//
// Only descriptors in non-blocking mode and registered with the poller may
// be wrapped: a blocking read through RawSyscall would hold its thread and
// processor until data came.
package rawio
