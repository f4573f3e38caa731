// vmexec starts a VMM (QEMU) in namespaces of its own, holding only the VM's tap device: opened here, in the host's
// network namespace, and passed on as a file descriptor. The VMM then reaches the guest's network through that
// descriptor and nothing else (not the host's loopback services, not its interfaces, not other instances' taps);
// in its own pid namespace it sees and signals no other process, and in its own IPC namespace it cannot use up the
// host's System V IPC limits. Isola runs it as root from the VM's launch wrapper; QEMU drops to the VM's own uid and
// chroot after that.
//
// The VMM is this program's child, the first process of its pid namespace; vmexec writes the child's pid (as the
// host sees it) to -pidfile and to its standard output, and exits, leaving the VMM to the host's init. The VMM's
// standard output and error are -console, appended; its standard input and file descriptor 3 (a clone's saved
// state, when open) are vmexec's own.
//
// Usage: vmexec -console FILE -pidfile FILE [-tap NAME -fd N [-vnet-hdr]] -- PROGRAM ARGS...
//
// Without -tap (a template VM, on a hub port to nowhere) the network namespace is simply empty.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
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

// stateFd is where a clone's saved state is open, as the VMM expects it.
const stateFd = 3

func main() {
	console := flag.String("console", "", "the file the VMM's output is appended to")
	pidFile := flag.String("pidfile", "", "the file the VMM's pid is written to")
	tap := flag.String("tap", "", "the tap device to open in the host's network namespace")
	fd := flag.Int("fd", -1, "the file descriptor the VMM finds the tap at")
	vnetHdr := flag.Bool("vnet-hdr", false, "open the tap with virtio-net headers")
	flag.Parse()
	argv := flag.Args()
	if len(argv) == 0 || *console == "" || *pidFile == "" || (*tap != "") != (*fd > stateFd) {
		fail("usage: vmexec -console FILE -pidfile FILE [-tap NAME -fd N (N > 3) [-vnet-hdr]] -- PROGRAM ARGS...")
	}
	state := isOpen(stateFd) // before this program opens anything, which could take the number
	out, err := syscall.Open(*console, syscall.O_WRONLY|syscall.O_APPEND|syscall.O_CREAT|syscall.O_CLOEXEC, 0600)
	if err != nil {
		fail("open the console " + *console + ": " + err.Error())
	}
	// The child's descriptors by number; -1 leaves one closed.
	files := []uintptr{0, uintptr(out), uintptr(out), closed()}
	if state {
		files[stateFd] = stateFd
	}
	if *tap != "" {
		for len(files) < *fd {
			files = append(files, closed())
		}
		files = append(files, uintptr(openTap(*tap, *vnetHdr)))
	}
	closeInherited()
	program, err := exec.LookPath(argv[0])
	if err != nil {
		fail(err.Error())
	}
	pid, err := syscall.ForkExec(program, argv, &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: files,
		Sys:   &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC},
	})
	if err != nil {
		fail("start " + program + ": " + err.Error())
	}
	// The pid file first: once the pid is printed, Isola may look for the file.
	if err := os.WriteFile(*pidFile, []byte(strconv.Itoa(pid)+"\n"), 0600); err != nil {
		syscall.Kill(pid, syscall.SIGKILL)
		fail("write " + *pidFile + ": " + err.Error())
	}
	fmt.Println(pid)
}

// openTap attaches to the (persistent) tap device name and returns the open descriptor (close-on-exec: the child
// gets its copy at -fd).
func openTap(name string, vnetHdr bool) int {
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
	return tun
}

// closeInherited marks every descriptor above standard error close-on-exec: the child gets only those in its files
// (the launch wrapper passes none other, but what the VMM may hold is decided here, not by whoever started us).
func closeInherited() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		fail("list open descriptors: " + err.Error())
	}
	for _, entry := range entries {
		if fd, err := strconv.Atoi(entry.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

func isOpen(fd int) bool {
	_, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	return errno == 0
}

func closed() uintptr {
	return ^uintptr(0) // -1
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "vmexec: "+message)
	os.Exit(125)
}
