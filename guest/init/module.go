package main

import (
	"os"
	"syscall"
	"unsafe"
)

// sysFinitModule is finit_module(2) on x86_64; Go's syscall package predates it.
const sysFinitModule = 313

// loadModule inserts one kernel module (the generic kernel's virtio drivers); an already loaded one is fine.
func loadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	params := []byte{0}
	_, _, errno := syscall.Syscall(sysFinitModule, f.Fd(), uintptr(unsafe.Pointer(&params[0])), 0)
	if errno != 0 && errno != syscall.EEXIST {
		return errno
	}
	return nil
}
