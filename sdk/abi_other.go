//go:build !wasip1

package sdk

// Outside WebAssembly the package has no host: it has no exports and
// nothing calls a registered tool. It still builds, so that the SDK and the
// plugins written with it can be vetted and unit-tested natively; the ABI
// glue is in abi_wasip1.go, and everything it relies on is tested here
// through a fake host.
