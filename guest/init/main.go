// Command init is PID 1 of every Isola microVM.
//
// It mounts what the function needs, configures eth0 from the kernel command line, starts the function
// chrooted into the read-only root disk as an unprivileged user, tells Isola it is ready once the function
// accepts connections, reaps every child, and resets the VM when the function exits (QEMU runs with
// -no-reboot, so a reset ends the VM process and Isola sees the instance stop).
//
// Per-version settings (argv, env, port, kernel modules) come from /isola/config.json in the initramfs;
// per-instance settings (address, readiness URL) from the kernel command line, or, in a clone of a template
// VM (isola.template=1), from the line Isola writes on the second serial port (clone.go):
//
//	isola.ip=10.200.0.7 isola.prefix=16 isola.gw=10.200.0.1 isola.instance=fn.0a1b2c3d4e
//	isola.ready=http://10.200.0.1:4711/_/ready/fn.0a1b2c3d4e/nonce
//
// Everything it says goes to the serial console, which is the instance's output in Isola's function log.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

type config struct {
	Argv    []string `json:"argv"`
	Env     []string `json:"env"`
	Dir     string   `json:"dir"`
	Port    int      `json:"port"`
	UID     int      `json:"uid"`
	Modules []string `json:"modules"`
	// OpenFiles is the function's RLIMIT_NOFILE, soft and hard: room for the connections it serves at once (the
	// kernel's default, 1024, would refuse a busy function's clients).
	OpenFiles uint64 `json:"openFiles"`
}

const rootfs = "/rootfs"

func main() {
	args := kernelArgs()
	if args["isola.probe"] != "" {
		// The accelerator probe only needs to see a guest reach user space.
		say("probe ok")
		poweroff()
	}
	cfg, err := readConfig("/isola/config.json")
	if err != nil {
		fail("read /isola/config.json: %v", err)
	}
	mountBasics()
	for _, module := range cfg.Modules {
		if err := loadModule(module); err != nil {
			fail("load %s: %v", module, err)
		}
	}
	if err := configureNetwork(args["isola.ip"], args["isola.prefix"], args["isola.gw"]); err != nil {
		fail("configure eth0: %v", err)
	}
	if err := mountRoot(); err != nil {
		fail("mount the root disk: %v", err)
	}
	template := args["isola.template"] == "1"
	// A clone is not the template's instance; it learns no instance id of its own after resuming.
	if instance := args["isola.instance"]; instance != "" && !template {
		cfg.Env = append(cfg.Env, "ISOLA_INSTANCE="+instance)
	}
	started := uptimeMillis()
	pid, err := startFunction(cfg)
	if err != nil {
		fail("start %v: %v", cfg.Argv, err)
	}
	go func() {
		if template {
			serveAsTemplate(cfg.Port, args["isola.gw"])
			return
		}
		awaitListening(cfg.Port)
		// Where a cold start's time goes: the guest kernel and init before the function, the function after. Said
		// before Isola hears of it: once calls arrive, this line would land inside the function's own output.
		say("ready %d ms after boot (function started at %d ms)", uptimeMillis(), started)
		signalReady(cfg.Port, args["isola.ready"])
	}()
	status := reap(pid)
	say("%s", describeExit(status))
	// The function's sockets closed as it exited; let the guest kernel send those FINs and RSTs before the reset,
	// or callers on the host would wait for answers from a VM that no longer exists.
	time.Sleep(100 * time.Millisecond)
	poweroff()
}

func kernelArgs() map[string]string {
	out := map[string]string{}
	raw, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		// /proc is not mounted yet this early; mount it just for this read.
		_ = os.MkdirAll("/proc", 0o555)
		_ = syscall.Mount("proc", "/proc", "proc", 0, "")
		raw, _ = os.ReadFile("/proc/cmdline")
	}
	for _, field := range strings.Fields(string(raw)) {
		if k, v, ok := strings.Cut(field, "="); ok {
			out[k] = v
		}
	}
	return out
}

func readConfig(path string) (config, error) {
	var cfg config
	raw, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return cfg, err
	}
	if len(cfg.Argv) == 0 || cfg.Port == 0 {
		return cfg, fmt.Errorf("argv and port are required")
	}
	return cfg, nil
}

