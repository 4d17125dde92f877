package main

import (
	"encoding/binary"
	"os"
	"testing"
)

// TestMain runs the reader when run starts this test binary as its reader.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "--reader" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestTextFrame(t *testing.T) {
	t.Parallel()
	for _, size := range []int{2, 127, 128, 129, 219, 1000, 65535} {
		f := textFrame(size)
		if len(f) != size || f[0] != 0x81 {
			t.Fatalf("size %d: %d bytes, first %#x; want %d bytes, 0x81", size, len(f), f[0], size)
		}
		payload := int(f[1])
		head := 2
		if payload == 126 {
			payload, head = int(binary.BigEndian.Uint16(f[2:])), 4
		}
		if f[1]&0x80 != 0 || head+payload != size || (size-2 < 126) != (head == 2) {
			t.Errorf("size %d: header %x says %d payload bytes after %d; want one frame of %d bytes, unmasked", size, f[:head], payload, head, size)
		}
	}
}

// TestRun: every socket is written every round, the reader reads it all, and the writer's CPU is
// counted.
func TestRun(t *testing.T) {
	t.Parallel()
	res, err := run(20, 3, 219)
	if err != nil {
		t.Fatal(err)
	}
	if res.Writes != 60 || res.Sockets != 20 || res.Rounds != 3 || res.Bytes != 219 || res.BytesRead != 60*219 {
		t.Errorf("result %+v; want 60 writes of 219 bytes, all read", res)
	}
	if res.CPUSeconds <= 0 || res.USPerWrite <= 0 || res.WallSeconds < 0.06 {
		t.Errorf("result %+v; want CPU counted over the three rounds' 60 ms at least", res)
	}
}
