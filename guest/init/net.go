package main

import (
	"fmt"
	"net"
	"strconv"
	"syscall"
	"unsafe"
)

// configureNetwork brings up lo and eth0 with the address from the kernel command line, through the classic
// interface ioctls: no netlink library and no busybox in the guest.
func configureNetwork(ip, prefix, gateway string) error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	if err := linkUp(fd, "lo"); err != nil {
		return err
	}
	if ip == "" {
		return fmt.Errorf("no isola.ip on the kernel command line")
	}
	addr := net.ParseIP(ip).To4()
	bits, err := strconv.Atoi(prefix)
	if addr == nil || err != nil || bits < 1 || bits > 30 {
		return fmt.Errorf("bad address %q/%q", ip, prefix)
	}
	if err := setAddress(fd, "eth0", syscall.SIOCSIFADDR, addr); err != nil {
		return err
	}
	if err := setAddress(fd, "eth0", syscall.SIOCSIFNETMASK, net.IP(net.CIDRMask(bits, 32))); err != nil {
		return err
	}
	if err := linkUp(fd, "eth0"); err != nil {
		return err
	}
	if gw := net.ParseIP(gateway).To4(); gw != nil {
		return defaultRoute(fd, gw)
	}
	return nil
}

type ifreqFlags struct {
	name  [16]byte
	flags uint16
	_     [22]byte
}

type ifreqAddr struct {
	name [16]byte
	addr syscall.RawSockaddrInet4
	_    [8]byte
}

func linkUp(fd int, name string) error {
	var req ifreqFlags
	copy(req.name[:], name)
	if err := ioctl(fd, syscall.SIOCGIFFLAGS, unsafe.Pointer(&req)); err != nil {
		return fmt.Errorf("%s flags: %w", name, err)
	}
	req.flags |= syscall.IFF_UP
	if err := ioctl(fd, syscall.SIOCSIFFLAGS, unsafe.Pointer(&req)); err != nil {
		return fmt.Errorf("%s up: %w", name, err)
	}
	return nil
}

func setAddress(fd int, name string, request uintptr, ip net.IP) error {
	var req ifreqAddr
	copy(req.name[:], name)
	req.addr = sockaddr(ip)
	if err := ioctl(fd, request, unsafe.Pointer(&req)); err != nil {
		return fmt.Errorf("%s address %v: %w", name, ip, err)
	}
	return nil
}

// rtentry mirrors struct rtentry of <net/route.h> on 64-bit Linux.
type rtentry struct {
	pad1    uint64
	dst     syscall.RawSockaddrInet4
	gateway syscall.RawSockaddrInet4
	genmask syscall.RawSockaddrInet4
	flags   uint16
	pad2    int16
	pad3    uint64
	pad4    uintptr
	metric  int16
	dev     uintptr
	mtu     uint64
	window  uint64
	irtt    uint16
}

func defaultRoute(fd int, gw net.IP) error {
	route := defaultRouteVia(gw)
	if err := ioctl(fd, syscall.SIOCADDRT, unsafe.Pointer(&route)); err != nil && err != syscall.EEXIST {
		return fmt.Errorf("default route via %v: %w", gw, err)
	}
	return nil
}

// removeDefaultRoute deletes the default route through gw if there is one (a clone drops its template's).
func removeDefaultRoute(gw net.IP) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return
	}
	defer syscall.Close(fd)
	route := defaultRouteVia(gw)
	_ = ioctl(fd, syscall.SIOCDELRT, unsafe.Pointer(&route))
}

func defaultRouteVia(gw net.IP) rtentry {
	const rtfUp, rtfGateway = 0x1, 0x2
	return rtentry{
		dst:     sockaddr(net.IPv4zero.To4()),
		gateway: sockaddr(gw),
		genmask: sockaddr(net.IPv4zero.To4()),
		flags:   rtfUp | rtfGateway,
	}
}

func sockaddr(ip net.IP) syscall.RawSockaddrInet4 {
	sa := syscall.RawSockaddrInet4{Family: syscall.AF_INET}
	copy(sa.Addr[:], ip.To4())
	return sa
}

func ioctl(fd int, request uintptr, arg unsafe.Pointer) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), request, uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}