func mountBasics() {
	for _, m := range []struct{ source, target, fstype string }{
		{"proc", "/proc", "proc"}, {"sysfs", "/sys", "sysfs"}, {"devtmpfs", "/dev", "devtmpfs"},
	} {
		_ = os.MkdirAll(m.target, 0o755)
		if err := syscall.Mount(m.source, m.target, m.fstype, 0, ""); err != nil && err != syscall.EBUSY {
			fail("mount %s: %v", m.target, err)
		}
	}
}

// mountRoot mounts the function's read-only disk (shared by every instance of the version on the host) and
// gives it the writable and virtual file systems a program expects.
func mountRoot() error {
	device := "/dev/vda"
	for i := 0; ; i++ {
		if _, err := os.Stat(device); err == nil {
			break
		} else if i == 2000 {
			return fmt.Errorf("%s did not appear within 2 s", device)
		}
		time.Sleep(time.Millisecond)
	}
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return err
	}
	if err := syscall.Mount(device, rootfs, "ext4", syscall.MS_RDONLY, "noload"); err != nil {
		return fmt.Errorf("ext4 %s: %w", device, err)
	}
	for _, m := range []struct{ source, target, fstype, data string }{
		{"proc", rootfs + "/proc", "proc", ""},
		{"devtmpfs", rootfs + "/dev", "devtmpfs", ""},
		{"tmpfs", rootfs + "/tmp", "tmpfs", "mode=1777"},
	} {
		if err := syscall.Mount(m.source, m.target, m.fstype, syscall.MS_NOSUID, m.data); err != nil {
			return fmt.Errorf("%s: %w", m.target, err)
		}
	}
	return nil
}

func startFunction(cfg config) (int, error) {
	uid := uint32(cfg.UID)
	if cfg.OpenFiles > 0 {
		// Set in PID 1, which may raise the hard limit, and inherited by the function across the fork.
		limit := syscall.Rlimit{Cur: cfg.OpenFiles, Max: cfg.OpenFiles}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
			return 0, fmt.Errorf("open-file limit %d: %w", cfg.OpenFiles, err)
		}
	}
	return syscall.ForkExec(cfg.Argv[0], cfg.Argv, &syscall.ProcAttr{
		Dir:   cfg.Dir,
		Env:   cfg.Env,
		Files: []uintptr{0, 1, 2},
		Sys: &syscall.SysProcAttr{
			Chroot:     rootfs,
			Credential: &syscall.Credential{Uid: uid, Gid: uid},
			Setsid:     true,
		},
	})
}

// reap waits for every child (PID 1 inherits orphans) and returns the function's status when it exits.
func reap(pid int) syscall.WaitStatus {
	for {
		var status syscall.WaitStatus
		child, err := syscall.Wait4(-1, &status, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return status
		}
		if child == pid {
			return status
		}
	}
}

// describeExit says how the function ended, in the words Isola shows callers after "the function ".
func describeExit(status syscall.WaitStatus) string {
	if status.Signaled() {
		if status.Signal() == syscall.SIGKILL && oomKills() > 0 {
			return "the function was killed by the guest kernel: out of memory (it needs more than the VM's memory limit)"
		}
		return fmt.Sprintf("the function was killed by signal %d (%v)", int(status.Signal()), status.Signal())
	}
	return fmt.Sprintf("the function exited with status %d", status.ExitStatus())
}

// oomKills reads the guest kernel's count of OOM kills; a SIGKILL nobody else sends means memory ran out.
func oomKills() int {
	raw, err := os.ReadFile("/proc/vmstat")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "oom_kill ") {
			var count int
			fmt.Sscan(strings.TrimPrefix(line, "oom_kill "), &count)
			return count
		}
	}
	return 0
}

// uptimeMillis is the time since the guest kernel started, from /proc/uptime (10 ms resolution).
func uptimeMillis() int {
	raw, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return -1
	}
	var seconds float64
	fmt.Sscan(string(raw), &seconds)
	return int(seconds * 1000)
}

func say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "isola-init: "+format+"\n", args...)
}

func fail(format string, args ...any) {
	say("error: "+format, args...)
	poweroff()
}

func poweroff() {
	syscall.Sync()
	// A reset, not a power-off: QEMU's microvm without ACPI cannot power off, and -no-reboot turns a reset into
	// the end of the QEMU process.
	_ = syscall.Reboot(syscall.LINUX_REBOOT_CMD_RESTART)
	for {
		time.Sleep(time.Hour)
	}
}
