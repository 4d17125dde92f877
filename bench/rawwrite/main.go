// Command rawwrite measures what one small write to a loopback TCP socket costs the writer on
// this machine, in the same run as the fan-outs it is the floor of: issue 15's absolute fan-out
// target (12 µs per delivery net of the background) was set where ../shared/PERFORMANCE.md
// measured such a write at about 8.4 µs, and that cost moves with the machine's hour (7.4-11 µs
// here: every system call is a trip through the hypervisor).
//
// It listens on a loopback port, starts itself again as the reader (a separate process, so that
// its CPU is not the writer's), which opens --sockets connections and reads them all, then writes
// one --bytes WebSocket text frame (a server's frame: no mask) to each socket in turn, --rounds
// times, pausing between rounds so that no write waits for the reader. The figure is the
// writer's CPU (getrusage: user and system, the kernel's delivery to the reader included, as on
// loopback it runs inside the write) per write, over the rounds alone. The reader counts what it
// read, and the run fails unless it is every byte written.
//
//	go run ./bench/rawwrite --sockets 5000 --rounds 60 --out rawwrite.json
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

type result struct {
	Sockets     int     `json:"sockets"`
	Rounds      int     `json:"rounds"`
	Bytes       int     `json:"bytes"`
	Writes      int     `json:"writes"`
	BytesRead   int64   `json:"bytes_read"` // by the reader: every write's, or the run fails
	CPUSeconds  float64 `json:"writer_cpu_seconds"`
	USPerWrite  float64 `json:"writer_cpu_us_per_write"`
	WallSeconds float64 `json:"wall_seconds"`
}

func main() {
	sockets := flag.Int("sockets", 5000, "loopback TCP connections written to")
	rounds := flag.Int("rounds", 60, "writes to every socket")
	size := flag.Int("bytes", 219, "frame size: the hub's tourhub.v2 delivery of a match completion is 219 bytes")
	out := flag.String("out", "", "write the result as JSON to this file too")
	reader := flag.String("reader", "", "internal: read --sockets connections to this address")
	flag.Parse()
	if *reader != "" {
		if err := read(*reader, *sockets); err != nil {
			fmt.Fprintln(os.Stderr, "rawwrite reader:", err)
			os.Exit(1)
		}
		return
	}
	if *sockets < 1 || *rounds < 1 || *size < 2 || *size > 65535 {
		fmt.Fprintln(os.Stderr, "rawwrite: --sockets and --rounds must be positive, --bytes 2 to 65535")
		os.Exit(2)
	}
	res, err := run(*sockets, *rounds, *size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rawwrite:", err)
		os.Exit(1)
	}
	fmt.Printf("raw write: %.2f µs of the writer's CPU per %d-byte write (%d loopback sockets x %d rounds)\n",
		res.USPerWrite, res.Bytes, res.Sockets, res.Rounds)
	if *out != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "rawwrite:", err)
			os.Exit(1)
		}
	}
}

// run accepts the reader's connections and times the rounds of writes.
func run(sockets, rounds, size int) (result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	defer ln.Close()
	self, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rd := exec.CommandContext(ctx, self, "--reader", ln.Addr().String(), "--sockets", fmt.Sprint(sockets))
	rd.Stderr = os.Stderr
	var said strings.Builder // the reader's count of bytes read
	rd.Stdout = &said
	if err := rd.Start(); err != nil {
		return result{}, err
	}
	exited := make(chan struct{}) // closed when the reader has exited, with waitErr
	var waitErr error
	go func() { waitErr = rd.Wait(); close(exited) }()
	defer func() { cancel(); <-exited }()

	conns := make([]net.Conn, 0, sockets)
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
		conns = conns[:0]
	}
	defer closeAll()
	accepted := make(chan net.Conn)
	failed := make(chan error, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				failed <- err
				return
			}
			accepted <- c
		}
	}()
	timeout := time.After(60 * time.Second)
	for len(conns) < sockets {
		select {
		case c := <-accepted:
			conns = append(conns, c)
		case <-exited:
			return result{}, fmt.Errorf("the reader exited after %d of %d connections: %v", len(conns), sockets, waitErr)
		case err := <-failed:
			return result{}, err
		case <-timeout:
			return result{}, fmt.Errorf("only %d of %d connections in 60 s", len(conns), sockets)
		}
	}
	frame := textFrame(size)
	time.Sleep(500 * time.Millisecond) // the connections settle
	c0, t0 := cpu(), time.Now()
	writes := 0
	for range rounds {
		for _, c := range conns {
			if _, err := c.Write(frame); err != nil {
				return result{}, err
			}
			writes++
		}
		time.Sleep(20 * time.Millisecond) // the reader drains: no write waits for room
	}
	used, wall := cpu()-c0, time.Since(t0)
	closeAll() // the reader reads to the end of each connection, says how much it read and exits
	select {
	case <-exited:
	case <-time.After(60 * time.Second):
		return result{}, errors.New("the reader did not finish within 60 s of the last write")
	}
	if waitErr != nil {
		return result{}, fmt.Errorf("reader: %w", waitErr)
	}
	read, err := strconv.ParseInt(strings.TrimSpace(said.String()), 10, 64)
	if err != nil || read != int64(writes*size) {
		return result{}, fmt.Errorf("the reader read %q bytes; want the %d written", strings.TrimSpace(said.String()), writes*size)
	}
	return result{
		Sockets: sockets, Rounds: rounds, Bytes: size, Writes: writes, BytesRead: read,
		CPUSeconds:  used.Seconds(),
		USPerWrite:  float64(used) / float64(time.Microsecond) / float64(writes),
		WallSeconds: wall.Seconds(),
	}, nil
}

// textFrame is an unmasked WebSocket text frame of size bytes in all.
func textFrame(size int) []byte {
	f := make([]byte, size)
	f[0] = 0x81 // FIN, text
	head := 2
	if n := size - 2; n < 126 {
		f[1] = byte(n)
	} else {
		head = 4
		f[1] = 126
		binary.BigEndian.PutUint16(f[2:], uint16(size-head))
	}
	for i := head; i < size; i++ {
		f[i] = 'x'
	}
	return f
}

// read opens n connections to addr, reads them until the writer closes them and prints how many
// bytes it read.
func read(addr string, n int) error {
	var total atomic.Int64
	errs := make(chan error, n)
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		go func() {
			k, err := io.Copy(io.Discard, c)
			total.Add(k)
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			return err
		}
	}
	fmt.Println(total.Load())
	return nil
}

// cpu is the process's user and system CPU so far.
func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic("getrusage: " + err.Error())
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
