package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// A template VM is booted once per function version with isola.template=1, runs the function until it accepts
// connections, says "ready" on the second serial port (/dev/ttyS1, a socket of Isola's on the host), and is then
// saved by Isola and stopped. Every clone resumes here, inside awaitIdentity, as an exact copy: same address, same
// MAC, same clock, same random state. Isola then writes the clone's own identity on that port as one line of
// key=value fields, and the clone takes it before it tells Isola it is ready:
//
//	isola.ip=10.200.0.9 isola.prefix=16 isola.gw=10.200.0.1 isola.mac=02:... isola.ready=http://...
//	isola.time=<Unix ns> isola.seed=<64 hex digits>
const identityPort = "/dev/ttyS1"

// awaitIdentity tells Isola the template is ready and blocks until a clone of it is given its identity.
func awaitIdentity() (map[string]string, error) {
	port, err := os.OpenFile(identityPort, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer port.Close()
	if _, err := port.WriteString("ready\n"); err != nil {
		return nil, err
	}
	line, err := bufio.NewReaderSize(port, 4096).ReadString('\n')
	if err != nil {
		return nil, err
	}
	fields := map[string]string{}
	for _, field := range strings.Fields(line) {
		if k, v, ok := strings.Cut(field, "="); ok {
			fields[k] = v
		}
	}
	return fields, nil
}

// becomeClone makes this copy of the template distinct: fresh entropy first (every clone resumed with the
// template's random state, so two clones would otherwise draw the same "random" bytes), then the wall clock
// (the template's is as old as the template), then its own MAC and address on eth0.
func becomeClone(identity map[string]string, templateGateway string) error {
	seed, err := hex.DecodeString(identity["isola.seed"])
	if err != nil || len(seed) < 32 {
		return fmt.Errorf("isola.seed must be at least 32 bytes of hex")
	}
	if err := reseed(seed); err != nil {
		return fmt.Errorf("reseed the kernel's random generator: %w", err)
	}
	nanos, err := strconv.ParseInt(identity["isola.time"], 10, 64)
	if err != nil {
		return fmt.Errorf("bad isola.time: %w", err)
	}
	tv := syscall.NsecToTimeval(nanos)
	if err := syscall.Settimeofday(&tv); err != nil {
		return fmt.Errorf("set the clock: %w", err)
	}
	mac, err := net.ParseMAC(identity["isola.mac"])
	if err != nil {
		return fmt.Errorf("bad isola.mac: %w", err)
	}
	if err := setMAC("eth0", mac); err != nil {
		return err
	}
	if gw := net.ParseIP(templateGateway).To4(); gw != nil {
		removeDefaultRoute(gw)
	}
	return configureNetwork(identity["isola.ip"], identity["isola.prefix"], identity["isola.gw"])
}

// reseed credits the seed to the kernel's input pool (RNDADDENTROPY) and makes the CRNG take a new key from it
// now (RNDRESEEDCRNG), so that getrandom and /dev/urandom diverge between clones from the next read on.
func reseed(seed []byte) error {
	const rndAddEntropy, rndReseedCrng = 0x40085203, 0x5207
	f, err := os.OpenFile("/dev/urandom", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	info := make([]byte, 8+len(seed)) // struct rand_pool_info: entropy_count (bits), buf_size (bytes), buf
	*(*int32)(unsafe.Pointer(&info[0])) = int32(8 * len(seed))
	*(*int32)(unsafe.Pointer(&info[4])) = int32(len(seed))
	copy(info[8:], seed)
	if err := ioctl(int(f.Fd()), rndAddEntropy, unsafe.Pointer(&info[0])); err != nil {
		return err
	}
	return ioctl(int(f.Fd()), rndReseedCrng, nil)
}

type ifreqHwaddr struct {
	name   [16]byte
	family uint16
	data   [14]byte
	_      [8]byte
}

func setMAC(name string, mac net.HardwareAddr) error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var req ifreqHwaddr
	copy(req.name[:], name)
	req.family = syscall.ARPHRD_ETHER
	copy(req.data[:], mac)
	if err := ioctl(fd, syscall.SIOCSIFHWADDR, unsafe.Pointer(&req)); err != nil {
		return fmt.Errorf("%s MAC %v: %w", name, mac, err)
	}
	return nil
}

// serveAsTemplate is the template's life after boot: wait for the function, hand over to Isola, and when this
// is a clone resuming, become distinct and tell Isola the clone is ready.
func serveAsTemplate(port int, templateGateway string) {
	awaitListening(port)
	identity, err := awaitIdentity()
	if err != nil {
		fail("template: %v", err)
	}
	resumed := time.Now()
	say("resumed as a clone of the template; taking address %s", identity["isola.ip"])
	if err := becomeClone(identity, templateGateway); err != nil {
		fail("clone: %v", err)
	}
	say("clone ready %d ms after resuming", time.Since(resumed).Milliseconds()) // before calls can arrive
	signalReady(port, identity["isola.ready"])
}
