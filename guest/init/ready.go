package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// signalReady waits until the function accepts connections inside the guest (polling every millisecond, as
// the paper's harness does, but over the guest's loopback, where a refused connect costs microseconds) and
// then calls Isola's readiness URL once.
func signalReady(port int, readyURL string) {
	awaitListening(port)
	if readyURL == "" {
		return
	}
	target, err := url.Parse(readyURL)
	if err != nil {
		say("bad isola.ready %q: %v", readyURL, err)
		return
	}
	for attempt := 0; attempt < 50; attempt++ {
		err = post(target)
		if err == nil || err == errAlreadyReady {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	say("could not call the readiness URL: %v", err)
}

// errAlreadyReady is a 404 from the readiness URL: Isola saw the function accept connections first (its own probe
// of the instance) and retired the URL. Nothing to retry.
var errAlreadyReady = errors.New("already seen ready")

// awaitListening returns once the function accepts connections on its port.
func awaitListening(port int) {
	local := fmt.Sprintf("127.0.0.1:%d", port)
	for {
		conn, err := net.DialTimeout("tcp", local, 100*time.Millisecond)
		if err == nil {
			conn.Close()
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// post sends a minimal HTTP/1.1 request by hand: net/http would double the size of init for one request.
func post(target *url.URL) error {
	conn, err := net.DialTimeout("tcp", target.Host, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	request := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		target.RequestURI(), target.Host)
	if _, err := conn.Write([]byte(request)); err != nil {
		return err
	}
	status := make([]byte, 12)
	if _, err := conn.Read(status); err != nil {
		return err
	}
	if string(status[9:12]) == "404" {
		return errAlreadyReady
	}
	if string(status[9:10]) != "2" {
		return fmt.Errorf("status %s", status[9:12])
	}
	return nil
}
