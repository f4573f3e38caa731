// vmexec starts a VMM (QEMU) in a network namespace of its own, holding only the VM's tap device: opened here, in
// the host's namespace, and passed on as a file descriptor. The VMM then reaches the guest's network through that
// descriptor and nothing else: not the host's loopback services, not its interfaces, not other instances' taps.
// Isola runs it as root from the VM's launch wrapper; QEMU drops to the VM's own uid and chroot after that.
//
// Usage: vmexec [-tap NAME -fd N [-vnet-hdr]] -- PROGRAM ARGS...
//
// Without -tap (a template VM, on a hub port to nowhere) the namespace is simply empty.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"unsafe"
)

// From <linux/if_tun.h>.
const (
	iffTap     = 0x0002
	iffNoPi    = 0x1000
	iffVnetHdr = 0x4000
	tunSetIff  = 0x400454ca
)

func main() {
	tap := flag.String("tap", "", "the tap device to open in the host's network namespace")
	fd := flag.Int("fd", -1, "the file descriptor the VMM finds the tap at")
	vnetHdr := flag.Bool("vnet-hdr", false, "open the tap with virtio-net headers")
	flag.Parse()
	argv := flag.Args()
	if len(argv) == 0 || (*tap != "") != (*fd >= 0) {
		fail("usage: vmexec [-tap NAME -fd N [-vnet-hdr]] -- PROGRAM ARGS...")
	}
	if *tap != "" {
		openTap(*tap, *fd, *vnetHdr)
	}
	// Namespaces belong to threads: the one that unshares must be the one that execs.
	runtime.LockOSThread()
	if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
		fail("unshare the network namespace: " + err.Error())
	}
	program, err := exec.LookPath(argv[0])
	if err != nil {
		fail(err.Error())
	}
	if err := syscall.Exec(program, argv, os.Environ()); err != nil {
		fail("exec " + program + ": " + err.Error())
	}
}

// openTap attaches to the (persistent) tap device name and leaves it open, without close-on-exec, at fd.
func openTap(name string, fd int, vnetHdr bool) {
	if len(name) >= 16 {
		fail("tap name too long: " + name)
	}
	tun, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		fail("open /dev/net/tun: " + err.Error())
	}
	var ifreq [40]byte // struct ifreq: the name, then the flags
	copy(ifreq[:16], name)
	flags := uint16(iffTap | iffNoPi)
	if vnetHdr {
		flags |= iffVnetHdr
	}
	*(*uint16)(unsafe.Pointer(&ifreq[16])) = flags
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(tun), tunSetIff,
		uintptr(unsafe.Pointer(&ifreq[0]))); errno != 0 {
		fail("attach to tap " + name + ": " + errno.Error())
	}
	if tun == fd {
		if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, 0); errno != 0 {
			fail("keep the tap open across exec: " + errno.Error())
		}
		return
	}
	if err := syscall.Dup3(tun, fd, 0); err != nil {
		fail(fmt.Sprintf("move the tap to fd %d: %v", fd, err))
	}
	syscall.Close(tun)
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "vmexec: "+message)
	os.Exit(125)
}
